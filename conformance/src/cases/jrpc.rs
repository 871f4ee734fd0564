//! Cases for JRPC (digest §9).

use crate::case::Case;

/// The JRPC cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
