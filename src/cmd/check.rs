//! `gauntlet check`.

/// Arguments of `gauntlet check`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("gauntlet check: not yet available");
    crate::EXIT_USAGE
}
