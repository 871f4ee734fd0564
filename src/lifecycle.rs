//! Lifecycle implementations: the embedded reference server and an external command.
