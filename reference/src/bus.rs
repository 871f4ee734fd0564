//! Stream fan-out: one bounded buffer per subscriber, and the cut-off rule for laggards.
//!
//! Every event is serialized once into `Bytes` and offered to each subscriber with `try_send`,
//! so the producer never waits for anyone and the cost per event is one refcount bump per
//! subscriber, however many there are. A subscriber whose buffer is full is cut off: its sender
//! is dropped, so its stream ends cleanly after the events already buffered. It never sees a
//! gap; it may resubscribe and starts again from a fresh Task snapshot.
//!
//! A producer that can afford it (the test agent's `stream`) may pace itself to its readers with
//! [`most_behind`]: it waits for the fullest buffer to drain a little, but each subscriber has
//! only a small total waiting budget ([`PACE_BUDGET`]). A healthy reader that was merely
//! descheduled for a moment is not cut off; a reader that stays slow spends its budget once,
//! after which the producer runs at full speed and the reader is cut off as above.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};

use crate::service::{EventStream, StreamItem};
use crate::task::State;

/// How long in total a producer may wait for one subscriber to drain before ignoring it.
pub(crate) const PACE_BUDGET: Duration = Duration::from_millis(500);

/// One registered stream.
pub(crate) struct Subscriber {
    tx: mpsc::Sender<StreamItem>,
    /// Message streams close at INPUT_REQUIRED/AUTH_REQUIRED (STRM-005); subscriptions stay open.
    close_on_interrupt: bool,
    /// What is left of [`PACE_BUDGET`] for this subscriber.
    budget: Duration,
}

/// What to do with subscribers when an event is published.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Policy {
    /// The DropLaggingSilently fault: a full buffer loses the event but keeps the subscriber.
    pub(crate) drop_silently: bool,
    /// The StreamNeverCloses fault: nobody is closed at terminal states.
    pub(crate) never_close: bool,
}

/// Counts open [`EventStream`]s; each stream holds a [`GaugeGuard`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Gauge(Arc<AtomicUsize>);

struct GaugeGuard(Arc<AtomicUsize>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Gauge {
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// A new stream with room for `buffer` events.
    pub(crate) fn channel(&self, buffer: usize) -> (mpsc::Sender<StreamItem>, EventStream) {
        let (tx, rx) = mpsc::channel(buffer.max(1));
        self.0.fetch_add(1, Ordering::Relaxed);
        let guard = GaugeGuard(self.0.clone());
        (tx, EventStream::with_guard(rx, Box::new(guard)))
    }
}

impl Subscriber {
    pub(crate) fn new(tx: mpsc::Sender<StreamItem>, close_on_interrupt: bool) -> Self {
        Self {
            tx,
            close_on_interrupt,
            budget: PACE_BUDGET,
        }
    }
}

/// The subscriber with the fullest buffer, if it is more than half full and still has pacing
/// budget: a clone of its sender (to wait on with `reserve`) and the budget left.
pub(crate) fn most_behind(subs: &[Subscriber]) -> Option<(mpsc::Sender<StreamItem>, Duration)> {
    subs.iter()
        .filter(|s| !s.budget.is_zero())
        .min_by_key(|s| s.tx.capacity())
        .filter(|s| s.tx.capacity() * 2 < s.tx.max_capacity())
        .map(|s| (s.tx.clone(), s.budget))
}

/// Charges `spent` to the budget of the subscriber behind `tx`.
pub(crate) fn charge(subs: &mut [Subscriber], tx: &mpsc::Sender<StreamItem>, spent: Duration) {
    if let Some(s) = subs.iter_mut().find(|s| s.tx.same_channel(tx)) {
        s.budget = s.budget.saturating_sub(spent);
    }
}

/// Offers `ev` to every subscriber, then closes the streams that end at `state`.
pub(crate) fn publish(subs: &mut Vec<Subscriber>, ev: &Bytes, state: Option<State>, p: Policy) {
    let closing = state.is_some_and(|st| st.is_terminal());
    subs.retain(|s| match s.tx.try_send(StreamItem::Event(ev.clone())) {
        Ok(()) => true,
        Err(TrySendError::Full(item)) if p.drop_silently && closing => {
            // The fault behaves like a lagging broadcast receiver: intermediate events are
            // lost, but the final one is still delivered, so the reader sees a silent gap.
            let tx = s.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(item).await;
            });
            false
        }
        Err(TrySendError::Full(_)) => p.drop_silently,
        Err(TrySendError::Closed(_)) => false,
    });
    if p.never_close {
        return;
    }
    match state {
        Some(st) if st.is_terminal() => subs.clear(),
        Some(st) if st.is_interrupted() => subs.retain(|s| !s.close_on_interrupt),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_subscriber_is_cut_off_after_its_buffered_events() {
        let gauge = Gauge::default();
        let (tx, mut slow) = gauge.channel(2);
        let (tx2, mut fast) = gauge.channel(100);
        let mut subs = vec![Subscriber::new(tx, false), Subscriber::new(tx2, false)];
        for i in 0..5u8 {
            publish(&mut subs, &Bytes::from(vec![i]), None, Policy::default());
        }
        assert_eq!(subs.len(), 1, "only the fast subscriber remains");
        let mut got = Vec::new();
        while let Some(StreamItem::Event(b)) = slow.next().await {
            got.push(b[0]);
        }
        assert_eq!(got, vec![0, 1], "a prefix, then a clean end: no gap");
        drop(subs);
        let mut all = Vec::new();
        while let Some(StreamItem::Event(b)) = fast.next().await {
            all.push(b[0]);
        }
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        assert_eq!(gauge.get(), 2);
        drop((slow, fast));
        assert_eq!(gauge.get(), 0);
    }

    #[tokio::test]
    async fn pacing_picks_the_fullest_reader_until_its_budget_is_spent() {
        let gauge = Gauge::default();
        let (a, _ra) = gauge.channel(4);
        let (b, _rb) = gauge.channel(4);
        let mut subs = vec![Subscriber::new(a, false), Subscriber::new(b.clone(), false)];
        assert!(most_behind(&subs).is_none(), "nobody is behind yet");
        for _ in 0..3 {
            b.try_send(StreamItem::Event(Bytes::new())).unwrap();
        }
        let (tx, budget) = most_behind(&subs).expect("b is more than half full");
        assert!(tx.same_channel(&b));
        assert_eq!(budget, PACE_BUDGET);
        charge(&mut subs, &b, PACE_BUDGET);
        assert!(
            most_behind(&subs).is_none(),
            "a spent budget is not waited on again"
        );
    }

    #[tokio::test]
    async fn interrupted_states_close_only_message_streams() {
        let gauge = Gauge::default();
        let (a, mut msg_stream) = gauge.channel(8);
        let (b, _sub_stream) = gauge.channel(8);
        let mut subs = vec![Subscriber::new(a, true), Subscriber::new(b, false)];
        publish(
            &mut subs,
            &Bytes::from_static(b"x"),
            Some(State::InputRequired),
            Policy::default(),
        );
        assert_eq!(subs.len(), 1);
        assert!(matches!(
            msg_stream.next().await,
            Some(StreamItem::Event(_))
        ));
        assert!(msg_stream.next().await.is_none());
        publish(
            &mut subs,
            &Bytes::from_static(b"y"),
            Some(State::Completed),
            Policy::default(),
        );
        assert!(subs.is_empty());
    }
}
