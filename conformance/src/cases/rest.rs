//! Cases for REST (digest §9).

use crate::case::Case;

/// The REST cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
