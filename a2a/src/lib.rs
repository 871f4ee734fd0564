//! The A2A facts that the oracle, chaos and load all need and none of them judges: the wire
//! bindings, the protocol version spoken, the skill by which a card names the scripted test
//! agent, and the server under test as its agent card describes it ([`Target`], discovered
//! once by [`Target::discover`]). One place, so the three cannot drift apart.
//!
//! It builds on [`gauntlet_wire`] and must never import the oracle, chaos, load or the
//! reference: a judge's vocabulary lives in the oracle, and the reference is what is judged.

pub mod target;

pub use target::{is_loopback_host, DiscoverError, Target, CARD_PATH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The skill id by which a card advertises the Gauntlet test agent.
pub const TEST_AGENT_SKILL: &str = "gauntlet-test-agent";

/// The protocol version the suite speaks (`A2A-Version`).
pub const PROTOCOL_VERSION: &str = "1.0";

/// A wire binding the suite can drive. Its serde name is [`Binding::short`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// JSON-RPC 2.0 (`protocolBinding: "JSONRPC"`).
    JsonRpc,
    /// HTTP+JSON / REST (`protocolBinding: "HTTP+JSON"`).
    Rest,
}

impl Binding {
    /// Both bindings in report order.
    pub const ALL: [Binding; 2] = [Binding::JsonRpc, Binding::Rest];

    /// The card's `protocolBinding` value.
    pub fn protocol_binding(self) -> &'static str {
        match self {
            Binding::JsonRpc => "JSONRPC",
            Binding::Rest => "HTTP+JSON",
        }
    }

    /// Short lower-case name for CLI flags and test names.
    pub fn short(self) -> &'static str {
        match self {
            Binding::JsonRpc => "jsonrpc",
            Binding::Rest => "rest",
        }
    }
}
