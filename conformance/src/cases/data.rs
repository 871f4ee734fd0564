//! Cases for DATA: serialization rules (digest §9.1, §0, §5).
//!
//! The "scan all responses" rows share one sample of representative traffic ([`samples`]: a
//! send, its GetTask, a ListTasks page, the test agent's `parts` and `message` replies, a
//! stream) and one schema walk ([`expect::scan`]); each case judges the findings of its own rule.

use std::time::Duration;

use serde_json::{json, Value};

use crate::case::{Bindings, Case, Checks, Exec, Judged, Level, Outcome};
use crate::client::{user_message, Reply, StreamAnswer};
use crate::context::Ctx;
use crate::driver;
use crate::expect::{self, Shape};
use crate::spec::{ErrorCode, Method};

/// One value received, with the shape it should have and the raw body it came in.
struct Sample {
    label: String,
    value: Value,
    shape: Shape,
    body: Vec<u8>,
}

/// Representative traffic on this binding. Calls that need the test agent or streaming are
/// made only when the card offers them.
async fn samples(ctx: &Ctx) -> Result<Vec<Sample>, Outcome> {
    let client = ctx.client();
    let mut out = Vec::new();
    let text = format!("echo {} ünïcode ✓", ctx.unique("data"));
    let (answer, result) = driver::send_ok(&client, &text, Value::Null, Value::Null).await?;
    out.push(Sample {
        label: "SendMessage".into(),
        value: result.clone(),
        shape: Shape::SendMessageResponse,
        body: answer.raw.body.to_vec(),
    });
    if let Some(id) = expect::task_of(&result).and_then(expect::id_of) {
        let get = client
            .call(Method::GetTask, json!({"id": id}))
            .await
            .map_err(expect::probe)?;
        out.push(Sample {
            label: "GetTask".into(),
            value: expect::ok(&get, "GetTask")?.clone(),
            shape: Shape::Task,
            body: get.raw.body.to_vec(),
        });
    }
    let list = client
        .call(Method::ListTasks, json!({"pageSize": 5}))
        .await
        .map_err(expect::probe)?;
    if let Reply::Ok(v) = &list.reply {
        out.push(Sample {
            label: "ListTasks".into(),
            value: v.clone(),
            shape: Shape::ListTasksResponse,
            body: list.raw.body.to_vec(),
        });
    }
    let missing = client
        .call(Method::GetTask, json!({"id": ctx.unique("missing")}))
        .await
        .map_err(expect::probe)?;
    if let Some(body) = &missing.raw.json {
        out.push(Sample {
            label: "error answer".into(),
            value: body.clone(),
            shape: Shape::Any,
            body: missing.raw.body.to_vec(),
        });
    }
    out.push(Sample {
        label: "agent card".into(),
        value: ctx.target().card.clone(),
        shape: Shape::AgentCard,
        body: serde_json::to_vec(&ctx.target().card).unwrap_or_default(),
    });
    if ctx.target().test_agent {
        for cmd in ["parts", "message hello", "fail", "input-required"] {
            let (a, v) = driver::send_ok(&client, cmd, Value::Null, Value::Null).await?;
            out.push(Sample {
                label: format!("SendMessage `{cmd}`"),
                value: v,
                shape: Shape::SendMessageResponse,
                body: a.raw.body.to_vec(),
            });
        }
    }
    if ctx.target().streaming {
        let cmd = if ctx.target().test_agent {
            "stream 3".to_owned()
        } else {
            format!("echo {}", ctx.unique("data-stream"))
        };
        let opened = client
            .stream_text(&cmd, Value::Null, Value::Null)
            .await
            .map_err(expect::probe)?;
        if let StreamAnswer::Open(reader) = opened {
            let drained = reader.drain(ctx.deadline(Duration::from_secs(10))).await;
            for (i, ev) in drained.events.iter().enumerate() {
                if let Reply::Ok(v) = &ev.payload {
                    out.push(Sample {
                        label: format!("stream event {i}"),
                        value: v.clone(),
                        shape: Shape::StreamResponse,
                        body: ev.sse.data.clone().into_bytes(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Scans every sample and judges `rule`.
async fn scan_rule(ctx: Ctx, rule: &str, expected: &str) -> Judged {
    let samples = samples(&ctx).await?;
    let mut findings = Vec::new();
    for s in &samples {
        findings.extend(expect::scan(&s.value, s.shape, &format!("{}:$", s.label)));
    }
    match expect::findings_for(&findings, rule) {
        None => Ok(Outcome::pass(format!(
            "{} responses scanned ({})",
            samples.len(),
            samples
                .iter()
                .map(|s| s.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Some(seen) => Ok(Outcome::fail(
            format!("{rule} violated in the responses"),
            expected,
            seen,
        )),
    }
}

/// DATA-001: keys are lowerCamelCase.
pub(crate) const DATA_001: Case = Case {
    id: "DATA-001",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "send, get, list, error, card, parts and stream answers; scan every key received",
    requirement: "JSON keys are lowerCamelCase proto json names; no snake_case",
    spec: "§5.5",
    exec: Exec::Run(crate::run_fn!(data_001)),
};
async fn data_001(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-001",
        "lowerCamelCase json names (free-form metadata/data excepted)",
    )
    .await
}

/// DATA-002: enums by proto name.
pub(crate) const DATA_002: Case = Case {
    id: "DATA-002",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; scan every `state` and `role`",
    requirement: "enums are emitted as proto names (TASK_STATE_*, ROLE_*)",
    spec: "§5.5",
    exec: Exec::Run(crate::run_fn!(data_002)),
};
async fn data_002(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-002",
        "TASK_STATE_* and ROLE_* names, never integers or 0.3 spellings",
    )
    .await
}

/// DATA-003: no UNSPECIFIED.
pub(crate) const DATA_003: Case = Case {
    id: "DATA-003",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; scan REQ enums",
    requirement: "no *_UNSPECIFIED value for `status.state` or `role`",
    spec: "§5.7, proto",
    exec: Exec::Run(crate::run_fn!(data_003)),
};
async fn data_003(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-003",
        "a real TaskState / Role, never *_UNSPECIFIED",
    )
    .await
}

/// DATA-004: timestamp format.
pub(crate) const DATA_004: Case = Case {
    id: "DATA-004",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; scan every timestamp",
    requirement: "timestamps are RFC 3339 UTC with `Z`, no other offsets",
    spec: "§5.6.1",
    exec: Exec::Run(crate::run_fn!(data_004)),
};
async fn data_004(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-004",
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$",
    )
    .await
}

/// DATA-005: millisecond precision.
pub(crate) const DATA_005: Case = Case {
    id: "DATA-005",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; scan every timestamp's precision",
    requirement: "timestamps use millisecond precision",
    spec: "§5.6.1",
    exec: Exec::Run(crate::run_fn!(data_005)),
};
async fn data_005(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-005",
        "three fractional digits, e.g. 2025-10-28T10:30:00.000Z",
    )
    .await
}

/// DATA-006: REQ fields.
pub(crate) const DATA_006: Case = Case {
    id: "DATA-006",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; check REQ fields of every object",
    requirement: "REQ fields present in every Task, Message, Artifact and event",
    spec: "§5.7",
    exec: Exec::Run(crate::run_fn!(data_006)),
};
async fn data_006(ctx: Ctx) -> Judged {
    scan_rule(ctx, "DATA-006", "every REQ field of digest §5 present").await
}

/// DATA-007: non-empty parts.
pub(crate) const DATA_007: Case = Case {
    id: "DATA-007",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; check every `parts` array",
    requirement: "Message.parts and Artifact.parts are non-empty",
    spec: "§5.7",
    exec: Exec::Run(crate::run_fn!(data_007)),
};
async fn data_007(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-007",
        "at least one Part in every Message and Artifact",
    )
    .await
}

/// Sends `params` as SendMessage and judges that it is refused with InvalidParams.
async fn expect_invalid(ctx: &Ctx, params: Value, what: &str) -> Judged {
    let answer = ctx
        .client()
        .call(Method::SendMessage, params)
        .await
        .map_err(expect::probe)?;
    expect::refused_with(&answer, ErrorCode::InvalidParams, what).map_err(|o| Outcome {
        summary: format!("{what}: {}", o.summary),
        ..o
    })
}

/// DATA-008: missing REQ fields are rejected with InvalidParams; every probe is judged.
pub(crate) const DATA_008: Case = Case {
    id: "DATA-008",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage without message, without messageId, with parts [], with a bad role",
    requirement: "each is rejected with InvalidParams (-32602 / 400)",
    spec: "§3.3.2, §5.7, §13.4",
    exec: Exec::Run(crate::run_fn!(data_008)),
};
async fn data_008(ctx: Ctx) -> Judged {
    let mut no_id = user_message("hello");
    no_id.as_object_mut().map(|m| m.remove("messageId"));
    let mut empty_parts = user_message("hello");
    empty_parts["parts"] = json!([]);
    let mut bad_role = user_message("hello");
    bad_role["role"] = json!("ROLE_BOGUS");
    let mut no_role = user_message("hello");
    no_role.as_object_mut().map(|m| m.remove("role"));
    let probes = [
        (json!({}), "no `message`"),
        (json!({"message": no_id}), "no `messageId`"),
        (json!({"message": empty_parts}), "`parts: []`"),
        (json!({"message": bad_role}), "`role: ROLE_BOGUS`"),
        (json!({"message": no_role}), "no `role`"),
    ];
    let mut checks = Checks::new();
    for (params, what) in probes {
        if let Err(o) = expect_invalid(&ctx, params, what).await {
            checks.add(o);
        }
    }
    checks.finish("5 invalid SendMessage requests each got InvalidParams")
}

/// DATA-009: unknown fields are ignored.
pub(crate) const DATA_009: Case = Case {
    id: "DATA-009",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "SendMessage with `x-unknown` fields in params and in the message",
    requirement: "unknown fields are ignored",
    spec: "§5.7",
    exec: Exec::Run(crate::run_fn!(data_009)),
};
async fn data_009(ctx: Ctx) -> Judged {
    let client = ctx.client();
    let mut msg = user_message(&format!("echo {}", ctx.unique("unknown-fields")));
    msg["x-unknown"] = json!(1);
    let answer = client
        .call(
            Method::SendMessage,
            json!({"message": msg, "x-unknown": {"nested": true}}),
        )
        .await
        .map_err(expect::probe)?;
    expect::ok(&answer, "SendMessage with unknown fields")?;
    Ok(Outcome::pass(
        "unknown fields in params and message were ignored",
    ))
}

/// DATA-010: a Part with two content members MUST be rejected, one with none SHOULD be; every
/// received Part has exactly one.
pub(crate) const DATA_010: Case = Case {
    id: "DATA-010",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "a Part with no content member, a Part with two; scan received parts",
    requirement: "a Part with two content members is rejected (MUST), one with none SHOULD be; received Parts have exactly one",
    spec: "proto oneof",
    exec: Exec::Run(crate::run_fn!(data_010)),
};
async fn data_010(ctx: Ctx) -> Judged {
    let mut none = user_message("x");
    none["parts"] = json!([{"mediaType": "text/plain"}]);
    let mut two = user_message("x");
    two["parts"] = json!([{"text": "a", "data": {"b": 1}}]);
    let mut checks = Checks::new();
    // The oneof is not REQUIRED in the proto, so refusing an empty Part is a SHOULD only.
    if let Err(o) = expect_invalid(
        &ctx,
        json!({"message": none}),
        "Part with no content member",
    )
    .await
    {
        checks.add(Outcome::non_strict(
            o.summary,
            "InvalidParams (SHOULD: the Part oneof is not marked REQUIRED)",
            o.observed.unwrap_or_default(),
        ));
    }
    if let Err(o) =
        expect_invalid(&ctx, json!({"message": two}), "Part with `text` and `data`").await
    {
        checks.add(o);
    }
    let samples = samples(&ctx).await?;
    let mut findings = Vec::new();
    for s in &samples {
        findings.extend(
            expect::scan(&s.value, s.shape, &format!("{}:$", s.label))
                .into_iter()
                .filter(|f| f.rule == "DATA-010"),
        );
    }
    let (empty, several): (Vec<_>, Vec<_>) = findings
        .into_iter()
        .partition(|f| f.detail.ends_with("found none"));
    if let Some(seen) = expect::findings_for(&several, "DATA-010") {
        checks.add(Outcome::fail(
            "a received Part has several content members",
            "exactly one of text/raw/url/data in every Part (a ProtoJSON oneof)",
            seen,
        ));
    }
    if let Some(seen) = expect::findings_for(&empty, "DATA-010") {
        checks.add(Outcome::non_strict(
            "a received Part has no content member",
            "one of text/raw/url/data in every Part",
            seen,
        ));
    }
    checks.finish(format!(
        "a two-member and an empty Part were refused; {} responses scanned",
        samples.len()
    ))
}

/// A media type for a `raw` part that the card accepts: the test-agent skill's `inputModes`
/// when it has them (the message goes to that skill), else `defaultInputModes`. Prefers
/// `application/octet-stream`; a wildcard mode gives a concrete type under it.
fn raw_media_type(card: &Value) -> Option<String> {
    let modes_of = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty())
            .collect()
    };
    let skill = card
        .get("skills")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(crate::spec::TEST_AGENT_SKILL));
    let mut modes = modes_of(skill.and_then(|s| s.get("inputModes")));
    if modes.is_empty() {
        modes = modes_of(card.get("defaultInputModes"));
    }
    let concrete = |m: &str| match m {
        "*/*" | "*" | "application/*" => "application/octet-stream".to_owned(),
        other => match other.strip_suffix("/*") {
            Some("text") => "text/plain".to_owned(),
            Some(top) => format!("{top}/octet-stream"),
            None => other.to_owned(),
        },
    };
    let concrete: Vec<String> = modes.iter().map(|m| concrete(m)).collect();
    concrete
        .iter()
        .find(|m| *m == "application/octet-stream")
        .or_else(|| concrete.first())
        .cloned()
}

/// DATA-011: `raw` is base64 in both directions. The part's media type is one the card accepts,
/// so that the only thing judged is the base64 (SEND-008 judges media types).
pub(crate) const DATA_011: Case = Case {
    id: "DATA-011",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "a `raw` part in base64 with a media type the card accepts; scan received `raw` values",
    requirement: "`raw` is base64 both ways",
    spec: "proto, ProtoJSON",
    exec: Exec::Run(crate::run_fn!(data_011)),
};
async fn data_011(ctx: Ctx) -> Judged {
    let Some(media) = raw_media_type(&ctx.target().card) else {
        return Ok(Outcome::not_applicable(
            "the card declares no input mode, so no `raw` part can be sent that it accepts",
        ));
    };
    let mut msg = user_message(&format!("echo {}", ctx.unique("raw")));
    if let Some(parts) = msg["parts"].as_array_mut() {
        parts.push(json!({"raw": "Z2F1bnRsZXQ=", "mediaType": media, "filename": "g.bin"}));
    }
    let answer = ctx
        .client()
        .call(Method::SendMessage, json!({"message": msg}))
        .await
        .map_err(expect::probe)?;
    let mut checks = Checks::new();
    match &answer.reply {
        Reply::Ok(_) => checks.note(format!("a base64 `raw` part ({media}) was accepted")),
        Reply::Err(e) if e.matches(ErrorCode::ContentTypeNotSupported).accepted() => {
            checks.add(Outcome::untested(
                format!(
                    "the `raw` part was refused for its media type `{media}`, which the card \
                     declares as an input mode, so its base64 could not be judged: {}",
                    expect::describe_error(e)
                ),
                "accept the input modes the card declares (or declare the ones accepted)",
            ));
        }
        _ => checks.add(Outcome::fail(
            "a valid base64 `raw` part was refused",
            format!("success: `raw` is standard base64 (ProtoJSON bytes), `{media}` a declared input mode"),
            expect::describe(&answer),
        )),
    }
    checks.judged(
        scan_rule(
            ctx.clone(),
            "DATA-011",
            "standard base64 (URL-safe / unpadded tolerated)",
        )
        .await,
    );
    if !ctx.target().test_agent {
        checks.note("no `raw` part came back to check (test agent absent)");
    }
    checks.finish("`raw` is base64 both ways")
}

/// DATA-012: no `kind`.
pub(crate) const DATA_012: Case = Case {
    id: "DATA-012",
    level: Level::Should,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; look for `kind`",
    requirement: "no `kind` discriminator is emitted",
    spec: "App. A.2.1",
    exec: Exec::Run(crate::run_fn!(data_012)),
};
async fn data_012(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-012",
        "no `kind` key (oneofs are discriminated by member key)",
    )
    .await
}

/// DATA-013: exactly one payload member.
pub(crate) const DATA_013: Case = Case {
    id: "DATA-013",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative SendMessage and stream results",
    requirement: "SendMessageResponse / StreamResponse carry exactly one payload member",
    spec: "proto, §4.3.3",
    exec: Exec::Run(crate::run_fn!(data_013)),
};
async fn data_013(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-013",
        "exactly one of task/message (or statusUpdate/artifactUpdate)",
    )
    .await
}

/// DATA-014: every body is UTF-8; non-ASCII text round-trips.
pub(crate) const DATA_014: Case = Case {
    id: "DATA-014",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "a non-ASCII message; representative calls",
    requirement: "every JSON body is UTF-8 and non-ASCII text survives",
    spec: "§14.1.1",
    exec: Exec::Run(crate::run_fn!(data_014)),
};
async fn data_014(ctx: Ctx) -> Judged {
    let samples = samples(&ctx).await?;
    let mut checks = Checks::new();
    for s in &samples {
        if let Err(e) = std::str::from_utf8(&s.body) {
            checks.add(Outcome::fail(
                format!("{} body is not UTF-8", s.label),
                "UTF-8 JSON",
                format!("invalid byte at offset {}", e.valid_up_to()),
            ));
        }
    }
    if ctx.target().test_agent {
        let word = format!("grüße-✓-🚀-{}", ctx.unique("utf8"));
        let (_, result) = driver::send_ok(
            &ctx.client(),
            &format!("echo {word}"),
            Value::Null,
            Value::Null,
        )
        .await?;
        if !result.to_string().contains(&word) {
            checks.add(Outcome::fail(
                "non-ASCII text did not survive the echo",
                format!("the echo artifact contains `{word}`"),
                expect::show(&result),
            ));
        }
    }
    checks.finish(format!("{} bodies were valid UTF-8", samples.len()))
}

/// DATA-015: contextId everywhere.
pub(crate) const DATA_015: Case = Case {
    id: "DATA-015",
    level: Level::Must,
    bindings: Bindings::Each,
    needs: &[],
    title: "representative calls; check `contextId`",
    requirement: "Task, agent Message and every event carry `contextId`",
    spec: "§3.4.1, proto comment",
    exec: Exec::Run(crate::run_fn!(data_015)),
};
async fn data_015(ctx: Ctx) -> Judged {
    scan_rule(
        ctx,
        "DATA-015",
        "`contextId` on every Task, agent Message and event",
    )
    .await
}

/// The DATA cases, in digest order.
pub(crate) const CASES: &[Case] = &[
    DATA_001, DATA_002, DATA_003, DATA_004, DATA_005, DATA_006, DATA_007, DATA_008, DATA_009,
    DATA_010, DATA_011, DATA_012, DATA_013, DATA_014, DATA_015,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_part_takes_a_media_type_the_card_accepts() {
        let card = |modes: Value| json!({"defaultInputModes": modes, "skills": []});
        assert_eq!(
            raw_media_type(&card(json!(["text/plain", "application/octet-stream"]))).as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(
            raw_media_type(&card(json!(["text/plain"]))).as_deref(),
            Some("text/plain")
        );
        assert_eq!(
            raw_media_type(&card(json!(["*/*"]))).as_deref(),
            Some("application/octet-stream")
        );
        assert_eq!(
            raw_media_type(&card(json!(["text/*"]))).as_deref(),
            Some("text/plain")
        );
        assert_eq!(raw_media_type(&card(json!([]))), None);
        // The test-agent skill's own modes win over the defaults.
        let with_skill = json!({"defaultInputModes": ["application/octet-stream"],
            "skills": [{"id": crate::spec::TEST_AGENT_SKILL, "inputModes": ["image/png"]}]});
        assert_eq!(raw_media_type(&with_skill).as_deref(), Some("image/png"));
    }
}
