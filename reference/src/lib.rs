//! `gauntlet-reference`: a correct, fast A2A 1.0.1 server.
//!
//! One port serves the agent card, JSON-RPC 2.0 at `POST /`, every REST route of the HTTP+JSON
//! binding (with optional `/{tenant}` prefix), and SSE streams on both. Behind it runs a scripted
//! test agent (`fixtures/test-agent.md`), an in-memory task store with bounded-buffer fan-out, and
//! push delivery with retries and an SSRF guard.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let server = gauntlet_reference::Server::builder().bind("127.0.0.1:0".parse().unwrap()).await?;
//! println!("serving on {}", server.base_url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Layout: [`server`] owns the listener, connections and shutdown; [`service`] is the
//! binding-independent protocol core; [`error`] is the error table; [`config`] the switches.
//!
//! It must never import the oracle, chaos or load: it is what they judge, and a type shared with
//! a judge would let one bug hide the same bug in both.

pub mod config;
pub mod error;
pub mod server;
pub mod service;

mod store;

mod agent;
mod bus;
mod clock;
mod ids;
mod push;
mod task;
mod validate;

mod auth;
mod card;
mod http;
mod jsonrpc;
mod rest;
mod sse;

pub use config::{Config, Fault};
pub use error::{A2aError, ErrorKind};
pub use server::{Server, ServerBuilder, ServerHandle};
pub use service::{CallCtx, Caller, EventStream, Op, Reply, Service, StreamItem};
