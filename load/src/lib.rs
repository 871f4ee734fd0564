//! Load generation against any A2A server (`gauntlet load`), and a trivial bare hyper server that
//! answers the same requests, to measure the generator's own ceiling and the reference's overhead.
//!
//! The generator is **closed-loop** by default: each of N workers owns one keep-alive connection
//! and sends its next request as soon as the previous answer is complete. That measures the
//! capacity of the server at a fixed concurrency, which is what a conformance tool can honestly
//! report from one machine. Its known blind spot is *coordinated omission*: while the server
//! stalls, a closed-loop worker stops sending, so the stall is recorded once instead of once per
//! request that an open-loop (fixed arrival rate) client would have issued during it. The closed
//! loop therefore also reports its latencies corrected for that ([`run::CorrectedLatency`]: each
//! worker's median service time as its expected interval between sends).
//!
//! With [`LoadConfig::rate`] the SendMessage phase is **open-loop** instead ([`run_open`]): sends
//! follow a fixed timetable independent of the answers, and latency runs from each request's
//! intended send time, so there is nothing to correct; the report says how well the timetable
//! was kept (achieved rate, missed and late sends). See `benches/README.md`.
//!
//! To keep the generator cheap, it drives the keep-alive path of [`gauntlet_wire::Conn`]:
//! request bytes are serialized once ([`gauntlet_wire::RequestTemplate`]; only a fixed-width
//! message counter is rewritten in place), the read buffer is reused, and bodies are scanned
//! rather than parsed. Latencies go into [`hdrhistogram`] histograms with fixed bounds
//! ([`Histogram`]: within 1 %, recording never allocates).
//!
//! Nothing here uses the reference server's types, and nothing here judges: the target is any
//! `http://` URL, and the oracle is never imported.

pub mod bare;
pub mod discover;
pub mod histogram;
pub mod requests;
pub mod run;

pub use bare::BareServer;
pub use discover::{discover, Discovered};
pub use gauntlet_a2a::{Binding, TEST_AGENT_SKILL};
pub use gauntlet_wire::{
    encode_segment, find, Conn, Endpoint, Head, OpenStream, RequestTemplate, SseParser,
    StreamOutcome, WireError,
};
pub use histogram::{Histogram, LatencySummary};
pub use requests::*;
pub use run::*;
