//! `gauntlet config`: prints the commented default `gauntlet.toml`, its JSON Schema, or one
//! value of a file (`--get target`, `--get server.command`: what a CI script needs to start the
//! server before the run). The file's rules live in [`crate::config`].

use crate::{EXIT_OK, EXIT_USAGE};

/// Arguments of `gauntlet config`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a commented default gauntlet.toml.
    #[arg(long, conflicts_with = "print_schema")]
    pub print_default: bool,
    /// Print the JSON Schema of gauntlet.toml (committed as gauntlet.schema.json).
    #[arg(long, conflicts_with = "get")]
    pub print_schema: bool,
    /// Print one value of the file (`target` or `server.command`); nothing when it is unset.
    #[arg(long, value_name = "KEY", conflicts_with = "print_default")]
    pub get: Option<String>,
    /// The file to read for --get (default: ./gauntlet.toml).
    #[arg(long, value_name = "FILE", requires = "get")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    if args.print_default {
        super::emit(crate::config::DEFAULT_TOML);
    } else if args.print_schema {
        super::emit(&crate::config::schema_json());
    } else if let Some(key) = &args.get {
        let cfg = match crate::config::load(args.config.as_deref()) {
            Ok(c) => c.unwrap_or_default(),
            Err(msg) => {
                eprintln!("gauntlet: {msg}");
                return EXIT_USAGE;
            }
        };
        let value = match key.as_str() {
            "target" => cfg.target,
            "server.command" => cfg.server.command,
            other => {
                eprintln!("gauntlet: --get takes `target` or `server.command`, not `{other}`");
                return EXIT_USAGE;
            }
        };
        if let Some(v) = value {
            super::emit(&format!("{v}\n"));
        }
    } else {
        eprintln!("gauntlet config: pass --print-default, --print-schema or --get KEY");
        return EXIT_USAGE;
    }
    EXIT_OK
}
