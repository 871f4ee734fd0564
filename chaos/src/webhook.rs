//! Webhook receivers that misbehave. The recording and scripted answers (5xx, `Retry-After`,
//! stalls, redirects, accepting duplicates) come from [`gauntlet_conformance::webhook`]; this
//! adds what it lacks: connections reset (RST) before any answer, by putting a
//! [`FaultProxy`](crate::proxy::FaultProxy) in front of it for the first few connections.

use std::time::Duration;

pub use gauntlet_conformance::webhook::{Delivery, Scripted, WebhookReceiver};

use crate::errors::ChaosError;
use crate::proxy::{Direction, FaultPlan, FaultProxy, Trigger};

/// A recording webhook receiver whose first `reset_first` connections are reset as soon as the
/// sender's request starts, and which then answers from a script.
pub struct FaultyWebhook {
    receiver: WebhookReceiver,
    proxy: FaultProxy,
}

impl FaultyWebhook {
    /// Starts the receiver (answering `script`, then 200) behind a proxy that resets the first
    /// `reset_first` connections.
    pub async fn start(script: Vec<Scripted>, reset_first: usize) -> Result<Self, ChaosError> {
        let receiver = WebhookReceiver::with_script(script)
            .await
            .map_err(|e| ChaosError::io("start webhook receiver", &e))?;
        let plan = FaultPlan {
            direction: Direction::ToServer,
            reset: Some(Trigger::Bytes(0)),
            faulty_connections: Some(reset_first),
            ..FaultPlan::default()
        };
        let proxy = FaultProxy::start(receiver.addr(), plan).await?;
        Ok(FaultyWebhook { receiver, proxy })
    }

    /// The webhook URL to configure (through the resetting front).
    pub fn url(&self) -> String {
        format!("http://{}/webhook", self.proxy.addr())
    }

    /// Connections the front reset so far.
    pub fn resets(&self) -> usize {
        self.proxy
            .stats()
            .resets
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Connections the server opened to the webhook so far (reset ones included).
    pub fn connections(&self) -> usize {
        self.proxy
            .stats()
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The recording receiver behind the front.
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }
}

/// Gaps between consecutive deliveries.
pub fn intervals(deliveries: &[Delivery]) -> Vec<Duration> {
    deliveries
        .windows(2)
        .map(|w| w[1].at.saturating_duration_since(w[0].at))
        .collect()
}

/// The identity of a delivered event, to tell retries of one event from distinct events: the
/// StreamResponse member plus the state or artifact chunk it carries.
pub fn event_key(d: &Delivery) -> String {
    let Some(v) = &d.json else {
        return format!("raw:{}", String::from_utf8_lossy(&d.body));
    };
    if let Some(u) = v.get("statusUpdate") {
        format!("status:{}", u["status"]["state"].as_str().unwrap_or("?"))
    } else if let Some(u) = v.get("artifactUpdate") {
        let a = &u["artifact"];
        match crate::a2a::whole_number(&a["parts"][0]["data"]["seq"]) {
            Some(s) => format!("artifact:{}#{s}", a["artifactId"].as_str().unwrap_or("?")),
            None => format!("artifact:{}", a["artifactId"].as_str().unwrap_or("?")),
        }
    } else if let Some(t) = v.get("task") {
        format!("task:{}", t["status"]["state"].as_str().unwrap_or("?"))
    } else {
        format!("other:{v}")
    }
}
