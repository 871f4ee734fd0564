//! `gauntlet.toml`: the settings `check` and `chaos` would otherwise take as flags, read from
//! `--config FILE` or from `./gauntlet.toml` when it exists. A flag given on the command line
//! overrides the file; an unknown key is an error naming it (`deny_unknown_fields`); relative
//! paths are relative to the file's directory. `gauntlet config --print-default` prints a
//! commented default ([`DEFAULT_TOML`]); `gauntlet config --print-schema` prints the JSON Schema
//! generated from [`Config`], committed as `gauntlet.schema.json`.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

use crate::cmd::check::BindingArg;
use crate::cmd::LevelArg;

/// The name looked up in the working directory.
pub const FILE_NAME: &str = "gauntlet.toml";

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "gauntlet.toml",
    description = "Settings of `gauntlet check` and `gauntlet chaos`; a flag on the command line overrides the key."
)]
pub struct Config {
    /// Base URL of the server under test (check and chaos); absent: the embedded reference.
    pub target: Option<String>,
    /// Bearer tokens, one identity each (`--token`, check).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Multiply every deadline (`--timeout-scale`), a positive number.
    pub timeout_scale: Option<f64>,
    /// Settings of `gauntlet check`.
    #[serde(default)]
    pub check: CheckConfig,
    /// Settings of `gauntlet chaos`.
    #[serde(default)]
    pub chaos: ChaosConfig,
    /// How to start and stop the server under test (chaos's lifecycle scenarios).
    #[serde(default)]
    pub server: ServerConfig,
}

/// `[server]`: the server under test as a command, so chaos can start, stop (SIGTERM) and
/// restart it without flags.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// `--sut-cmd`: a shell command that serves the server at `target`.
    pub command: Option<String>,
    /// Environment variables for the command.
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// Seconds to wait for its agent card after a start (scaled by `timeout_scale`).
    pub ready_timeout: Option<f64>,
    /// Seconds to wait for it to exit after SIGTERM before SIGKILL (scaled likewise).
    pub stop_timeout: Option<f64>,
}

/// `[check]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// `--binding`.
    pub binding: Option<BindingArg>,
    /// `--level`: the weakest level to run.
    pub level: Option<LevelArg>,
    /// `--only` patterns (`JRPC-00[1-3]`, `SEND-004[rest]`).
    #[serde(default)]
    pub only: Vec<String>,
    /// `--fail-on`: which failed levels make the exit code 1 (not with `expect`).
    pub fail_on: Option<LevelArg>,
    /// `--expect`: an expectation file (fixtures/expectations/*.json format).
    pub expect: Option<PathBuf>,
    /// `--expect-section`: its section (default: the command's name).
    pub expect_section: Option<String>,
    /// `--json`: the JSON report (`-`: stdout).
    pub json: Option<PathBuf>,
    /// `--junit`: the JUnit XML report.
    pub junit: Option<PathBuf>,
    /// `--html`: the HTML report.
    pub html: Option<PathBuf>,
}

/// `[chaos]`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChaosConfig {
    /// `--only` patterns (`CHAOS-SLOW-*`).
    #[serde(default)]
    pub only: Vec<String>,
    /// `--fail-on`: which failed levels make the exit code 1 (not with `expect`).
    pub fail_on: Option<LevelArg>,
    /// `--expect`: an expectation file (fixtures/expectations/*.json format).
    pub expect: Option<PathBuf>,
    /// `--expect-section`: its section (default: the command's name).
    pub expect_section: Option<String>,
    /// `--json`: the JSON report (`-`: stdout).
    pub json: Option<PathBuf>,
    /// `--junit`: the JUnit XML report.
    pub junit: Option<PathBuf>,
    /// `--html`: the HTML report.
    pub html: Option<PathBuf>,
}

/// The keys `[check]` and `[chaos]` share (serde cannot deny unknown keys across a flattened
/// struct, so each section declares them and hands them over as this).
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// `fail_on`.
    pub fail_on: Option<LevelArg>,
    /// `expect`.
    pub expect: Option<PathBuf>,
    /// `expect_section`.
    pub expect_section: Option<String>,
    /// `json`.
    pub json: Option<PathBuf>,
    /// `junit`.
    pub junit: Option<PathBuf>,
    /// `html`.
    pub html: Option<PathBuf>,
}

macro_rules! common_of {
    ($t:ty) => {
        impl $t {
            /// The keys shared with the other section.
            pub fn common(&self) -> Common {
                Common {
                    fail_on: self.fail_on,
                    expect: self.expect.clone(),
                    expect_section: self.expect_section.clone(),
                    json: self.json.clone(),
                    junit: self.junit.clone(),
                    html: self.html.clone(),
                }
            }

            fn paths(&mut self) -> [&mut Option<PathBuf>; 4] {
                [
                    &mut self.expect,
                    &mut self.json,
                    &mut self.junit,
                    &mut self.html,
                ]
            }
        }
    };
}
common_of!(CheckConfig);
common_of!(ChaosConfig);

/// What `gauntlet config --print-default` prints: every key, commented out, with its default.
pub const DEFAULT_TOML: &str = r#"# gauntlet.toml: settings of `gauntlet check` and `gauntlet chaos`, read from ./gauntlet.toml
# or `--config FILE`. A flag on the command line overrides the key. Relative paths are relative
# to this file. Unknown keys are an error. Schema: gauntlet.schema.json.

# Base URL of the server under test; absent: the embedded reference server.
# target = "http://127.0.0.1:7420"
# Bearer tokens, one identity each (give two for the cross-identity cases).
# tokens = []
# Multiply every deadline (slow machines).
# timeout_scale = 1.0

[check]
# Bindings to run: "jsonrpc", "rest" or "all".
# binding = "all"
# The weakest level to run: "must", "should" or "may".
# level = "may"
# Run only what matches: ids or areas with globs, optionally with a binding: "SEND-004[rest]".
# only = []
# Which failed levels make the exit code 1: "must", "should" or "may" (not with `expect`).
# fail_on = "must"
# Compare with an expectation file instead (fixtures/expectations/*.json format) and its section.
# expect = "fixtures/expectations/my-server.json"
# expect_section = "check"
# Report files ("-" for the JSON on stdout).
# json = "gauntlet-report.json"
# junit = "gauntlet-junit.xml"
# html = "gauntlet-report.html"

[server]
# A shell command that serves the server under test at `target`: chaos starts, stops (SIGTERM)
# and restarts it for the lifecycle scenarios (the same as --sut-cmd).
# command = "./target/release/my-agent --port 7420"
# Environment for the command.
# env = { RUST_LOG = "info" }
# Seconds to wait for its agent card after each start, and for it to exit after SIGTERM.
# ready_timeout = 30.0
# stop_timeout = 10.0

[chaos]
# only = []
# fail_on = "must"
# expect = "fixtures/expectations/my-server.json"
# expect_section = "chaos"
# json = "gauntlet-chaos.json"
# junit = "gauntlet-chaos-junit.xml"
# html = "gauntlet-chaos.html"
"#;

/// A config file's text as one sentence: `gauntlet.toml: unknown field `x` … (line 3)`.
fn parse(text: &str, path: &Path) -> Result<Config, String> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let msg = e.message().trim().replace('\n', " ");
        match line {
            Some(l) => format!("{} line {l}: {msg}", path.display()),
            None => format!("{}: {msg}", path.display()),
        }
    })
}

/// Reads `explicit`, or `./gauntlet.toml` when it exists; paths in it become relative to its
/// directory. `Ok(None)`: no file.
pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from(FILE_NAME);
            if !p.is_file() {
                return Ok(None);
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    let mut cfg = parse(&text, &path)?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut paths: Vec<&mut Option<PathBuf>> = cfg.check.paths().into_iter().collect();
    paths.extend(cfg.chaos.paths());
    for p in paths.into_iter().flatten() {
        if p.is_relative() && p.as_os_str() != "-" {
            *p = dir.join(&*p);
        }
    }
    Ok(Some(cfg))
}

/// The JSON Schema of the file, as committed in `gauntlet.schema.json`.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Config);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl Common {
    /// Fills what the command line left unset.
    pub fn fill(&self, reports: &mut crate::cmd::ReportFiles, gate: &mut crate::cmd::GateArgs) {
        fn or<T: Clone>(flag: &mut Option<T>, file: &Option<T>) {
            if flag.is_none() {
                flag.clone_from(file);
            }
        }
        or(&mut reports.json, &self.json);
        or(&mut reports.junit, &self.junit);
        or(&mut reports.html, &self.html);
        or(&mut gate.fail_on, &self.fail_on);
        or(&mut gate.expect, &self.expect);
        or(&mut gate.expect_section, &self.expect_section);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default with every `# key = value` line uncommented.
    fn uncommented() -> String {
        DEFAULT_TOML
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") && !rest.contains(": ") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_printed_default_parses_and_sets_every_key_when_uncommented() {
        let path = Path::new("gauntlet.toml");
        parse(DEFAULT_TOML, path).expect("the commented default parses");
        let cfg = parse(&uncommented(), path).expect("every key of the default is known");
        assert!(cfg.target.is_some() && cfg.timeout_scale.is_some());
        for c in [cfg.check.common(), cfg.chaos.common()] {
            assert!(c.fail_on.is_some() && c.expect.is_some() && c.expect_section.is_some());
            assert!(c.json.is_some() && c.junit.is_some() && c.html.is_some());
        }
        assert!(cfg.check.binding.is_some() && cfg.check.level.is_some());
    }

    #[test]
    fn every_schema_property_is_in_the_default_and_nothing_else() {
        let schema: serde_json::Value = serde_json::from_str(&schema_json()).expect("JSON");
        let text = uncommented();
        let doc: toml::Table = toml::from_str(&text).expect("TOML");
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v["properties"]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        let toml_keys = |t: &toml::Table| -> Vec<String> {
            let mut k: Vec<String> = t.keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&schema), toml_keys(&doc));
        for section in ["check", "chaos"] {
            let name = if section == "check" {
                "CheckConfig"
            } else {
                "ChaosConfig"
            };
            let def = &schema["$defs"][name];
            assert_eq!(
                keys(def),
                toml_keys(doc[section].as_table().expect("a table")),
                "[{section}]"
            );
        }
    }

    #[test]
    fn an_unknown_key_is_one_sentence_naming_it() {
        let err =
            parse("[check]\nbindings = \"rest\"\n", Path::new("g.toml")).expect_err("unknown key");
        assert!(err.contains("bindings") && err.contains("line 2"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = parse("targt = \"x\"\n", Path::new("g.toml")).expect_err("unknown key");
        assert!(err.contains("targt"), "{err}");
    }
}
