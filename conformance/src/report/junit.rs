//! Report rendering: junit.
