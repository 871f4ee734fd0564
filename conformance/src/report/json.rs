//! Report rendering: json.
