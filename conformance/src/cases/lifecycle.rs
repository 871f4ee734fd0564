//! Cases for CTX, LIFE (digest §9).

use crate::case::Case;

/// The CTX, LIFE cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
