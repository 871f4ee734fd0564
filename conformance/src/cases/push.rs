//! Cases for PUSH (digest §9).

use crate::case::Case;

/// The PUSH cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
