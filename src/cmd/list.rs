//! `gauntlet list`.

/// Arguments of `gauntlet list`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("gauntlet list: not yet available");
    crate::EXIT_USAGE
}
