//! `gauntlet-conformance`: judge any A2A 1.0.1 server against the digest's checklist.
//!
//! * [`probe`]: judged exchanges over `gauntlet-wire`'s connection and strict SSE decoder, with
//!   transcripts and curl reproducers — the only way the cases talk to a server.
//! * [`client`]: binding-aware calls over the probe, answers normalised for judging.
//! * [`case`], [`cases`]: the declared catalogue keyed by digest ids; [`expect`]: shared verifiers
//!   (pure judgements of values); [`driver`]: calls that drive the server and the test agent.
//! * [`runner`]: the one harness of check and chaos (selection, containment of deadlines, panics
//!   and aborts, the level mapping); it only emits [`report::events`]; [`report`]: human, JSON,
//!   JUnit, HTML, expectations.
//! * [`need`]: what a row needs of the target and what an unmet need means for its verdict.
//! * [`context`]: what a case sees (the discovered `gauntlet_a2a::Target` with the run's tokens,
//!   its binding, fresh ids, deadlines).
//! * [`webhook`]: a real webhook receiver on loopback for the push cases and chaos.
//! * [`spec`]: the oracle's own copy of the wire facts.
//!
//! It must never import the reference (only its own tests do, as a dev-dependency), chaos or
//! load: a judge that shared the judged server's types could not catch their bugs.
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
