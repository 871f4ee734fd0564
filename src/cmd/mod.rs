//! One module per subcommand; each owns its `Args` and its `run`, returning an exit code.

pub mod chaos;
pub mod check;
pub mod list;
pub mod load;
pub mod serve;

use std::path::PathBuf;

use gauntlet_conformance::report::{self, RunReport};

/// The report files `check` and `chaos` can write besides the terminal summary.
#[derive(clap::Args, Debug, Default)]
pub struct ReportFiles {
    /// Write the JSON report (schema in conformance/REPORT.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a self-contained HTML report.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl ReportFiles {
    /// Writes every requested file; the error is one sentence.
    pub fn write(&self, report: &RunReport) -> Result<(), String> {
        let write = |path: &PathBuf, text: String| {
            std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        if let Some(p) = &self.json {
            write(p, report::json::render(report))?;
        }
        if let Some(p) = &self.junit {
            let xml = report::junit::render(report)
                .map_err(|e| format!("cannot render the JUnit report: {e}"))?;
            write(p, xml)?;
        }
        if let Some(p) = &self.html {
            write(p, report::html::render(report))?;
        }
        Ok(())
    }
}
