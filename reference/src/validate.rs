//! Lenient ProtoJSON reading and request validation (digest §0, DATA-008..011).
//!
//! Parameters arrive as JSON values built by either binding. Keys may be lowerCamelCase or
//! snake_case, int32 fields may be numbers or numeric strings, enums may be names or numbers,
//! booleans may be `true`/`false` or their strings (REST query), and unknown keys are ignored.
//! `null` means unset. Every refusal is an InvalidParams naming the field (ERR-008). Accepted
//! messages are rebuilt in canonical camelCase form so nothing a client sent in snake_case is
//! ever echoed back.

use serde_json::{Map, Value};

use crate::error::A2aError;
use crate::task::State;

/// A JSON object of request parameters.
pub(crate) type Obj = Map<String, Value>;

/// The params as an object (absent params count as `{}`).
pub(crate) fn params(v: &Value) -> Result<&Obj, A2aError> {
    static EMPTY: std::sync::OnceLock<Obj> = std::sync::OnceLock::new();
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(EMPTY.get_or_init(Obj::new)),
        _ => Err(A2aError::invalid_field("params", "must be a JSON object")),
    }
}

/// The value under `camel` or `snake`, `null` counting as absent.
pub(crate) fn get<'a>(m: &'a Obj, camel: &str, snake: &str) -> Option<&'a Value> {
    match m.get(camel) {
        Some(Value::Null) | None => match m.get(snake) {
            Some(Value::Null) | None => None,
            v => v,
        },
        v => v,
    }
}

/// An optional string; `""` counts as absent (the ProtoJSON default).
pub(crate) fn opt_str<'a>(
    m: &'a Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<Option<&'a str>, A2aError> {
    match get(m, camel, snake) {
        None => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(A2aError::invalid_field(path, "must be a string")),
    }
}

/// A required non-empty string.
pub(crate) fn req_str<'a>(
    m: &'a Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<&'a str, A2aError> {
    opt_str(m, camel, snake, path)?.ok_or_else(|| A2aError::invalid_field(path, "is required"))
}

/// An optional int32, as a number or a numeric string.
pub(crate) fn opt_int(
    m: &Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<Option<i64>, A2aError> {
    let bad = || A2aError::invalid_field(path, "must be a 32-bit integer");
    let n = match get(m, camel, snake) {
        None => return Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => i,
            // 3.0 is an integer in JSON's eyes; 3.5 is not.
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e10 => f as i64,
                _ => return Err(bad()),
            },
        },
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    if i32::try_from(n).is_err() {
        return Err(bad());
    }
    Ok(Some(n))
}

/// An optional bool, also as the strings `true`/`false`.
pub(crate) fn opt_bool(
    m: &Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<Option<bool>, A2aError> {
    match get(m, camel, snake) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(_) => Err(A2aError::invalid_field(path, "must be a boolean")),
    }
}

/// An optional object.
pub(crate) fn opt_obj<'a>(
    m: &'a Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<Option<&'a Obj>, A2aError> {
    match get(m, camel, snake) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(A2aError::invalid_field(path, "must be an object")),
    }
}

/// An optional list of strings.
pub(crate) fn opt_str_list(
    m: &Obj,
    camel: &str,
    snake: &str,
    path: &str,
) -> Result<Vec<String>, A2aError> {
    match get(m, camel, snake) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(A2aError::invalid_field(path, "must be a list of strings")),
            })
            .collect(),
        Some(_) => Err(A2aError::invalid_field(path, "must be a list of strings")),
    }
}

/// `historyLength`: absent = everything, otherwise ≥ 0.
pub(crate) fn history_length(m: &Obj, path: &str) -> Result<Option<usize>, A2aError> {
    match opt_int(m, "historyLength", "history_length", path)? {
        None => Ok(None),
        Some(n) if n < 0 => Err(A2aError::invalid_field(path, "must not be negative")),
        Some(n) => Ok(Some(n as usize)),
    }
}

/// A `TaskState` by name or number; UNSPECIFIED (and anything unknown) is refused.
pub(crate) fn task_state(v: &Value, path: &str) -> Result<State, A2aError> {
    let bad = || A2aError::invalid_field(path, "must be a TaskState such as TASK_STATE_WORKING");
    match v {
        Value::String(s) => State::from_name(s)
            .or_else(|| s.parse::<i64>().ok().and_then(State::from_number))
            .ok_or_else(bad),
        Value::Number(n) => n.as_i64().and_then(State::from_number).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// A message role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `ROLE_USER`.
    User,
    /// `ROLE_AGENT`.
    Agent,
}

impl Role {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::User => "ROLE_USER",
            Role::Agent => "ROLE_AGENT",
        }
    }
}

fn role(v: &Value) -> Result<Role, A2aError> {
    let bad = || A2aError::invalid_field("message.role", "must be ROLE_USER or ROLE_AGENT");
    match v {
        Value::String(s) => match s.as_str() {
            "ROLE_USER" | "1" => Ok(Role::User),
            "ROLE_AGENT" | "2" => Ok(Role::Agent),
            _ => Err(bad()),
        },
        Value::Number(n) => match n.as_i64() {
            Some(1) => Ok(Role::User),
            Some(2) => Ok(Role::Agent),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// A validated incoming message. `value` is its canonical camelCase form, without
/// `taskId`/`contextId` (the store fills those in once the task is known).
#[derive(Debug, Clone)]
pub(crate) struct InMessage {
    pub(crate) message_id: String,
    pub(crate) context_id: Option<String>,
    pub(crate) task_id: Option<String>,
    /// The text of the first part that has `text`, as sent.
    pub(crate) first_text: Option<String>,
    pub(crate) value: Obj,
}

impl InMessage {
    /// Moves the canonical message out with its task and context filled in, ready for
    /// `history`. (Moved, not cloned: this is on every send's hot path.)
    pub(crate) fn take_for_task(&mut self, task_id: &str, context_id: &str) -> Value {
        let mut m = std::mem::take(&mut self.value);
        // `message` reserved both keys right after `messageId`; filling them keeps that order.
        m.insert("contextId".to_owned(), Value::String(context_id.to_owned()));
        m.insert("taskId".to_owned(), Value::String(task_id.to_owned()));
        Value::Object(m)
    }
}

/// Validates `Message` at `path` and rebuilds it canonically.
pub(crate) fn message(m: &Obj, path: &str) -> Result<InMessage, A2aError> {
    let field = |f: &str| format!("{path}.{f}");
    let message_id = req_str(m, "messageId", "message_id", &field("messageId"))?.to_owned();
    let context_id = opt_str(m, "contextId", "context_id", &field("contextId"))?.map(str::to_owned);
    let task_id = opt_str(m, "taskId", "task_id", &field("taskId"))?.map(str::to_owned);
    let role = match get(m, "role", "role") {
        None => return Err(A2aError::invalid_field(field("role"), "is required")),
        Some(v) => role(v).map_err(|_| {
            A2aError::invalid_field(field("role"), "must be ROLE_USER or ROLE_AGENT")
        })?,
    };
    let parts_in = match get(m, "parts", "parts") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None => {
            return Err(A2aError::invalid_field(
                field("parts"),
                "must hold at least one part",
            ))
        }
        Some(_) => return Err(A2aError::invalid_field(field("parts"), "must be a list")),
    };
    let mut parts = Vec::with_capacity(parts_in.len());
    let mut first_text = None;
    for (i, p) in parts_in.iter().enumerate() {
        let part = part(p, &format!("{path}.parts[{i}]"))?;
        if first_text.is_none() {
            if let Some(Value::String(t)) = part.get("text") {
                first_text = Some(t.clone());
            }
        }
        parts.push(Value::Object(part));
    }
    let metadata = opt_obj(m, "metadata", "metadata", &field("metadata"))?;
    let extensions = opt_str_list(m, "extensions", "extensions", &field("extensions"))?;
    let refs = opt_str_list(
        m,
        "referenceTaskIds",
        "reference_task_ids",
        &field("referenceTaskIds"),
    )?;

    let mut value = Obj::with_capacity(8);
    value.insert("messageId".to_owned(), Value::String(message_id.clone()));
    // Placeholders, filled by `take_for_task` once the task is known.
    value.insert("contextId".to_owned(), Value::Null);
    value.insert("taskId".to_owned(), Value::Null);
    value.insert("role".to_owned(), Value::String(role.name().to_owned()));
    value.insert("parts".to_owned(), Value::Array(parts));
    if let Some(md) = metadata {
        value.insert("metadata".to_owned(), Value::Object(md.clone()));
    }
    if !extensions.is_empty() {
        value.insert("extensions".to_owned(), extensions.into());
    }
    if !refs.is_empty() {
        value.insert("referenceTaskIds".to_owned(), refs.into());
    }
    Ok(InMessage {
        message_id,
        context_id,
        task_id,
        first_text,
        value,
    })
}

/// Validates one `Part` (exactly one of text/raw/url/data) and rebuilds it canonically.
pub(crate) fn part(v: &Value, path: &str) -> Result<Obj, A2aError> {
    let m = match v {
        Value::Object(m) => m,
        _ => return Err(A2aError::invalid_field(path, "must be an object")),
    };
    // `data` is a google.protobuf.Value, where JSON null is a real value, so presence is by key.
    let data = m.get("data");
    let members = [
        get(m, "text", "text").is_some(),
        get(m, "raw", "raw").is_some(),
        get(m, "url", "url").is_some(),
        data.is_some(),
    ];
    let count = members.iter().filter(|b| **b).count();
    if count != 1 {
        return Err(A2aError::invalid_field(
            path,
            format!("must set exactly one of text, raw, url, data (found {count})"),
        ));
    }
    let mut out = Obj::with_capacity(4);
    if let Some(t) = get(m, "text", "text") {
        let t = t
            .as_str()
            .ok_or_else(|| A2aError::invalid_field(format!("{path}.text"), "must be a string"))?;
        out.insert("text".to_owned(), Value::String(t.to_owned()));
    } else if let Some(r) = get(m, "raw", "raw") {
        let bytes = r
            .as_str()
            .and_then(b64_decode)
            .ok_or_else(|| A2aError::invalid_field(format!("{path}.raw"), "must be base64"))?;
        out.insert("raw".to_owned(), Value::String(b64_encode(&bytes)));
    } else if let Some(u) = get(m, "url", "url") {
        let u = u
            .as_str()
            .ok_or_else(|| A2aError::invalid_field(format!("{path}.url"), "must be a string"))?;
        out.insert("url".to_owned(), Value::String(u.to_owned()));
    } else if let Some(d) = data {
        out.insert("data".to_owned(), d.clone());
    }
    if let Some(md) = opt_obj(m, "metadata", "metadata", &format!("{path}.metadata"))? {
        out.insert("metadata".to_owned(), Value::Object(md.clone()));
    }
    if let Some(f) = opt_str(m, "filename", "filename", &format!("{path}.filename"))? {
        out.insert("filename".to_owned(), Value::String(f.to_owned()));
    }
    if let Some(t) = opt_str(m, "mediaType", "media_type", &format!("{path}.mediaType"))? {
        out.insert("mediaType".to_owned(), Value::String(t.to_owned()));
    }
    Ok(out)
}

/// A validated `SendMessageRequest`.
#[derive(Debug, Clone)]
pub(crate) struct SendParams {
    pub(crate) message: InMessage,
    pub(crate) history_length: Option<usize>,
    pub(crate) return_immediately: bool,
    /// `configuration.taskPushNotificationConfig`, unvalidated beyond being an object.
    pub(crate) push_config: Option<Obj>,
    /// `configuration.acceptedOutputModes` (empty: anything goes).
    pub(crate) accepted_output: Vec<String>,
}

/// The media types the agent accepts; the card's `defaultInputModes` should list exactly these.
pub(crate) const INPUT_MODES: &[&str] =
    &["text/plain", "application/json", "application/octet-stream"];

/// The media type of a part: its `mediaType`, else `text/plain` for text, `application/json`
/// for data, `application/octet-stream` for raw and url.
pub(crate) fn part_media(p: &Value) -> String {
    if let Some(m) = p.get("mediaType").and_then(Value::as_str) {
        return m.to_ascii_lowercase();
    }
    if p.get("text").is_some() {
        "text/plain".to_owned()
    } else if p.get("data").is_some() {
        "application/json".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Whether `mt` matches one of `modes` (exact, `type/*` or `*/*`; parameters ignored).
pub(crate) fn media_accepted<S: AsRef<str>>(modes: &[S], mt: &str) -> bool {
    let mt = mt
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let major = mt.split('/').next().unwrap_or("");
    modes.iter().any(|m| {
        let m = m
            .as_ref()
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        m == "*/*" || m == "*" || m == mt || m.strip_suffix("/*") == Some(major)
    })
}

/// ContentTypeNotSupported for the first part that declares a `mediaType` the agent does not
/// take. Parts without one are accepted: text and data have fixed types, bytes are opaque.
pub(crate) fn check_input_media(m: &InMessage) -> Result<(), A2aError> {
    let parts = m.value.get("parts").and_then(Value::as_array);
    for p in parts.into_iter().flatten() {
        if let Some(mt) = p.get("mediaType").and_then(Value::as_str) {
            if !media_accepted(INPUT_MODES, mt) {
                return Err(A2aError::new(
                    crate::error::ErrorKind::ContentTypeNotSupported,
                    format!(
                        "parts of type {mt} are not supported; this agent accepts {}",
                        INPUT_MODES.join(", ")
                    ),
                )
                .with_meta("mediaType", mt));
            }
        }
    }
    Ok(())
}

/// Validates `SendMessageRequest`.
pub(crate) fn send_params(v: &Value) -> Result<SendParams, A2aError> {
    let p = params(v)?;
    let message = match get(p, "message", "message") {
        Some(Value::Object(m)) => message(m, "message")?,
        Some(_) => return Err(A2aError::invalid_field("message", "must be an object")),
        None => return Err(A2aError::invalid_field("message", "is required")),
    };
    let cfg = opt_obj(p, "configuration", "configuration", "configuration")?;
    let (history_length, return_immediately, push_config, accepted_output) = match cfg {
        None => (None, false, None, Vec::new()),
        Some(c) => {
            let accepted = opt_str_list(
                c,
                "acceptedOutputModes",
                "accepted_output_modes",
                "configuration.acceptedOutputModes",
            )?;
            (
                history_length(c, "configuration.historyLength")?,
                opt_bool(
                    c,
                    "returnImmediately",
                    "return_immediately",
                    "configuration.returnImmediately",
                )?
                .unwrap_or(false),
                opt_obj(
                    c,
                    "taskPushNotificationConfig",
                    "task_push_notification_config",
                    "configuration.taskPushNotificationConfig",
                )?
                .cloned(),
                accepted,
            )
        }
    };
    opt_obj(p, "metadata", "metadata", "metadata")?;
    Ok(SendParams {
        message,
        history_length,
        return_immediately,
        push_config,
        accepted_output,
    })
}

/// Standard base64 with padding (the ProtoJSON form of `bytes`).
pub(crate) fn b64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard or URL-safe base64, with or without padding. None if it is not base64.
pub(crate) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet, Engine as _};
    // ProtoJSON readers accept either alphabet, padded or not (digest §0).
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ErrorKind;

    fn field_of(e: A2aError) -> String {
        assert_eq!(e.kind, ErrorKind::InvalidParams);
        e.field_violations[0].0.clone()
    }

    fn send(v: Value) -> Result<SendParams, A2aError> {
        send_params(&v)
    }

    #[test]
    fn base64_accepts_standard_urlsafe_and_unpadded() {
        assert_eq!(b64_decode("Z2F1bnRsZXQ=").unwrap(), b"gauntlet");
        assert_eq!(b64_decode("Z2F1bnRsZXQ").unwrap(), b"gauntlet");
        assert_eq!(b64_decode("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(b64_decode("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(b64_decode("dGNr").unwrap(), b"tck");
        assert!(b64_decode("not base64!").is_none());
        assert!(b64_decode("abcde").is_none());
        for n in 0..20 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(b64_decode(&b64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(b64_encode(b"gauntlet"), "Z2F1bnRsZXQ=");
    }

    #[test]
    fn each_malformed_message_names_its_field() {
        let ok = json!({"messageId":"m","role":"ROLE_USER","parts":[{"text":"hi"}]});
        assert!(send(json!({"message": ok})).is_ok());
        let cases = [
            (json!({}), "message"),
            (json!([1]), "params"),
            (json!({"message": 3}), "message"),
            (
                json!({"message":{"role":"ROLE_USER","parts":[{"text":"x"}]}}),
                "message.messageId",
            ),
            (
                json!({"message":{"messageId":"m","parts":[{"text":"x"}]}}),
                "message.role",
            ),
            (
                json!({"message":{"messageId":"m","role":"user","parts":[{"text":"x"}]}}),
                "message.role",
            ),
            (
                json!({"message":{"messageId":"m","role":"ROLE_UNSPECIFIED","parts":[{"text":"x"}]}}),
                "message.role",
            ),
            (
                json!({"message":{"messageId":"m","role":"ROLE_USER","parts":[]}}),
                "message.parts",
            ),
            (
                json!({"message":{"messageId":"m","role":"ROLE_USER","parts":[{}]}}),
                "message.parts[0]",
            ),
            (
                json!({"message":{"messageId":"m","role":"ROLE_USER","parts":[{"text":"a","url":"b"}]}}),
                "message.parts[0]",
            ),
            (
                json!({"message":{"messageId":"m","role":"ROLE_USER","parts":[{"raw":"%%%"}]}}),
                "message.parts[0].raw",
            ),
            (
                json!({"message": ok, "configuration": {"historyLength": -1}}),
                "configuration.historyLength",
            ),
            (
                json!({"message": ok, "configuration": {"historyLength": "x"}}),
                "configuration.historyLength",
            ),
        ];
        for (params, field) in cases {
            let e = send(params.clone()).expect_err(&params.to_string());
            assert_eq!(field_of(e), field, "{params}");
        }
    }

    #[test]
    fn snake_case_numbers_as_strings_and_enum_numbers_are_accepted() {
        let p = send(json!({
            "message": {"message_id":"m","role":1,"parts":[{"raw":"-_8","media_type":"x/y"}],
                        "context_id":"c","x-unknown":1},
            "configuration": {"history_length":"2","return_immediately":true},
            "x-unknown": {"deep": true}
        }))
        .unwrap();
        assert_eq!(p.message.message_id, "m");
        assert_eq!(p.message.context_id.as_deref(), Some("c"));
        assert_eq!(p.history_length, Some(2));
        assert!(p.return_immediately);
        let mut msg = p.message;
        assert_eq!(
            msg.take_for_task("t", "c"),
            json!({"messageId":"m","contextId":"c","taskId":"t","role":"ROLE_USER",
                   "parts":[{"raw":"+/8=","mediaType":"x/y"}]})
        );
    }

    #[test]
    fn data_parts_may_hold_any_json_value() {
        for d in [json!(null), json!([1, 2]), json!("s"), json!({"k": 1})] {
            let p =
                send(json!({"message":{"messageId":"m","role":"ROLE_USER","parts":[{"data": d}]}}))
                    .unwrap();
            assert_eq!(Value::Object(p.message.value)["parts"][0]["data"], d);
        }
    }

    #[test]
    fn task_states_by_name_or_number() {
        assert_eq!(
            task_state(&json!("TASK_STATE_WORKING"), "s").unwrap(),
            State::Working
        );
        assert_eq!(task_state(&json!(3), "s").unwrap(), State::Completed);
        assert_eq!(task_state(&json!("5"), "s").unwrap(), State::Canceled);
        for bad in [
            json!("TASK_STATE_UNSPECIFIED"),
            json!(0),
            json!("completed"),
            json!(9),
        ] {
            assert!(task_state(&bad, "s").is_err(), "{bad}");
        }
    }
}
