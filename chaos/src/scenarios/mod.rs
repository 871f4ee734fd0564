//! The chaos catalogue: one module per scenario family, one ordered list.

use crate::scenario::Scenario;

/// Every scenario, in run order (lifecycle scenarios last: they restart the server).
pub static ALL: &[Scenario] = &[];
