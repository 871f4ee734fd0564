//! Cases for VER (digest §9).

use crate::case::Case;

/// The VER cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
