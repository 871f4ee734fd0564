//! `gauntlet list`: the case catalogue (id, level, bindings, needs, title, spec) and the chaos
//! scenarios, as a table or as JSON.

use std::fmt::Write as _;
use std::io::Write as _;

use gauntlet_conformance::case::Exec;
use gauntlet_conformance::cases::catalogue;
use serde_json::json;

use crate::EXIT_OK;

/// Arguments of `gauntlet list`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    let cases = catalogue();
    let scenarios = gauntlet_chaos::catalogue();
    if args.json {
        let doc = json!({
            "cases": cases.iter().map(|c| json!({
                "id": c.id,
                "level": c.level.as_str(),
                "bindings": c.bindings.as_str(),
                "needs": c.needs.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                "title": c.title,
                "requirement": c.requirement,
                "spec": c.spec,
                "automated": matches!(c.exec, Exec::Run(_)),
            })).collect::<Vec<_>>(),
            "chaos": scenarios.iter().map(|s| json!({
                "id": s.id,
                "level": s.level.as_str(),
                "title": s.title,
                "spec": s.spec,
            })).collect::<Vec<_>>(),
        });
        emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        ));
        return EXIT_OK;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<11} {:<6} {:<8} {:<28} {:<14} title",
        "id", "level", "bindings", "needs", "spec"
    );
    for c in &cases {
        let needs: Vec<&str> = c.needs.iter().map(|n| n.as_str()).collect();
        let manual = if matches!(c.exec, Exec::Manual(_)) {
            " [manual]"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:<11} {:<6} {:<8} {:<28} {:<14} {}{manual}",
            c.id,
            c.level.as_str(),
            c.bindings.as_str(),
            if needs.is_empty() {
                "-".to_owned()
            } else {
                needs.join(",")
            },
            c.spec,
            c.title
        );
    }
    let _ = writeln!(out, "{} cases", cases.len());
    if !scenarios.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<20} {:<6} {:<14} title",
            "chaos scenario", "level", "spec"
        );
        for s in &scenarios {
            let _ = writeln!(
                out,
                "{:<20} {:<6} {:<14} {}",
                s.id,
                s.level.as_str(),
                s.spec,
                s.title
            );
        }
        let _ = writeln!(out, "{} chaos scenarios", scenarios.len());
    }
    emit(&out);
    EXIT_OK
}

/// Writes to stdout; a closed pipe (`gauntlet list | head`) is not an error worth a panic.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
