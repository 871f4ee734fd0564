//! The scripted test agent of `fixtures/test-agent.md`, plus the official TCK's messageId
//! scenarios (`spec/tck-map.md`, "TCK SUT scenario contract").
//!
//! A command is chosen once per message: a TCK messageId prefix wins (longest first), then the
//! first word of the first text part. The agent acts only through [`Run`], whose every step
//! updates the task and publishes its event in one critical section. A step on a task that
//! became terminal (canceled) is refused, which is how a running agent learns it must stop.
//! Commands without waits run to completion in one poll, so the store can run them inline on
//! the request's own task instead of spawning.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::config::Fault;
use crate::store::Shared;
use crate::task::{text_part, Artifact, State, TaskEntry};

/// Largest `N` of `stream N` (larger values are clamped to it). 20,000 chunks are what the
/// largest scenario asks for (CHAOS-SLOW-001); stored compactly they take well under 1 MiB, so
/// no single request can make the agent hold more than a bounded, small amount.
pub(crate) const MAX_CHUNKS: u64 = 20_000;
/// Largest `MS` of any command.
pub(crate) const MAX_MS: u64 = 60_000;

/// The TCK scenarios, matched on the messageId prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tck {
    CompleteTask,
    InputRequired,
    RejectTask,
    MessageResponse,
    ArtifactText,
    ArtifactFile,
    ArtifactFileUrl,
    ArtifactData,
    /// WORKING, one text artifact, COMPLETED (stream-001/003, ordering-001, stream-artifact-text).
    StreamText(&'static str),
    /// Straight to COMPLETED.
    Stream002,
    StreamArtifactFile,
    StreamArtifactChunked,
    Resubscribe,
}

/// Longest prefix first (`tck-artifact-file-url` before `tck-artifact-file`).
const TCK_PREFIXES: &[(&str, Tck)] = &[
    ("tck-stream-artifact-chunked", Tck::StreamArtifactChunked),
    ("test-resubscribe-message-id", Tck::Resubscribe),
    ("tck-stream-ordering-001", Tck::StreamText("Ordered output")),
    (
        "tck-stream-artifact-text",
        Tck::StreamText("Streamed text content"),
    ),
    ("tck-stream-artifact-file", Tck::StreamArtifactFile),
    ("tck-artifact-file-url", Tck::ArtifactFileUrl),
    ("tck-message-response", Tck::MessageResponse),
    ("tck-input-required", Tck::InputRequired),
    ("tck-complete-task", Tck::CompleteTask),
    ("tck-artifact-text", Tck::ArtifactText),
    ("tck-artifact-file", Tck::ArtifactFile),
    ("tck-artifact-data", Tck::ArtifactData),
    ("tck-reject-task", Tck::RejectTask),
    ("tck-stream-001", Tck::StreamText("Stream hello from TCK")),
    ("tck-stream-002", Tck::Stream002),
    ("tck-stream-003", Tck::StreamText("Stream task lifecycle")),
];

/// What the agent was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Echo the text back as artifact `echo` (also the answer to a follow-up message).
    Echo(String),
    /// Reply with a Message, no task; holds the reply text.
    Message(String),
    Stream {
        n: u64,
        ms: u64,
    },
    /// Waits `ms`, then echoes `text` (the whole input).
    Slow {
        ms: u64,
        text: String,
    },
    Hang,
    InputRequired,
    AuthRequired,
    Fail,
    Reject,
    Parts,
    Tck(Tck),
}

impl Command {
    /// Picks the command for a new message.
    pub(crate) fn parse(message_id: &str, text: Option<&str>) -> Command {
        if let Some(t) = tck(message_id) {
            return match t {
                Tck::MessageResponse => Command::Message("Direct message response".to_owned()),
                t => Command::Tck(t),
            };
        }
        let whole = text.unwrap_or("");
        let trimmed = whole.trim();
        let (word, rest) = match trimmed.find(char::is_whitespace) {
            Some(i) => (&trimmed[..i], trimmed[i..].trim_start()),
            None => (trimmed, ""),
        };
        let mut args = rest.split_whitespace();
        let mut arg = |default: u64, max: u64| match args.next() {
            None => default,
            Some(a) if a.starts_with('-') && a[1..].bytes().all(|b| b.is_ascii_digit()) => 0,
            Some(a) if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) => {
                a.parse::<u64>().unwrap_or(max).min(max)
            }
            Some(_) => default,
        };
        match word.to_ascii_lowercase().as_str() {
            "message" => Command::Message(format!("message: {rest}")),
            "stream" => {
                let n = arg(1, MAX_CHUNKS);
                let ms = arg(0, MAX_MS);
                Command::Stream { n, ms }
            }
            "slow" => Command::Slow {
                ms: arg(1000, MAX_MS),
                text: whole.to_owned(),
            },
            "hang" => Command::Hang,
            "input-required" => Command::InputRequired,
            "auth-required" => Command::AuthRequired,
            "fail" => Command::Fail,
            "reject" => Command::Reject,
            "parts" => Command::Parts,
            _ => Command::Echo(whole.to_owned()),
        }
    }

    /// Picks the command for a message that continues an existing task: a TCK prefix still
    /// applies, anything else is answered with the echo of its text.
    pub(crate) fn parse_follow_up(message_id: &str, text: Option<&str>) -> Command {
        match tck(message_id) {
            Some(Tck::MessageResponse) | None => Command::Echo(text.unwrap_or("").to_owned()),
            Some(t) => Command::Tck(t),
        }
    }

    /// True when the command never waits, so running it inline completes in one poll.
    pub(crate) fn is_instant(&self) -> bool {
        !matches!(
            self,
            Command::Stream { .. }
                | Command::Slow { .. }
                | Command::Hang
                | Command::Tck(Tck::Resubscribe)
        )
    }
}

fn tck(message_id: &str) -> Option<Tck> {
    if !(message_id.starts_with("tck-") || message_id.starts_with("test-")) {
        return None;
    }
    TCK_PREFIXES
        .iter()
        .find(|(p, _)| message_id.starts_with(p))
        .map(|(_, t)| *t)
}

/// The agent's handle on one task.
pub(crate) struct Run {
    pub(crate) shared: Arc<Shared>,
    pub(crate) entry: Arc<TaskEntry>,
}

impl Run {
    fn status(&self, state: State, text: Option<&str>) -> bool {
        let message = text.map(|t| {
            crate::task::agent_message(
                &self.entry.context_id,
                Some(&self.entry.id),
                vec![text_part(t)],
            )
        });
        self.shared.set_status(&self.entry, state, message)
    }

    fn artifact(
        &self,
        id: &str,
        name: Option<&str>,
        parts: Vec<Value>,
        append: bool,
        last: bool,
    ) -> bool {
        let chunk = Artifact {
            artifact_id: id.to_owned(),
            name: name.map(str::to_owned),
            parts,
        };
        self.shared
            .add_artifact(&self.entry, chunk, append, last, true)
    }

    /// Waits `ms`; false if the task ended (canceled) or the shutdown grace ran out meanwhile.
    async fn sleep(&self, ms: u64) -> bool {
        let mut shutdown = self.shared.abandon_rx();
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(ms)) => !self.entry.state().is_terminal(),
            _ = self.entry.wait_until(State::is_terminal) => false,
            _ = shutdown.wait_for(|s| *s) => false,
        }
    }

    fn echo(&self, text: &str) -> bool {
        self.artifact(
            "echo",
            Some("echo"),
            vec![text_part(format!("echo: {text}"))],
            false,
            true,
        )
    }
}

/// Runs `cmd` on the task to its end (or to an interruption).
pub(crate) async fn run(r: Run, cmd: Command) {
    match cmd {
        Command::Echo(text) => {
            let _ =
                r.status(State::Working, None) && r.echo(&text) && r.status(State::Completed, None);
        }
        // The store answers `message` without a task; reaching here means a follow-up, so echo.
        Command::Message(text) => {
            let _ =
                r.status(State::Working, None) && r.echo(&text) && r.status(State::Completed, None);
        }
        Command::Stream { n, ms } => {
            if !r.status(State::Working, None) {
                return;
            }
            let gap = r.shared.config.fault == Some(Fault::StreamGap) && n >= 2;
            for i in 0..n {
                let chunk = Artifact {
                    artifact_id: "stream".to_owned(),
                    name: None,
                    parts: vec![json!({"data": {"seq": i, "of": n}})],
                };
                let publish = !(gap && i == n / 2);
                if !r
                    .shared
                    .add_artifact(&r.entry, chunk, i > 0, i + 1 == n, publish)
                {
                    return;
                }
                // Readers drain between chunks, so a healthy reader is never cut off.
                r.shared.pace(&r.entry).await;
                if ms > 0 {
                    if !r.sleep(ms).await {
                        return;
                    }
                } else {
                    tokio::task::yield_now().await;
                }
            }
            r.status(State::Completed, None);
        }
        Command::Slow { ms, text } => {
            let _ = r.status(State::Working, None)
                && r.sleep(ms).await
                && r.echo(&text)
                && r.status(State::Completed, None);
        }
        Command::Hang => {
            if r.status(State::Working, None) {
                // Ends on CancelTask (terminal) or shutdown.
                let _ = r.sleep(u64::MAX / 4).await;
            }
        }
        Command::InputRequired => {
            let _ = r.status(State::Working, None)
                && r.status(State::InputRequired, Some("input required"));
        }
        Command::AuthRequired => {
            let _ = r.status(State::Working, None)
                && r.status(State::AuthRequired, Some("auth required"));
        }
        Command::Fail => {
            let _ =
                r.status(State::Working, None) && r.status(State::Failed, Some("failed as asked"));
        }
        Command::Reject => {
            r.status(State::Rejected, Some("rejected as asked"));
        }
        Command::Parts => {
            let parts = vec![
                json!({"text": "t"}),
                json!({"raw": "Z2F1bnRsZXQ=", "mediaType": "application/octet-stream", "filename": "g.bin"}),
                json!({"url": "https://example.com/g.txt", "mediaType": "text/plain"}),
                json!({"data": {"k": "v"}}),
            ];
            let _ = r.status(State::Working, None)
                && r.artifact("parts", Some("parts"), parts, false, true)
                && r.status(State::Completed, None);
        }
        Command::Tck(t) => run_tck(r, t).await,
    }
}

async fn run_tck(r: Run, t: Tck) {
    let one = |parts: Value| {
        let id = crate::ids::new_id();
        let parts = match parts {
            Value::Array(a) => a,
            p => vec![p],
        };
        r.artifact(&id, None, parts, false, true)
    };
    let file = json!({"raw": "dGNr", "mediaType": "text/plain", "filename": "output.txt"});
    match t {
        Tck::CompleteTask => {
            r.status(State::Completed, Some("Hello from TCK"));
        }
        Tck::InputRequired => {
            r.status(State::InputRequired, None);
        }
        Tck::RejectTask => {
            r.status(State::Rejected, Some("rejected"));
        }
        // Parsed into Command::Message; as a follow-up it is an echo.
        Tck::MessageResponse => {
            let _ = r.echo("") && r.status(State::Completed, None);
        }
        Tck::ArtifactText => {
            let _ =
                one(json!({"text": "Generated text content"})) && r.status(State::Completed, None);
        }
        Tck::ArtifactFile => {
            let _ = one(file) && r.status(State::Completed, None);
        }
        Tck::ArtifactFileUrl => {
            let part = json!({"url": "https://example.com/output.txt", "mediaType": "text/plain", "filename": "output.txt"});
            let _ = one(part) && r.status(State::Completed, None);
        }
        Tck::ArtifactData => {
            let _ = one(json!({"data": {"key": "value", "count": 42}}))
                && r.status(State::Completed, None);
        }
        Tck::StreamText(text) => {
            let _ = r.status(State::Working, None)
                && one(json!({"text": text}))
                && r.status(State::Completed, None);
        }
        Tck::Stream002 => {
            r.status(State::Completed, None);
        }
        Tck::StreamArtifactFile => {
            let _ = r.status(State::Working, None) && one(file) && r.status(State::Completed, None);
        }
        Tck::StreamArtifactChunked => {
            let id = crate::ids::new_id();
            let _ = r.status(State::Working, None)
                && r.artifact(&id, None, vec![text_part("chunk-1 ")], false, false)
                && r.artifact(&id, None, vec![text_part("chunk-2")], true, true)
                && r.status(State::Completed, None);
        }
        Tck::Resubscribe => {
            // Twice the TCK's default streaming timeout, as its reference SUTs do.
            let _ = r.status(State::Working, None)
                && r.sleep(4_000).await
                && r.status(State::Completed, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_commands_parse_with_clamped_arguments() {
        let p = |t: &str| Command::parse("m1", Some(t));
        assert_eq!(p("  Stream 5 20 "), Command::Stream { n: 5, ms: 20 });
        assert_eq!(p("stream"), Command::Stream { n: 1, ms: 0 });
        // The documented cap (fixtures/test-agent.md §2): one request stores at most this much.
        assert_eq!(p("stream 20001"), Command::Stream { n: 20_000, ms: 0 });
        assert_eq!(
            p("stream 999999999999999999999 -3"),
            Command::Stream {
                n: MAX_CHUNKS,
                ms: 0
            }
        );
        assert_eq!(
            p("slow 70000"),
            Command::Slow {
                ms: MAX_MS,
                text: "slow 70000".into()
            }
        );
        assert_eq!(p("HANG"), Command::Hang);
        assert_eq!(
            p("message  hello world"),
            Command::Message("message: hello world".into())
        );
        assert_eq!(p("hello there"), Command::Echo("hello there".into()));
        assert_eq!(Command::parse("m", None), Command::Echo(String::new()));
        assert_eq!(p("input-required"), Command::InputRequired);
        assert_eq!(p("auth-required"), Command::AuthRequired);
        assert_eq!(p("fail"), Command::Fail);
        assert_eq!(p("reject"), Command::Reject);
        assert_eq!(p("parts"), Command::Parts);
    }

    #[test]
    fn tck_prefixes_win_and_the_longest_matches() {
        let p = |id: &str| Command::parse(id, Some("stream 5"));
        assert_eq!(
            p("tck-artifact-file-url-1234abcd"),
            Command::Tck(Tck::ArtifactFileUrl)
        );
        assert_eq!(
            p("tck-artifact-file-1234abcd"),
            Command::Tck(Tck::ArtifactFile)
        );
        assert_eq!(
            p("tck-message-response-1"),
            Command::Message("Direct message response".into())
        );
        assert_eq!(
            p("tck-stream-001-x-jsonrpc"),
            Command::Tck(Tck::StreamText("Stream hello from TCK"))
        );
        assert_eq!(p("tck-unknown-1"), Command::Stream { n: 5, ms: 0 });
        assert_eq!(
            Command::parse_follow_up("x", Some("stream 5")),
            Command::Echo("stream 5".into())
        );
        assert_eq!(
            Command::parse_follow_up("tck-complete-task-1", Some("x")),
            Command::Tck(Tck::CompleteTask)
        );
    }
}
