//! Integration tests of the reference server over real HTTP on 127.0.0.1:0.

mod auth;
mod card;
mod fuzz;
mod hostile;
mod jsonrpc;
mod lifecycle;
mod limits;
mod methods;
mod perf;
mod push;
mod sse;
mod support;
mod versions;
