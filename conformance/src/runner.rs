//! The runner: discovers the target, selects cases, runs each on each applicable binding with a
//! fresh context, and emits [`RunEvent`]s that reporters consume. It knows nothing about A2A
//! beyond the card discovery it needs to build the [`Subject`] and one
//! authentication preflight ([`preflight`]).
//!
//! It is also the harness every judge runs through, check's cases and chaos's scenarios
//! alike: the `--only` [`Selection`], the level filter ([`level_included`]), containment of one
//! run under its deadline with panics and overruns as harness ERRORs ([`contain`]), and the
//! level mapping — what a raw failure means for a MUST, SHOULD, MAY or SDK row — here and only
//! here ([`final_verdict`], applied by [`Item::result`]). It only emits [`RunEvent`]s; what
//! becomes of them is the reporters' business (`crate::report`).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;
use tokio::sync::Semaphore;

use crate::case::{Binding, Bindings, Case, Exec, Level, Need, Outcome, Verdict};
use crate::context::{Ctx, Subject, Target, Unmet};
use crate::errors::RunError;
use crate::probe::Transcript;
use crate::report::{CaseResult, Deviation, RunReport};
use crate::spec::Method;
use gauntlet_a2a::DiscoverError;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Bindings to run; `None`: every binding the card declares.
    pub bindings: Option<Vec<Binding>>,
    /// The weakest level to include: `Must` runs MUST rows only, `Should` adds SHOULD rows,
    /// `May` runs everything (MAY and SDK rows too).
    pub level: Level,
    /// `--only` patterns (see [`Selection`]): `JRPC-*`, `JRPC`, `JRPC-00[1-3]`,
    /// `SEND-004[rest]`; empty: every case.
    pub only: Vec<String>,
    /// `--shard K/N`: run only that share of the plan.
    pub shard: Option<Shard>,
    /// Multiplies every deadline (slow CI runners).
    pub timeout_scale: f64,
    /// Bearer tokens, one identity each (`--token`).
    pub tokens: Vec<String>,
    /// Cases running at once.
    pub concurrency: usize,
    /// Per-case deadline before scaling.
    pub case_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            bindings: None,
            level: Level::May,
            only: Vec::new(),
            shard: None,
            timeout_scale: 1.0,
            tokens: Vec::new(),
            concurrency: 16,
            case_timeout: Duration::from_secs(30),
        }
    }
}

impl RunOptions {
    /// The per-case deadline after scaling.
    pub fn scaled_case_timeout(&self) -> Duration {
        self.case_timeout.mul_f64(self.timeout_scale)
    }
}

pub use crate::report::events::{NoReporter, Reporter, RunEvent};
pub use crate::report::Shard;

/// One planned run: a case on a binding (`None` for binding-independent cases).
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    /// The case.
    pub case: Case,
    /// The binding, or `None` for [`Bindings::Once`].
    pub binding: Option<Binding>,
}

impl Planned {
    /// `ID` or `ID[binding]`: the name of its result in every report, in `--list` and on the
    /// nextest route (see [`crate::report::result_name`]).
    pub fn test_name(&self) -> String {
        crate::report::result_name(self.case.id, self.binding)
    }
}

/// The level mapping, in one place: a raw `Fail` is FAIL on a MUST, NON-STRICT on a SHOULD and
/// INFORMATIONAL on MAY and SDK rows. A raw `NonStrict` on MAY/SDK rows is informational too.
pub fn final_verdict(level: Level, raw: Verdict) -> Verdict {
    match (raw, level) {
        (Verdict::Fail, Level::Must) => Verdict::Fail,
        (Verdict::Fail, Level::Should) => Verdict::NonStrict,
        (Verdict::Fail | Verdict::NonStrict, Level::May | Level::Sdk) => Verdict::Informational,
        (other, _) => other,
    }
}

/// Whether `level` is included when running at `max` (must ⊂ should ⊂ may).
pub fn level_included(level: Level, max: Level) -> bool {
    level.included_in(max)
}

/// The `--only` selection, one syntax for every command: each pattern is a case-insensitive
/// glob (`*`, `?`, `[1-3]`, via `globset`) on a case's id or area, optionally followed by a
/// binding in brackets as the reports name results: `JRPC-00[1-3]`, `SEND-004[rest]`,
/// `DATA-*[json*]`. A trailing bracket group holding only letters, `*` and `?` (two or more
/// characters) is the binding part; any other brackets are a character class of the id glob.
/// A pattern with a binding part never selects a binding-independent case (its name has none).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    id: globset::GlobMatcher,
    binding: Option<globset::GlobMatcher>,
}

fn glob(text: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(text)
        .case_insensitive(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`{text}` is not a valid glob: {}", e.kind()))
}

/// `ID-GLOB[BINDING-GLOB]` → the two parts, or the whole text when it has no binding part.
fn split_binding(pattern: &str) -> (&str, Option<&str>) {
    if let Some(body) = pattern.strip_suffix(']') {
        if let Some(open) = body.rfind('[') {
            let inner = &body[open + 1..];
            if inner.len() >= 2
                && inner
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '*' || c == '?')
            {
                return (&body[..open], Some(inner));
            }
        }
    }
    (pattern, None)
}

impl Selection {
    /// Parses `--only` patterns; the error is one sentence naming the bad pattern.
    pub fn parse(patterns: &[String]) -> Result<Self, String> {
        let patterns = patterns
            .iter()
            .map(|p| {
                let (id, binding) = split_binding(p);
                Ok(Pattern {
                    id: glob(id)?,
                    binding: binding.map(glob).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self { patterns })
    }

    /// Whether nothing was given (everything is selected).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether the result `id` (of checklist group `area`) on `binding` is selected.
    pub fn selects(&self, id: &str, area: &str, binding: Option<Binding>) -> bool {
        self.is_empty()
            || self.patterns.iter().any(|p| {
                (p.id.is_match(id) || p.id.is_match(area))
                    && match (&p.binding, binding) {
                        (None, _) => true,
                        (Some(g), Some(b)) => g.is_match(b.short()),
                        (Some(_), None) => false,
                    }
            })
    }
}

/// Fetches `{origin}/.well-known/agent-card.json` and reads the target's facts from it
/// ([`Target::discover`]); `tokens` are the user's identities for the run.
pub async fn discover(
    base_url: &str,
    tokens: Vec<String>,
    timeout_scale: f64,
) -> Result<Subject, RunError> {
    let target = Target::discover(base_url, Duration::from_secs_f64(10.0 * timeout_scale))
        .await
        .map_err(|e| match e {
            DiscoverError::InvalidUrl(m) => RunError::Usage(m),
            e @ DiscoverError::Unreachable { .. } => RunError::Unreachable(e.to_string()),
            DiscoverError::NotA2a(m) => RunError::NotA2a(m),
        })?;
    Ok(Subject { target, tokens })
}

/// Refuses a run that could only see authentication refusals: one cheap call (GetTask of an
/// id no server holds, on the first declared binding, with the first `--token` if any) must not
/// be answered HTTP 401. Any other answer, or none, lets the cases judge.
pub async fn preflight(target: &Arc<Subject>, timeout_scale: f64) -> Result<(), RunError> {
    let Some(binding) = target.bindings().first().copied() else {
        return Ok(());
    };
    let ctx = Ctx::new(
        target.clone(),
        binding,
        Transcript::new(),
        timeout_scale,
        new_run_id(),
    );
    let id = ctx.unique("gauntlet-auth-probe");
    let Ok(answer) = ctx
        .client()
        .call(Method::GetTask, json!({ "id": id }))
        .await
    else {
        // An unreachable interface is for the cases to report, with evidence.
        return Ok(());
    };
    if answer.raw.status != 401 {
        return Ok(());
    }
    let challenge = answer
        .raw
        .header("www-authenticate")
        .map(|c| format!(" with WWW-Authenticate: {c}"))
        .unwrap_or_default();
    let seen = format!(
        "GetTask on {} answered HTTP 401{challenge}",
        target.url(binding).unwrap_or_default()
    );
    Err(RunError::AuthRequired(if target.tokens.is_empty() {
        format!("the server requires authentication: pass --token ({seen})")
    } else {
        format!("the server refused the first --token: pass one it accepts ({seen})")
    }))
}

/// The planned runs for `cases` against `target` under `opts`, in catalogue order.
pub fn plan(cases: &[Case], target: &Subject, opts: &RunOptions) -> Result<Vec<Planned>, RunError> {
    let declared = target.bindings();
    let wanted: Vec<Binding> = match &opts.bindings {
        None => Binding::ALL.to_vec(),
        Some(bs) => {
            for b in bs {
                if !declared.contains(b) {
                    return Err(RunError::Usage(format!(
                        "the card declares no {} interface, so --binding {} cannot run",
                        b.protocol_binding(),
                        b.short()
                    )));
                }
            }
            bs.clone()
        }
    };
    let selection =
        Selection::parse(&opts.only).map_err(|e| RunError::Usage(format!("--only {e}")))?;
    let mut out = Vec::new();
    for case in cases {
        if !level_included(case.level, opts.level) {
            continue;
        }
        let on: Vec<Option<Binding>> = match case.bindings {
            Bindings::Once => vec![None],
            Bindings::Each => Binding::ALL.map(Some).to_vec(),
            Bindings::JsonRpc => vec![Some(Binding::JsonRpc)],
            Bindings::Rest => vec![Some(Binding::Rest)],
        };
        for binding in on {
            let declared = binding.is_none_or(|b| wanted.contains(&b));
            if declared && selection.selects(case.id, case.area(), binding) {
                out.push(Planned {
                    case: *case,
                    binding,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(RunError::Usage(format!(
            "{} selects no case: `gauntlet check --list` without it lists what can run",
            selection_flags(opts)
        )));
    }
    if let Some(shard) = opts.shard {
        let selected = out.len();
        out = out
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shard.holds(*i))
            .map(|(_, p)| p)
            .collect();
        if out.is_empty() {
            return Err(RunError::Usage(format!(
                "--shard {shard} selects no case: the selection has only {selected} runs"
            )));
        }
    }
    Ok(out)
}

/// The selecting flags in effect, as typed: `--only 'JRPC-9*' --binding rest`.
fn selection_flags(opts: &RunOptions) -> String {
    let mut flags: Vec<String> = opts
        .only
        .iter()
        .map(|g| format!("--only {}", crate::probe::transcript::quote(g)))
        .collect();
    if let Some(bs) = &opts.bindings {
        flags.extend(bs.iter().map(|b| format!("--binding {}", b.short())));
    }
    if opts.level != Level::May {
        flags.push(format!(
            "--level {}",
            opts.level.as_str().to_ascii_lowercase()
        ));
    }
    if flags.is_empty() {
        "the catalogue".to_owned()
    } else {
        flags.join(" ")
    }
}

/// A run-unique token for ids (time-based, so two runs against one server never collide).
pub fn new_run_id() -> String {
    let micros = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{:x}", micros & 0xffff_ffff_ffff)
}

/// What the harness judges, whatever runs it (a check case, a chaos scenario): its name in
/// reports and the level that maps its raw failures ([`final_verdict`]).
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Catalogue id (`SEND-004`, `CHAOS-SLOW-001`).
    pub id: &'a str,
    /// Level of the requirement it judges.
    pub level: Level,
    /// What it does.
    pub title: &'a str,
    /// What the server must do.
    pub requirement: &'a str,
    /// The spec clause.
    pub spec: &'a str,
}

impl Case {
    /// This case as the harness judges it.
    pub fn item(&self) -> Item<'static> {
        Item {
            id: self.id,
            level: self.level,
            title: self.title,
            requirement: self.requirement,
            spec: self.spec,
        }
    }
}

impl Item<'_> {
    /// The result of this item on `binding`: `outcome` with the level mapping applied to its
    /// verdict and to every further deviation, with its evidence and duration.
    pub fn result(
        &self,
        binding: Option<Binding>,
        outcome: Outcome,
        transcript: Vec<crate::probe::Exchange>,
        duration: Duration,
    ) -> CaseResult {
        let deviations = outcome
            .also
            .into_iter()
            .map(|d| Deviation {
                verdict: final_verdict(self.level, d.verdict),
                summary: d.summary,
                expected: d.expected,
                observed: d.observed,
            })
            .collect();
        CaseResult {
            id: self.id.to_owned(),
            binding,
            level: self.level,
            verdict: final_verdict(self.level, outcome.verdict),
            title: self.title.to_owned(),
            requirement: self.requirement.to_owned(),
            spec: self.spec.to_owned(),
            summary: outcome.summary,
            expected: outcome.expected,
            observed: outcome.observed,
            deviations,
            transcript,
            duration,
        }
    }
}

/// Waits for `task` (an item's run in its own task) under `deadline`: its outcome, or a harness
/// ERROR when it panicked, was cancelled or overran (then it is aborted). `noun` names the item
/// in those sentences; `overrun` words the deadline's.
pub async fn contain(
    noun: &str,
    mut task: tokio::task::JoinHandle<crate::case::Judged>,
    deadline: Duration,
    overrun: impl FnOnce(Duration) -> String,
) -> Outcome {
    match tokio::time::timeout(deadline, &mut task).await {
        Ok(Ok(Ok(outcome) | Err(outcome))) => outcome,
        Ok(Err(join)) if join.is_panic() => {
            let payload = join.into_panic();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Outcome::error(format!("the {noun} panicked: {msg}"))
        }
        Ok(Err(join)) => Outcome::error(format!("the {noun} was cancelled: {join}")),
        Err(_) => {
            task.abort();
            Outcome::error(overrun(deadline))
        }
    }
}

/// Runs one planned case with a fresh context and its own transcript; never panics.
pub async fn run_planned(
    target: Arc<Subject>,
    planned: Planned,
    opts: &RunOptions,
    run_id: &str,
) -> CaseResult {
    let case = planned.case;
    let started = Instant::now();
    let transcript = Transcript::new();
    let outcome = judge(&target, planned, opts, run_id, &transcript).await;
    // Every verdict keeps its evidence, so a pass can be audited too; bounded per result.
    case.item().result(
        planned.binding,
        outcome,
        transcript.bounded(),
        started.elapsed(),
    )
}

async fn judge(
    target: &Arc<Subject>,
    planned: Planned,
    opts: &RunOptions,
    run_id: &str,
    transcript: &Transcript,
) -> Outcome {
    let case = planned.case;
    let run = match case.exec {
        Exec::Manual(why) => return Outcome::not_applicable(format!("not automatable: {why}")),
        Exec::Run(f) => f,
    };
    let binding = match planned.binding {
        Some(b) => {
            if target.url(b).is_none() {
                return Outcome::not_applicable(format!(
                    "the card declares no {} interface",
                    b.protocol_binding()
                ));
            }
            b
        }
        None => match target.bindings().first() {
            Some(b) => *b,
            None => return Outcome::not_applicable("the card declares no usable interface"),
        },
    };
    match target.unmet_of(case.needs) {
        Some(Unmet::NotDeclared(reason)) => return Outcome::not_applicable(reason),
        Some(Unmet::Unobservable { reason, help }) => return Outcome::untested(reason, help),
        None => {}
    }
    let ctx = Ctx::new(
        target.clone(),
        binding,
        transcript.clone(),
        opts.timeout_scale,
        run_id.to_owned(),
    );
    // Its own task, so a panic is caught as a JoinError and a hung case can be aborted.
    contain(
        "case",
        tokio::spawn(run(ctx)),
        opts.scaled_case_timeout(),
        |deadline| {
            format!(
                "no verdict within {:.1} s (per-case deadline; see --timeout-scale)",
                deadline.as_secs_f64()
            )
        },
    )
    .await
}

/// What a run task tells the reporting loop: planned run `index` began, or has its result.
enum Progress {
    Began(usize, SystemTime),
    Done(usize, Box<(CaseResult, SystemTime, SystemTime)>),
}

/// Runs `planned` against `target` (at most `opts.concurrency` at once) and reports in
/// catalogue order.
pub async fn run_plan(
    target: Arc<Subject>,
    planned: Vec<Planned>,
    opts: &RunOptions,
    reporter: &mut (dyn Reporter + Send),
) -> RunReport {
    let started_wall = SystemTime::now();
    let started = Instant::now();
    let total = planned.len();
    reporter.on_event(&RunEvent::Started {
        target: &target,
        total,
        at: started_wall,
    });
    let run_id = new_run_id();
    let limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Start the likely-long cases (scripted agent, streams, webhooks) first, so the slowest
    // one does not begin last; results are still reported in catalogue order.
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by_key(|&i| !likely_slow(&planned[i].case));
    for index in order {
        let p = planned[index];
        let target = target.clone();
        let opts = opts.clone();
        let run_id = run_id.clone();
        let limit = limit.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = limit.acquire_owned().await.ok();
            let began = SystemTime::now();
            let _ = tx.send(Progress::Began(index, began));
            let result = run_planned(target, p, &opts, &run_id).await;
            let _ = tx.send(Progress::Done(
                index,
                Box::new((result, began, SystemTime::now())),
            ));
        });
    }
    drop(tx);
    let mut slots: Vec<Option<(CaseResult, SystemTime, SystemTime)>> = vec![None; total];
    let mut next = 0;
    while let Some(progress) = rx.recv().await {
        let (index, finished) = match progress {
            Progress::Began(index, at) => {
                reporter.on_event(&RunEvent::CaseStarted {
                    id: planned[index].case.id,
                    binding: planned[index].binding,
                    at,
                });
                continue;
            }
            Progress::Done(index, finished) => (index, *finished),
        };
        slots[index] = Some(finished);
        // Report in catalogue order: flush every finished result at the front.
        while next < total {
            let Some((r, began, ended)) = slots[next].as_ref() else {
                break;
            };
            reporter.on_event(&RunEvent::CaseFinished {
                result: r,
                done: next + 1,
                total,
                started: *began,
                finished: *ended,
            });
            next += 1;
        }
    }
    let results: Vec<CaseResult> = slots
        .into_iter()
        .zip(&planned)
        .map(|(slot, p)| {
            // A run task can only vanish if the runtime is shutting down.
            slot.map(|(r, ..)| r).unwrap_or_else(|| CaseResult {
                id: p.case.id.to_owned(),
                binding: p.binding,
                level: p.case.level,
                verdict: Verdict::Error,
                title: p.case.title.to_owned(),
                requirement: p.case.requirement.to_owned(),
                spec: p.case.spec.to_owned(),
                summary: "the case never reported (runtime shutting down)".to_owned(),
                expected: None,
                observed: None,
                deviations: Vec::new(),
                transcript: Vec::new(),
                duration: Duration::ZERO,
            })
        })
        .collect();
    let report = report_of(&target, started_wall, started.elapsed(), results);
    reporter.on_event(&RunEvent::Finished {
        report: &report,
        at: SystemTime::now(),
    });
    report
}

/// The report of a run against `target` that started at `started_at` and took `duration`:
/// the whole run's, or (Ctrl-C) that of the results reported before it was stopped.
pub fn report_of(
    target: &Target,
    started_at: SystemTime,
    duration: Duration,
    results: Vec<CaseResult>,
) -> RunReport {
    RunReport {
        target: target.base_url.clone(),
        card: Some(target.card.clone()),
        suite_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: rfc3339(started_at),
        duration,
        results,
    }
}

/// Cases that wait on an agent, a stream or a webhook usually take longest.
fn likely_slow(case: &Case) -> bool {
    case.needs
        .iter()
        .any(|n| matches!(n, Need::TestAgent | Need::Streaming | Need::LocalWebhook))
}

/// Discovers `base_url`, plans `cases` and runs them: the whole `gauntlet check`.
pub async fn run(
    base_url: &str,
    cases: &[Case],
    opts: &RunOptions,
    reporter: &mut (dyn Reporter + Send),
) -> Result<RunReport, RunError> {
    let target = Arc::new(discover(base_url, opts.tokens.clone(), opts.timeout_scale).await?);
    let planned = plan(cases, &target, opts)?;
    preflight(&target, opts.timeout_scale).await?;
    Ok(run_plan(target, planned, opts, reporter).await)
}

/// RFC 3339 UTC with milliseconds (`2026-01-01T00:00:00.000Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant), valid for the whole proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_failure_maps_by_level() {
        assert_eq!(final_verdict(Level::Must, Verdict::Fail), Verdict::Fail);
        assert_eq!(
            final_verdict(Level::Should, Verdict::Fail),
            Verdict::NonStrict
        );
        assert_eq!(
            final_verdict(Level::May, Verdict::Fail),
            Verdict::Informational
        );
        assert_eq!(
            final_verdict(Level::Sdk, Verdict::Fail),
            Verdict::Informational
        );
        assert_eq!(final_verdict(Level::Must, Verdict::Pass), Verdict::Pass);
    }

    #[test]
    fn selections_match_ids_areas_classes_and_bindings() {
        let sel = |p: &str| Selection::parse(&[p.to_owned()]).expect("valid");
        assert!(sel("JRPC-*").selects("JRPC-005", "JRPC", None));
        assert!(sel("jrpc-00?").selects("JRPC-005", "JRPC", None));
        assert!(sel("JRPC").selects("JRPC-005", "JRPC", Some(Binding::Rest)));
        assert!(!sel("JRPC-*").selects("REST-001", "REST", None));
        assert!(sel("JRPC-00[1-3]").selects("JRPC-002", "JRPC", None));
        assert!(!sel("JRPC-00[1-3]").selects("JRPC-004", "JRPC", None));
        let rest = sel("SEND-004[rest]");
        assert!(rest.selects("SEND-004", "SEND", Some(Binding::Rest)));
        assert!(!rest.selects("SEND-004", "SEND", Some(Binding::JsonRpc)));
        assert!(!rest.selects("SEND-004", "SEND", None));
        assert!(sel("SEND-*[json*]").selects("SEND-001", "SEND", Some(Binding::JsonRpc)));
        assert!(Selection::parse(&["JRPC-[".to_owned()]).is_err());
    }

    #[test]
    fn shards_parse_and_deal_round_robin() {
        let s: Shard = "2/3".parse().expect("a shard");
        assert_eq!(s, Shard { index: 2, count: 3 });
        assert_eq!(s.to_string(), "2/3");
        assert_eq!((0..7).filter(|&i| s.holds(i)).collect::<Vec<_>>(), [1, 4]);
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_is_utc_with_milliseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        assert_eq!(rfc3339(t), "2026-01-01T00:00:00.123Z");
    }
}
