//! Server-sent events (digest §1.3, §2.4): a hand-written response body over an
//! [`EventStream`].
//!
//! Each poll drains every event that is ready into one frame, so a fast producer is matched by
//! fewer, larger writes rather than by a growing queue. JSON-RPC events are wrapped by
//! concatenating a pre-built envelope prefix around the shared event bytes. Idleness is measured
//! by one `Sleep` that is reset after every frame; when it fires the client gets a keep-alive
//! comment.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use hyper::body::{Body, Frame};
use tokio::time::{Instant, Sleep};

use crate::config::{Config, Fault};
use crate::error::A2aError;
use crate::http::{faulted, App, Gauge, ResBody};
use crate::service::{EventStream, StreamItem};

/// Frames bigger than this are split across polls, so one poll never buffers without bound.
const MAX_FRAME: usize = 64 * 1024;

const KEEPALIVE: &[u8] = b": keep-alive\n\n";

/// How events are wrapped on the wire.
pub(crate) enum Framing {
    /// `data: {"jsonrpc":"2.0","id":<id>,"result":<event>}`; holds the serialized id.
    JsonRpc(Bytes),
    /// `data: <event>`; errors as `event: error` + `data: {"error":…}`.
    Rest,
}

/// An SSE response body; ends when the event stream ends, after an in-stream error, or when
/// the server shuts down.
pub struct SseBody {
    stream: EventStream,
    framing: Framing,
    config: Arc<Config>,
    keepalive: Duration,
    idle: Pin<Box<Sleep>>,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    done: bool,
    _open: Gauge,
}

/// A 200 `text/event-stream` response streaming `stream`.
pub(crate) fn response(app: &App, stream: EventStream, framing: Framing) -> Response<ResBody> {
    let mut shutdown = app.shutdown.clone();
    let body = SseBody {
        stream,
        framing,
        config: app.config.clone(),
        keepalive: app.config.keepalive,
        idle: Box::pin(tokio::time::sleep(app.config.keepalive)),
        // Belt and braces: the core ends streams on shutdown; this ends the body even if an
        // event source is slow to notice.
        shutdown: Box::pin(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        }),
        done: false,
        _open: Gauge::enter(&app.streams),
    };
    let mut res = Response::new(ResBody::Sse(body));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

impl SseBody {
    fn push_event(&self, buf: &mut BytesMut, event: &[u8]) {
        match &self.framing {
            Framing::JsonRpc(id) => {
                buf.reserve(event.len() + id.len() + 40);
                buf.put_slice(b"data: {\"jsonrpc\":\"2.0\",\"id\":");
                buf.put_slice(id);
                buf.put_slice(b",\"result\":");
                buf.put_slice(event);
                buf.put_slice(b"}\n\n");
            }
            Framing::Rest => {
                buf.reserve(event.len() + 8);
                buf.put_slice(b"data: ");
                buf.put_slice(event);
                buf.put_slice(b"\n\n");
            }
        }
    }

    fn push_error(&self, buf: &mut BytesMut, e: A2aError) {
        let e = faulted(&self.config, e);
        match &self.framing {
            Framing::JsonRpc(id) => {
                buf.put_slice(b"data: {\"jsonrpc\":\"2.0\",\"id\":");
                buf.put_slice(id);
                buf.put_slice(b",\"error\":");
                buf.put_slice(&crate::http::to_bytes(&e.to_jsonrpc()));
                buf.put_slice(b"}\n\n");
            }
            Framing::Rest => {
                let mut body = e.to_rest();
                if self.config.fault == Some(Fault::RestErrorShape) {
                    body = body["error"].take();
                }
                buf.put_slice(b"event: error\ndata: ");
                buf.put_slice(&crate::http::to_bytes(&body));
                buf.put_slice(b"\n\n");
            }
        }
    }
}

impl Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut buf = BytesMut::new();
        while buf.len() < MAX_FRAME {
            match this.stream.poll_next(cx) {
                Poll::Ready(Some(StreamItem::Event(event))) => this.push_event(&mut buf, &event),
                Poll::Ready(Some(StreamItem::Error(e))) => {
                    this.push_error(&mut buf, e);
                    this.done = true;
                    break;
                }
                Poll::Ready(None) => {
                    this.done = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if !buf.is_empty() {
            let deadline = Instant::now() + this.keepalive;
            this.idle.as_mut().reset(deadline);
            return Poll::Ready(Some(Ok(Frame::data(buf.freeze()))));
        }
        if this.done {
            return Poll::Ready(None);
        }
        if this.shutdown.as_mut().poll(cx).is_ready() {
            this.done = true;
            return Poll::Ready(None);
        }
        if this.idle.as_mut().poll(cx).is_ready() {
            let deadline = Instant::now() + this.keepalive;
            this.idle.as_mut().reset(deadline);
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(KEEPALIVE)))));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use http_body_util::BodyExt;
    use tokio::sync::mpsc;

    use super::*;
    use crate::error::ErrorKind;

    fn body(framing: Framing, keepalive: Duration) -> (mpsc::Sender<StreamItem>, SseBody) {
        let (tx, rx) = mpsc::channel(16);
        let config = Arc::new(Config {
            keepalive,
            ..Config::default()
        });
        let body = SseBody {
            stream: EventStream::new(rx),
            framing,
            config,
            keepalive,
            idle: Box::pin(tokio::time::sleep(keepalive)),
            shutdown: Box::pin(std::future::pending()),
            done: false,
            _open: Gauge::enter(&Arc::new(AtomicUsize::new(0))),
        };
        (tx, body)
    }

    async fn next(body: &mut SseBody) -> Option<Bytes> {
        body.frame().await.map(|f| f.unwrap().into_data().unwrap())
    }

    #[tokio::test]
    async fn ready_events_are_batched_into_one_frame_and_wrapped() {
        let (tx, mut body) = body(
            Framing::JsonRpc(Bytes::from_static(b"\"r1\"")),
            Duration::from_secs(60),
        );
        for e in [&b"{\"task\":{}}"[..], b"{\"statusUpdate\":{}}"] {
            tx.send(StreamItem::Event(Bytes::copy_from_slice(e)))
                .await
                .unwrap();
        }
        let frame = next(&mut body).await.unwrap();
        assert_eq!(
            &frame[..],
            b"data: {\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"result\":{\"task\":{}}}\n\n\
              data: {\"jsonrpc\":\"2.0\",\"id\":\"r1\",\"result\":{\"statusUpdate\":{}}}\n\n"
        );
        drop(tx);
        assert_eq!(next(&mut body).await, None);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_in_each_binding_form() {
        let (tx, mut body) = body(Framing::Rest, Duration::from_secs(60));
        tx.send(StreamItem::Event(Bytes::from_static(b"{\"task\":{}}")))
            .await
            .unwrap();
        tx.send(StreamItem::Error(A2aError::new(
            ErrorKind::Internal,
            "boom",
        )))
        .await
        .unwrap();
        tx.send(StreamItem::Event(Bytes::from_static(b"{\"never\":1}")))
            .await
            .unwrap();
        let frame = String::from_utf8(next(&mut body).await.unwrap().to_vec()).unwrap();
        let (first, error) = frame.split_once("\n\n").unwrap();
        assert_eq!(first, "data: {\"task\":{}}");
        let error = error
            .strip_prefix("event: error\ndata: ")
            .unwrap()
            .trim_end();
        let v: serde_json::Value = serde_json::from_str(error).unwrap();
        assert_eq!(v["error"]["status"], "INTERNAL");
        assert_eq!(next(&mut body).await, None);

        let (tx, mut body) = body_rpc();
        tx.send(StreamItem::Error(A2aError::task_not_found("t")))
            .await
            .unwrap();
        let frame = String::from_utf8(next(&mut body).await.unwrap().to_vec()).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(frame.strip_prefix("data: ").unwrap().trim_end()).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["error"]["code"], -32001);
        assert_eq!(next(&mut body).await, None);
    }

    fn body_rpc() -> (mpsc::Sender<StreamItem>, SseBody) {
        body(
            Framing::JsonRpc(Bytes::from_static(b"7")),
            Duration::from_secs(60),
        )
    }

    #[tokio::test]
    async fn idleness_produces_keep_alive_comments_and_events_reset_the_timer() {
        let (tx, mut body) = body(Framing::Rest, Duration::from_millis(30));
        assert_eq!(
            next(&mut body).await.unwrap(),
            Bytes::from_static(KEEPALIVE)
        );
        tx.send(StreamItem::Event(Bytes::from_static(b"{}")))
            .await
            .unwrap();
        assert_eq!(
            next(&mut body).await.unwrap(),
            Bytes::from_static(b"data: {}\n\n")
        );
        assert_eq!(
            next(&mut body).await.unwrap(),
            Bytes::from_static(KEEPALIVE)
        );
    }
}
