//! Runs the catalogue as individual tests (libtest-compatible harness).
fn main() {}
