//! Report rendering: html.
