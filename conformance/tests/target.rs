//! Runs the catalogue as individual tests (libtest-compatible harness, so nextest can list,
//! filter and run each case × binding on its own), named as in every report and in
//! `gauntlet check --list`: `JRPC-005[jsonrpc]`, `CARD-001`.
//!
//! `GAUNTLET_TARGET=http://… cargo nextest run -p gauntlet-conformance --test target` judges
//! that server; without the variable the embedded reference is started on 127.0.0.1:0 (webhooks
//! on loopback allowed). Discovery happens before tests are listed, so the list matches the
//! card. A FAIL, or an ERROR on a MUST, fails the test; NOT-APPLICABLE and UNTESTED are
//! reported as ignored — never passed — with the reason (and, for UNTESTED, what would make the
//! row judgeable), and marked ignored up front when an unmet need already decides it (run with
//! `--ignored` to see the reasons). A server that answers 401 to the suite's credentials stops
//! the harness before any test is listed.
//! `GAUNTLET_TOKENS` (comma-separated) and `GAUNTLET_TIMEOUT_SCALE` mirror the CLI flags.

use std::process::ExitCode;
use std::sync::Arc;

use gauntlet_conformance::case::{Exec, Level, Verdict};
use gauntlet_conformance::cases::catalogue;
use gauntlet_conformance::report::untested_text;
use gauntlet_conformance::runner::{self, RunOptions};
use libtest_mimic::{Arguments, Completion, Failed, Trial};

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scale = std::env::var("GAUNTLET_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(1.0);
    let tokens: Vec<String> = std::env::var("GAUNTLET_TOKENS")
        .map(|s| {
            s.split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let (url, embedded) = match std::env::var("GAUNTLET_TARGET") {
        Ok(url) => (url, None),
        Err(_) => {
            let started = runtime.block_on(
                gauntlet_reference::Server::builder()
                    .allow_private_webhooks(true)
                    .bind(([127, 0, 0, 1], 0).into()),
            );
            match started {
                Ok(handle) => (handle.base_url(), Some(handle)),
                Err(e) => {
                    eprintln!("cannot start the embedded reference server: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let target = match runtime.block_on(runner::discover(&url, tokens.clone(), scale)) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = runtime.block_on(runner::preflight(&target, scale)) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let opts = RunOptions {
        timeout_scale: scale,
        tokens,
        ..RunOptions::default()
    };
    let planned = match runner::plan(&catalogue(), &target, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let handle = runtime.handle().clone();
    let run_id = runner::new_run_id();
    let trials: Vec<Trial> = planned
        .into_iter()
        .map(|p| {
            // Decided before running: not automatable, or an unmet need (NOT-APPLICABLE or
            // UNTESTED alike; both are ignored, neither passes).
            let known_skip = match p.case.exec {
                Exec::Manual(_) => true,
                Exec::Run(_) => target.unmet_of(p.case.needs).is_some(),
            };
            let (target, opts, handle, run_id) =
                (target.clone(), opts.clone(), handle.clone(), run_id.clone());
            Trial::ignorable_test(p.test_name(), move || {
                let r = handle.block_on(runner::run_planned(target, p, &opts, &run_id));
                match r.verdict {
                    Verdict::Pass => Ok(Completion::Completed),
                    Verdict::NonStrict | Verdict::Informational => {
                        println!("{}: {}", r.verdict.as_str(), r.summary);
                        Ok(Completion::Completed)
                    }
                    Verdict::NotApplicable => Ok(Completion::ignored_with(r.summary)),
                    // Never a pass: shown as ignored, with what would make it judgeable.
                    Verdict::Untested => Ok(Completion::ignored_with(untested_text(&r))),
                    Verdict::Error if r.level != Level::Must => {
                        println!("ERROR (not a MUST): {}", r.summary);
                        Ok(Completion::Completed)
                    }
                    Verdict::Fail | Verdict::Error => {
                        let mut msg = format!(
                            "{} {} ({} {}): {}\n{}",
                            r.verdict.as_str(),
                            r.name(),
                            r.level.as_str(),
                            r.spec,
                            r.requirement,
                            r.summary
                        );
                        if let Some(e) = &r.expected {
                            msg.push_str(&format!("\nexpected: {e}"));
                        }
                        if let Some(o) = &r.observed {
                            msg.push_str(&format!("\nobserved: {o}"));
                        }
                        for x in &r.transcript {
                            msg.push_str(&format!("\n\n{}$ {}", x.render(), x.curl()));
                        }
                        Err(Failed::from(msg))
                    }
                }
            })
            .with_ignored_flag(known_skip)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(server) = embedded {
        runtime.block_on(server.shutdown());
    }
    conclusion.exit_code()
}
