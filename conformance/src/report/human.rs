//! Report rendering: human.
