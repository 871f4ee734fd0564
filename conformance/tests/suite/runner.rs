//! The runner with synthetic cases: selection (and selecting nothing), level mapping, N/A and
//! UNTESTED reasons, panics and hangs as ERROR, catalogue order, evidence for every verdict,
//! discovery errors and the authentication preflight.

use std::sync::Arc;
use std::time::Duration;

use gauntlet_conformance::case::{
    Binding, Bindings, Case, Exec, Judged, Level, Need, Outcome, Verdict,
};
use gauntlet_conformance::context::{Ctx, Subject, Unmet};
use gauntlet_conformance::errors::RunError;
use gauntlet_conformance::probe::RawRequest;
use gauntlet_conformance::report;
use gauntlet_conformance::run_fn;
use gauntlet_conformance::runner::{self, NoReporter, Reporter, RunEvent, RunOptions};
use gauntlet_conformance::webhook::WebhookReceiver;
use serde_json::json;

async fn passes(_: Ctx) -> Judged {
    Ok(Outcome::pass("fine"))
}
async fn fails(ctx: Ctx) -> Judged {
    // Make one exchange so the failure has evidence (nothing listens on port 9).
    let _ = ctx
        .probe()
        .send(RawRequest::new("GET", "http://127.0.0.1:9/"))
        .await;
    Err(Outcome::fail("broken", "x", "y"))
}
async fn panics(_: Ctx) -> Judged {
    panic!("boom")
}
async fn hangs(_: Ctx) -> Judged {
    std::future::pending().await
}

fn case(id: &'static str, level: Level, bindings: Bindings, exec: Exec) -> Case {
    Case {
        id,
        level,
        bindings,
        needs: &[],
        title: "t",
        requirement: "r",
        spec: "§0",
        exec,
    }
}

fn target() -> Arc<Subject> {
    let card = json!({
        "name": "x",
        "supportedInterfaces": [
            {"url": "http://127.0.0.1:9/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": "http://127.0.0.1:9/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}
        ],
        "capabilities": {"streaming": true}
    });
    Arc::new(Subject::from_card("http://127.0.0.1:9", card, Vec::new()))
}

fn catalogue() -> Vec<Case> {
    let mut needs_push = case(
        "PUSH-001",
        Level::Must,
        Bindings::Each,
        Exec::Run(run_fn!(passes)),
    );
    needs_push.needs = &[Need::Push];
    vec![
        case(
            "DATA-001",
            Level::Must,
            Bindings::Each,
            Exec::Run(run_fn!(passes)),
        ),
        case(
            "DATA-002",
            Level::Must,
            Bindings::JsonRpc,
            Exec::Run(run_fn!(fails)),
        ),
        case(
            "DATA-003",
            Level::Should,
            Bindings::Rest,
            Exec::Run(run_fn!(fails)),
        ),
        case(
            "DATA-004",
            Level::May,
            Bindings::Once,
            Exec::Run(run_fn!(fails)),
        ),
        case(
            "DATA-005",
            Level::Sdk,
            Bindings::Once,
            Exec::Run(run_fn!(fails)),
        ),
        case(
            "JRPC-001",
            Level::Must,
            Bindings::Once,
            Exec::Run(run_fn!(panics)),
        ),
        case(
            "JRPC-002",
            Level::Should,
            Bindings::Once,
            Exec::Run(run_fn!(hangs)),
        ),
        case(
            "JRPC-003",
            Level::Must,
            Bindings::Once,
            Exec::Manual("needs a human"),
        ),
        needs_push,
    ]
}

struct Recorder(Vec<String>);
impl Reporter for Recorder {
    fn on_event(&mut self, event: &RunEvent<'_>) {
        self.0.push(match event {
            RunEvent::Started { total, .. } => format!("started {total}"),
            RunEvent::CaseStarted { id, binding, .. } => match binding {
                Some(b) => format!("began {id}[{}]", b.short()),
                None => format!("began {id}"),
            },
            RunEvent::CaseFinished { result, done, .. } => format!("{done} {}", result.name()),
            RunEvent::Finished { .. } => "finished".to_owned(),
        });
    }
}

#[tokio::test]
async fn verdicts_are_mapped_by_level_and_reported_in_catalogue_order() {
    let opts = RunOptions {
        case_timeout: Duration::from_millis(300),
        ..RunOptions::default()
    };
    let t = target();
    let planned = runner::plan(&catalogue(), &t, &opts).expect("plannable");
    let mut rec = Recorder(Vec::new());
    let report = runner::run_plan(t, planned, &opts, &mut rec).await;
    let got: Vec<(String, Verdict)> = report
        .results
        .iter()
        .map(|r| (r.name(), r.verdict))
        .collect();
    let want = [
        ("DATA-001[jsonrpc]", Verdict::Pass),
        ("DATA-001[rest]", Verdict::Pass),
        ("DATA-002[jsonrpc]", Verdict::Fail),
        ("DATA-003[rest]", Verdict::NonStrict),
        ("DATA-004", Verdict::Informational),
        ("DATA-005", Verdict::Informational),
        ("JRPC-001", Verdict::Error),
        ("JRPC-002", Verdict::Error),
        ("JRPC-003", Verdict::NotApplicable),
        ("PUSH-001[jsonrpc]", Verdict::NotApplicable),
        ("PUSH-001[rest]", Verdict::NotApplicable),
    ];
    let want: Vec<(String, Verdict)> = want.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    assert_eq!(got, want);
    let by = |name: &str| {
        report
            .results
            .iter()
            .find(|r| r.name() == name)
            .expect(name)
    };
    assert!(by("JRPC-001").summary.contains("boom"));
    assert!(by("JRPC-002").summary.contains("no verdict within"));
    assert_eq!(by("JRPC-003").summary, "not automatable: needs a human");
    assert_eq!(
        by("PUSH-001[rest]").summary,
        "the card does not declare capabilities.pushNotifications"
    );
    assert!(by("DATA-001[rest]").transcript.is_empty());
    assert_eq!(by("DATA-002[jsonrpc]").transcript.len(), 1);
    assert!(!report.conformant());
    assert_eq!(
        report.summary_line(),
        "gauntlet: 5 passed, 3 failed, 3 skipped"
    );
    let mut expected_events = vec!["started 11".to_owned()];
    expected_events.extend(
        want.iter()
            .enumerate()
            .map(|(i, (n, _))| format!("{} {n}", i + 1)),
    );
    expected_events.push("finished".to_owned());
    // Runs overlap, so their starts interleave with the ordered verdicts: each run begins once,
    // before its verdict.
    let (began, rest): (Vec<String>, Vec<String>) =
        rec.0.iter().cloned().partition(|e| e.starts_with("began "));
    assert_eq!(rest, expected_events);
    let mut began_names: Vec<String> = began.iter().map(|e| e[6..].to_owned()).collect();
    began_names.sort();
    let mut names: Vec<String> = want.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    assert_eq!(began_names, names);
    for (n, _) in &want {
        let b = rec.0.iter().position(|e| *e == format!("began {n}"));
        let f = rec
            .0
            .iter()
            .position(|e| e.ends_with(&format!(" {n}")) && !e.starts_with("began"));
        assert!(b < f, "{n} began after its verdict: {:?}", rec.0);
    }
}

#[test]
fn selection_by_level_glob_and_binding() {
    let t = target();
    let names = |opts: RunOptions| -> Vec<String> {
        runner::plan(&catalogue(), &t, &opts)
            .expect("plannable")
            .iter()
            .map(|p| p.test_name())
            .collect()
    };
    let must = names(RunOptions {
        level: Level::Must,
        ..RunOptions::default()
    });
    assert_eq!(
        must,
        [
            "DATA-001[jsonrpc]",
            "DATA-001[rest]",
            "DATA-002[jsonrpc]",
            "JRPC-001",
            "JRPC-003",
            "PUSH-001[jsonrpc]",
            "PUSH-001[rest]"
        ]
    );
    let should = names(RunOptions {
        level: Level::Should,
        ..RunOptions::default()
    });
    assert!(
        should.contains(&"DATA-003[rest]".to_owned()) && !should.contains(&"DATA-004".to_owned())
    );
    let only = names(RunOptions {
        only: vec!["jrpc".into(), "*-004".into()],
        ..RunOptions::default()
    });
    assert_eq!(only, ["DATA-004", "JRPC-001", "JRPC-002", "JRPC-003"]);
    let rest = names(RunOptions {
        bindings: Some(vec![Binding::Rest]),
        only: vec!["DATA-*".into()],
        ..RunOptions::default()
    });
    assert_eq!(
        rest,
        ["DATA-001[rest]", "DATA-003[rest]", "DATA-004", "DATA-005"]
    );
}

#[test]
fn a_binding_the_card_lacks_is_a_usage_error() {
    let card = json!({"supportedInterfaces": [{"url": "http://127.0.0.1:9/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]});
    let t = Subject::from_card("http://127.0.0.1:9", card, Vec::new());
    let opts = RunOptions {
        bindings: Some(vec![Binding::Rest]),
        ..RunOptions::default()
    };
    let err = runner::plan(&catalogue(), &t, &opts).expect_err("no REST interface");
    assert!(
        matches!(err, RunError::Usage(ref m) if m.contains("HTTP+JSON")),
        "{err}"
    );
}

#[tokio::test]
async fn an_unreachable_target_is_reported_in_one_sentence() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let err = runner::discover(&url, Vec::new(), 1.0)
        .await
        .expect_err("nothing listens");
    assert_eq!(
        err.to_string(),
        format!("cannot reach {url}: connection refused")
    );
    assert!(matches!(err, RunError::Unreachable(_)));
}

#[tokio::test]
async fn a_server_without_a_card_is_not_a2a() {
    // The webhook receiver answers 200 with an empty body to everything.
    let hook = WebhookReceiver::start().await.expect("receiver starts");
    let url = format!("http://{}", hook.addr());
    let err = runner::discover(&url, Vec::new(), 1.0)
        .await
        .expect_err("no card");
    assert!(matches!(err, RunError::NotA2a(_)), "{err}");
    assert!(err.to_string().contains("not an A2A server"), "{err}");
    let err = runner::run(&url, &catalogue(), &RunOptions::default(), &mut NoReporter)
        .await
        .expect_err("no card");
    assert!(matches!(err, RunError::NotA2a(_)));
}

async fn talks(ctx: Ctx) -> Judged {
    let _ = ctx
        .probe()
        .send(RawRequest::new("GET", "http://127.0.0.1:9/"))
        .await;
    Ok(Outcome::pass("fine after one exchange"))
}

/// A card like the embedded reference's but without the test-agent skill, on loopback.
fn target_without_test_agent() -> Arc<Subject> {
    let card = json!({
        "name": "x",
        "supportedInterfaces": [
            {"url": "http://127.0.0.1:9/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
        "capabilities": {"streaming": true, "pushNotifications": false},
        "skills": [{"id": "echo", "name": "echo"}]
    });
    Arc::new(Subject::from_card("http://127.0.0.1:9", card, Vec::new()))
}

#[tokio::test]
async fn an_unobservable_need_is_untested_and_an_undeclared_one_not_applicable() {
    let t = target_without_test_agent();
    let with = |id, needs: &'static [Need]| {
        let mut c = case(id, Level::Must, Bindings::Once, Exec::Run(run_fn!(passes)));
        c.needs = needs;
        c
    };
    let cases = [
        with("STRM-001", &[Need::Streaming, Need::TestAgent]),
        // Precedence: a capability the card does not declare makes the row not apply at all.
        with("PUSH-002", &[Need::TestAgent, Need::Push]),
        with("LIST-010", &[Need::TwoIdentities]),
        with("CARD-001", &[Need::Streaming]),
    ];
    let opts = RunOptions::default();
    let planned = runner::plan(&cases, &t, &opts).expect("plannable");
    let report = runner::run_plan(t, planned, &opts, &mut NoReporter).await;
    let got: Vec<(&str, Verdict)> = report
        .results
        .iter()
        .map(|r| (r.id.as_str(), r.verdict))
        .collect();
    assert_eq!(
        got,
        [
            ("STRM-001", Verdict::Untested),
            ("PUSH-002", Verdict::NotApplicable),
            ("LIST-010", Verdict::NotApplicable),
            ("CARD-001", Verdict::Pass),
        ]
    );
    let untested = &report.results[0];
    assert_eq!(
        untested.summary,
        "the card does not advertise the gauntlet-test-agent skill"
    );
    assert_eq!(
        untested.expected.as_deref(),
        Some("add the gauntlet-test-agent skill to the card (fixtures/test-agent.md)")
    );
    assert_eq!(
        report.results[1].summary,
        "the card does not declare capabilities.pushNotifications"
    );
    assert!(
        !report.conformant(),
        "an untested MUST row is never conformant"
    );
    assert_eq!(
        report.summary_line(),
        "gauntlet: 1 passed, 0 failed, 3 skipped"
    );

    let xml = report::junit::render(&report).expect("serialises");
    assert_eq!(xml.matches("<skipped").count(), 3, "{xml}");
    assert!(xml.contains("type=\"UNTESTED\""), "{xml}");
    assert!(
        xml.contains("UNTESTED: the card does not advertise the gauntlet-test-agent skill (to judge it: add the gauntlet-test-agent skill"),
        "{xml}"
    );
    let text = report::human::render(&report);
    assert!(
        text.contains(
            "UNTESTED (1 row, 1 MUST): the card does not advertise the gauntlet-test-agent skill"
        ) && text.contains("to judge: add the gauntlet-test-agent skill"),
        "{text}"
    );
    assert!(text.contains("1 untested MUST rows"), "{text}");
    let v: serde_json::Value =
        serde_json::from_str(&report::json::render(&report)).expect("valid JSON");
    assert_eq!(v["counts"]["untested"], 1);
    assert_eq!(v["results"][0]["verdict"], "UNTESTED");
    assert_eq!(v["conformant"], false);
}

#[test]
fn two_identities_without_declared_security_do_not_apply_but_with_it_are_untested() {
    let card = |security: bool| {
        let mut c = json!({"supportedInterfaces": [{"url": "http://127.0.0.1:9/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]});
        if security {
            c["securitySchemes"] =
                json!({"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}});
        }
        c
    };
    let open = Subject::from_card("http://127.0.0.1:9", card(false), Vec::new());
    assert!(matches!(
        open.unmet(Need::TwoIdentities),
        Some(Unmet::NotDeclared(_))
    ));
    let secured = Subject::from_card("http://127.0.0.1:9", card(true), vec!["one".into()]);
    assert_eq!(
        secured.unmet(Need::TwoIdentities),
        Some(Unmet::Unobservable {
            reason: "two identities are needed (pass --token twice)".into(),
            help: "pass --token twice, one token per identity".into(),
        })
    );
    let remote = Subject::from_card("http://a2a.example", card(true), Vec::new());
    assert!(matches!(
        remote.unmet(Need::LocalWebhook),
        Some(Unmet::Unobservable { ref help, .. }) if help.contains("loopback")
    ));
}

#[test]
fn a_selection_that_selects_nothing_is_a_usage_error_pointing_to_list() {
    let t = target();
    for opts in [
        RunOptions {
            only: vec!["NOPE-*".into()],
            ..RunOptions::default()
        },
        RunOptions {
            bindings: Some(vec![Binding::Rest]),
            only: vec!["DATA-002".into()],
            ..RunOptions::default()
        },
    ] {
        let err = runner::plan(&catalogue(), &t, &opts).expect_err("nothing selected");
        assert!(
            matches!(err, RunError::Usage(ref m) if m.contains("selects no case") && m.contains("--list")),
            "{err}"
        );
    }
    let err = runner::plan(
        &catalogue(),
        &t,
        &RunOptions {
            bindings: Some(vec![Binding::Rest]),
            only: vec!["DATA-002".into()],
            ..RunOptions::default()
        },
    )
    .expect_err("nothing selected");
    assert!(
        err.to_string()
            .starts_with("--only DATA-002 --binding rest selects no case"),
        "{err}"
    );
}

#[tokio::test]
async fn a_pass_keeps_its_transcript() {
    let t = target();
    let c = case(
        "DATA-001",
        Level::Must,
        Bindings::Once,
        Exec::Run(run_fn!(talks)),
    );
    let planned = runner::plan(&[c], &t, &RunOptions::default()).expect("plannable");
    let report = runner::run_plan(t, planned, &RunOptions::default(), &mut NoReporter).await;
    assert_eq!(report.results[0].verdict, Verdict::Pass);
    assert_eq!(report.results[0].transcript.len(), 1);
}

#[tokio::test]
async fn a_server_that_requires_a_token_stops_the_run_with_one_sentence() {
    let server = crate::reference(|b| b.bearer("token-a")).await;
    let url = server.base_url();
    let err = runner::run(&url, &catalogue(), &RunOptions::default(), &mut NoReporter)
        .await
        .expect_err("no token given");
    assert!(matches!(err, RunError::AuthRequired(_)), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("the server requires authentication: pass --token ("),
        "{msg}"
    );
    assert!(
        msg.contains("401") && msg.contains("WWW-Authenticate"),
        "{msg}"
    );
    let target = Arc::new(
        runner::discover(&url, vec!["wrong".into()], 1.0)
            .await
            .expect("the card is public"),
    );
    let err = runner::preflight(&target, 1.0)
        .await
        .expect_err("a token the server does not accept");
    assert!(
        err.to_string()
            .starts_with("the server refused the first --token"),
        "{err}"
    );
    let target = Arc::new(
        runner::discover(&url, vec!["token-a".into()], 1.0)
            .await
            .expect("the card is public"),
    );
    runner::preflight(&target, 1.0)
        .await
        .expect("an accepted token lets the run start");
    server.shutdown().await;
}
