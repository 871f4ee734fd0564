//! `gauntlet config`: prints the commented default `gauntlet.toml` or its JSON Schema (the
//! file's rules live in [`crate::config`]).

use crate::{EXIT_OK, EXIT_USAGE};

/// Arguments of `gauntlet config`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print a commented default gauntlet.toml.
    #[arg(long, conflicts_with = "print_schema")]
    pub print_default: bool,
    /// Print the JSON Schema of gauntlet.toml (committed as gauntlet.schema.json).
    #[arg(long)]
    pub print_schema: bool,
}

/// Runs the subcommand; returns the process exit code.
pub async fn run(args: Args) -> u8 {
    if args.print_default {
        super::emit(crate::config::DEFAULT_TOML);
    } else if args.print_schema {
        super::emit(&crate::config::schema_json());
    } else {
        eprintln!("gauntlet config: pass --print-default or --print-schema");
        return EXIT_USAGE;
    }
    EXIT_OK
}
