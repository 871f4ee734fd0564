//! Cases for DATA (digest §9).

use crate::case::Case;

/// The DATA cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
