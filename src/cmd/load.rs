//! `gauntlet load`.

/// Arguments of `gauntlet load`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Runs the subcommand; returns the process exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("gauntlet load: not yet available");
    crate::EXIT_USAGE
}
