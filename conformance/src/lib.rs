//! `gauntlet-conformance`: judge any A2A 1.0.1 server against the digest's checklist.
//!
//! * [`probe`]: raw HTTP, the strict SSE parser, transcripts — the only way we talk to a server.
//! * [`client`]: binding-aware calls over the probe, answers normalised for judging.
//! * [`case`], [`cases`]: the declared catalogue keyed by digest ids; [`expect`]: shared verifiers.
//! * [`runner`]: runs the catalogue, emits events; [`report`]: human, JSON, JUnit, HTML.
//! * [`spec`]: the oracle's own copy of the wire facts. Nothing here uses the reference's types.

pub mod case;
pub mod cases;
pub mod client;
pub mod context;
pub mod errors;
pub mod expect;
pub mod lifecycle;
pub mod load;
pub mod probe;
pub mod report;
pub mod runner;
pub mod spec;
pub mod webhook;
