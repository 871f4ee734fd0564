//! `gauntlet`: conformance and chaos testing for A2A 1.0.1 servers.

fn main() {}
