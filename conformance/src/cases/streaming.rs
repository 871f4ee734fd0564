//! Cases for SSE, STRM, SUB (digest §9).

use crate::case::Case;

/// The SSE, STRM, SUB cases, in digest order.
pub(crate) const CASES: &[Case] = &[];
