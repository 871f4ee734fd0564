//! Integration tests of the reference server over real HTTP on 127.0.0.1:0.

mod auth;
mod card;
mod fuzz;
mod hooks;
mod jsonrpc;
mod lifecycle;
mod limits;
mod methods;
mod perf;
mod push;
mod push_close;
mod push_ssrf;
mod push_tls;
mod sse;
mod support;
mod versions;
