//! The case catalogue: one module per checklist group of digest §9, in digest order.
//! [`catalogue`] is the single ordered list that drives running, listing and docs.

mod card;
mod data;
mod jrpc;
mod lifecycle;
mod push;
mod rest;
mod security;
mod streaming;
mod tasks;
mod ver;

use crate::case::Case;

/// Every case, in digest §9 order.
pub fn catalogue() -> Vec<Case> {
    let groups: [&[Case]; 10] = [
        data::CASES,
        ver::CASES,
        card::CASES,
        jrpc::CASES,
        rest::CASES,
        streaming::CASES,
        tasks::CASES,
        lifecycle::CASES,
        push::CASES,
        security::CASES,
    ];
    groups.iter().flat_map(|g| g.iter().copied()).collect()
}
