//! Cases for CARD (the agent card) and CAP (capability gating): digest §9.3, §3.
//!
//! One module per id prefix ([`card`], [`cap`]).

pub(super) mod cap;
pub(super) mod card;
