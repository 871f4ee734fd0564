//! `gauntlet-conformance`: judge any A2A 1.0.1 server against the digest's checklist.
//!
//! * [`probe`]: raw HTTP, the strict SSE parser, transcripts — the only way we talk to a server.
//! * [`client`]: binding-aware calls over the probe, answers normalised for judging.
//! * [`case`], [`cases`]: the declared catalogue keyed by digest ids; [`expect`]: shared verifiers
//!   (pure judgements of values); [`driver`]: calls that drive the server and the test agent.
//! * [`runner`]: runs the catalogue, emits events; [`report`]: human, JSON, JUnit, HTML.
//! * [`context`]: what a case sees (the target's card facts, its binding, fresh ids, deadlines).
//! * [`webhook`]: a real webhook receiver on loopback for the push cases and chaos.
//! * [`spec`]: the oracle's own copy of the wire facts. Nothing here uses the reference's types.
//!
//! Judging a server from code:
//!
//! ```no_run
//! # async fn demo() -> Result<(), gauntlet_conformance::errors::RunError> {
//! use gauntlet_conformance::{cases::catalogue, runner};
//!
//! let opts = runner::RunOptions::default();
//! let report = runner::run("http://127.0.0.1:7420", &catalogue(), &opts, &mut runner::NoReporter)
//!     .await?;
//! println!("{}", gauntlet_conformance::report::human::render(&report));
//! assert!(report.conformant());
//! # Ok(())
//! # }
//! ```

pub mod case;
pub mod cases;
pub mod client;
pub mod context;
pub mod driver;
pub mod errors;
pub mod expect;
pub mod lifecycle;
pub mod need;
pub mod probe;
pub mod report;
pub mod runner;
pub mod spec;
pub mod webhook;
