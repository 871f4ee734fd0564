//! Shared verifiers that keep each case short.
