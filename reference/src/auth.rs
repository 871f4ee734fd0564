//! Bearer authentication: when tokens are configured, every A2A request (not the public card)
//! needs `Authorization: Bearer <token>`, and each token is its own identity. Failures are
//! answered at the HTTP layer (401 + `WWW-Authenticate`) with an error body in the binding's form.

use std::sync::Arc;

use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Response, StatusCode};

use crate::error::{A2aError, ErrorKind};
use crate::http::{App, ResBody};
use crate::service::Caller;

/// The challenge sent with every 401.
const CHALLENGE: HeaderValue = HeaderValue::from_static("Bearer realm=\"a2a\"");

/// The accepted tokens and the identity each one stands for.
pub(crate) struct Auth {
    tokens: Vec<(Box<[u8]>, Caller)>,
}

impl Auth {
    /// Authentication is off when `tokens` is empty.
    pub(crate) fn new(tokens: &[String]) -> Self {
        Self {
            tokens: tokens
                .iter()
                .map(|t| {
                    let caller = Caller {
                        identity: Some(identity_of(t)),
                    };
                    (t.as_bytes().into(), caller)
                })
                .collect(),
        }
    }

    /// The caller a request authenticates as, or Unauthenticated.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<Caller, A2aError> {
        if self.tokens.is_empty() {
            return Ok(Caller::default());
        }
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Err(A2aError::new(
                ErrorKind::Unauthenticated,
                "authentication required: send Authorization: Bearer <token>",
            ));
        };
        let value = value.as_bytes();
        let token = match value.iter().position(|b| *b == b' ') {
            Some(i) if value[..i].eq_ignore_ascii_case(b"bearer") => value[i + 1..].trim_ascii(),
            _ => {
                return Err(A2aError::new(
                    ErrorKind::Unauthenticated,
                    "the Authorization header must use the Bearer scheme",
                ))
            }
        };
        // Compare against every token without an early exit, so timing says little.
        let mut found = None;
        for (t, caller) in &self.tokens {
            if constant_time_eq(t, token) && found.is_none() {
                found = Some(caller);
            }
        }
        found.cloned().ok_or_else(|| {
            A2aError::new(ErrorKind::Unauthenticated, "the bearer token is not valid")
        })
    }
}

/// A stable identity name for a token that does not reveal it (identities may be logged).
fn identity_of(token: &str) -> Arc<str> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    Arc::from(format!("bearer-{:016x}", h.finish()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 401 with the challenge and an error body in the binding's form.
pub(crate) fn challenge(app: &App, rpc: bool, e: A2aError) -> Response<ResBody> {
    let mut res = if rpc {
        crate::jsonrpc::error_response(app, StatusCode::UNAUTHORIZED, e)
    } else {
        crate::rest::error_response(app, e)
    };
    if !app.fault(crate::config::Fault::NoAuthChallenge) {
        res.headers_mut().insert(WWW_AUTHENTICATE, CHALLENGE);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn each_token_maps_to_its_own_identity_without_revealing_it() {
        let auth = Auth::new(&["alpha".into(), "beta".into()]);
        let a = auth
            .check(&headers("Bearer alpha"))
            .unwrap()
            .identity
            .unwrap();
        let b = auth
            .check(&headers("BEARER  beta "))
            .unwrap()
            .identity
            .unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("alpha"));
        assert_eq!(
            auth.check(&headers("Bearer alpha"))
                .unwrap()
                .identity
                .unwrap(),
            a
        );
        assert!(auth.check(&headers("Bearer alph")).is_err());
        assert!(auth.check(&HeaderMap::new()).is_err());
    }

    #[test]
    fn no_tokens_means_anonymous_access() {
        let auth = Auth::new(&[]);
        assert_eq!(auth.check(&HeaderMap::new()).unwrap(), Caller::default());
    }
}
