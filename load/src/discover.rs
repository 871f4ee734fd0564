//! Which interface each binding's load goes to, read from the agent card by the shared
//! discovery ([`gauntlet_a2a::Target::discover`]).

use std::time::Duration;

use gauntlet_a2a::{DiscoverError, Target};

use crate::{Binding, Endpoint, WireError};

// Discovery
// ---------------------------------------------------------------------------------------------

/// What the agent card says about load targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Endpoint for the JSON-RPC interface (the given URL when the card names none).
    pub jsonrpc: Endpoint,
    /// Endpoint for the REST interface (the given URL when the card names none).
    pub rest: Endpoint,
    /// The card lists the `gauntlet-test-agent` skill.
    pub test_agent: bool,
    /// `capabilities.streaming` is true.
    pub streaming: bool,
}

impl Discovered {
    /// The target for `binding`.
    pub fn target(&self, binding: Binding) -> &Endpoint {
        match binding {
            Binding::JsonRpc => &self.jsonrpc,
            Binding::Rest => &self.rest,
        }
    }
}

/// Discovers the card at `url` and resolves the interface endpoint of each binding.
pub async fn discover(url: &str, timeout: Duration) -> Result<Discovered, WireError> {
    let base = Endpoint::resolve(url).await?;
    let target = Target::discover(url, timeout).await.map_err(|e| match e {
        DiscoverError::InvalidUrl(_) => WireError::InvalidUrl(url.to_owned()),
        DiscoverError::Unreachable { cause, .. } => cause,
        DiscoverError::NotA2a(m) => WireError::Http(m),
    })?;
    // An interface the card does not name, or whose URL does not resolve: the given URL.
    let endpoint = |binding| {
        let target = &target;
        let base = &base;
        async move {
            target
                .endpoint(binding)
                .await
                .unwrap_or_else(|| base.clone())
        }
    };
    Ok(Discovered {
        jsonrpc: endpoint(Binding::JsonRpc).await,
        rest: endpoint(Binding::Rest).await,
        test_agent: target.test_agent,
        streaming: target.streaming,
    })
}

// ---------------------------------------------------------------------------------------------
