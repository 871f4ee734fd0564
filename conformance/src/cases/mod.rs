//! The case catalogue: one module per checklist area of digest §9 (§9.1–§9.10), in digest order;
//! an area with several id prefixes is a folder with one module per prefix.
//! `support` holds the helpers the cases of more than one area share.
//! [`catalogue`] is the single ordered list that drives running, listing and docs.

mod agent_card;
mod data;
mod jrpc;
mod lifecycle;
mod push;
mod rest;
mod security;
mod streaming;
mod support;
mod tasks;
mod ver;

use crate::case::Case;

/// Every case, in digest §9 order.
pub fn catalogue() -> Vec<Case> {
    let groups: [&[Case]; 20] = [
        data::CASES,
        ver::CASES,
        agent_card::card::CASES,
        agent_card::cap::CASES,
        jrpc::CASES,
        rest::CASES,
        streaming::sse::CASES,
        streaming::strm::CASES,
        streaming::sub::CASES,
        tasks::send::CASES,
        tasks::task::CASES,
        tasks::list::CASES,
        tasks::cancel::CASES,
        lifecycle::ctx::CASES,
        lifecycle::life::CASES,
        push::CASES,
        security::err::CASES,
        security::sec::CASES,
        security::xcard::CASES,
        security::ext::CASES,
    ];
    groups.iter().flat_map(|g| g.iter().copied()).collect()
}
