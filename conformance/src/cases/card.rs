//! Cases for CARD, CAP (digest §9).

use crate::case::Case;

/// The CARD, CAP cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
