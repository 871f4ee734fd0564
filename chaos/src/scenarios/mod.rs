//! The chaos catalogue: one module per scenario family, one ordered list.
//!
//! | family | ids | what breaks |
//! |---|---|---|
//! | [`streams`] | SLOW, FAN | slow and stalled consumers, 100+ subscribers |
//! | [`disconnect`] | DISC, HALF | FIN, RST, proxy reset after event k, half-open peers |
//! | [`race`] | RACE | subscribing while the task finishes |
//! | [`push`] | PUSH | webhooks that reset, fail, ask to retry later |
//! | [`malformed`] | MAL, FLOOD | garbage, truncation, oversize, slowloris, floods |
//! | [`net`] | NET | slicing, latency, jitter, bandwidth |
//! | [`lifecycle`] | CYCLE, RESTART | start/stop cycling, TIME_WAIT, SIGTERM with open streams |

pub mod common;
pub mod disconnect;
pub mod hostile;
pub mod lifecycle;
pub mod malformed;
pub mod memory;
pub mod net;
pub mod push;
pub mod race;
pub mod streams;
pub mod webhooks;

use std::sync::LazyLock;

use crate::scenario::Scenario;

/// Every scenario, in run order (lifecycle scenarios last: they restart the server).
pub static ALL: LazyLock<Vec<Scenario>> = LazyLock::new(|| {
    [
        &streams::SCENARIOS[..],
        &disconnect::SCENARIOS[..],
        &race::SCENARIOS[..],
        &push::SCENARIOS[..],
        &webhooks::SCENARIOS[..],
        &net::SCENARIOS[..],
        &malformed::SCENARIOS[..],
        &hostile::SCENARIOS[..],
        &memory::SCENARIOS[..],
        &lifecycle::SCENARIOS[..],
    ]
    .concat()
});
