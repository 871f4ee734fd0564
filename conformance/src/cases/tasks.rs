//! Cases for SEND, TASK, LIST, CANCEL (digest §9).

use crate::case::Case;

/// The SEND, TASK, LIST, CANCEL cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
