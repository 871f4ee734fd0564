//! Integration tests of the reference server over real HTTP on 127.0.0.1:0.

mod auth;
mod card;
mod fuzz;
mod hooks;
mod hostile;
mod ids;
mod jsonrpc;
mod lifecycle;
mod limits;
mod memory;
mod methods;
mod perf;
mod push;
mod push_close;
mod push_ssrf;
mod push_tls;
mod shutdown;
mod sse;
mod support;
mod tenants;
mod versions;
