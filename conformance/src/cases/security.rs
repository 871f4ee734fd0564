//! Cases for ERR, SEC, XCARD, EXT (digest §9).

use crate::case::Case;

/// The ERR, SEC, XCARD, EXT cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
