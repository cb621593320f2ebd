//! The engine's shared machinery with a tiny provider of the test's own: Retry-After retries, pacing
//! of fan-outs, the access-token cache (an exchange shown as its own row, reused until it goes
//! stale), bounded concurrency, and history records.

mod sink;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pushdeck::draft::{Draft, DraftError};
use pushdeck::engine::{
    CampaignEvent, CampaignJob, Engine, EngineEvent, SendJob, SendReport, TargetJob,
};
use pushdeck::http::{Exchange, PreparedRequest};
use pushdeck::outcome::Outcome;
use pushdeck::provider::{
    Call, CallPlan, Capabilities, PrepareContext, Prepared, Provider, ProviderInfo, Secrets, Token,
    TokenPlan,
};
use pushdeck::store::{HistoryStore, Profile};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Echo;

static INFO: ProviderInfo = ProviderInfo {
    id: "echo",
    name: "Echo",
    default_base_url: "http://127.0.0.1:9",
    capabilities: Capabilities {
        max_per_second: Some(20.0),
        retries_on_rate_limit: 2,
        ..Capabilities::BASE
    },
    ..ProviderInfo::BASE
};

impl Provider for Echo {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    /// One request per recipient in `audience.to`, carrying the token.
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let root = ctx.profile.base_url.clone().unwrap_or_default();
        let to = pushdeck::draft::Fields::new("audience", &ctx.draft.audience).strings("to")?;
        let requests = to
            .into_iter()
            .map(|r| {
                let mut req = PreparedRequest::new("POST", format!("{root}/send/{r}")).header(
                    "Authorization",
                    format!("Bearer {}", ctx.token.unwrap_or("<token>")),
                );
                req.recipient = Some(r);
                req
            })
            .collect();
        Ok(Prepared {
            requests,
            warnings: Vec::new(),
        })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        if let Some(o) = Outcome::from_transport(exchange) {
            return o;
        }
        let r = exchange.response.as_ref().expect("a response");
        let mut o = Outcome::from_status("Echo", r.status, "");
        o.retry_after = (r.status == 429).then(|| r.retry_after()).flatten();
        o
    }

    fn call(&self, _: &Call, _: &Profile, _: &Secrets) -> Result<CallPlan, DraftError> {
        Err(DraftError::new("check", "none"))
    }

    fn interpret_call(&self, _: &Call, exchange: &Exchange) -> Outcome {
        self.interpret(exchange)
    }

    fn audience_label(&self, _: &Draft) -> String {
        "recipients".into()
    }

    fn broadcast(&self, _: &Draft) -> Option<String> {
        None
    }

    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        _: time::OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        let root = profile.base_url.clone().unwrap_or_default();
        let key = secrets.require(&profile.name, "key")?;
        Ok(TokenPlan::Exchange(
            PreparedRequest::new("POST", format!("{root}/token")).secret_header(
                "Authorization",
                format!("Basic {key}"),
                "key",
                key,
            ),
        ))
    }

    fn token_from_exchange(
        &self,
        exchange: &Exchange,
        now: time::OffsetDateTime,
    ) -> Result<Token, Outcome> {
        let body = exchange
            .response
            .as_ref()
            .and_then(|r| r.json())
            .ok_or_else(|| Outcome::refused("no token"))?;
        let value = body["access_token"]
            .as_str()
            .ok_or_else(|| Outcome::refused("no token"))?
            .to_string();
        Ok(Token {
            value,
            expires_at: now + time::Duration::hours(1),
            refresh_after: now + time::Duration::minutes(55),
        })
    }
}

static ECHO: Echo = Echo;

fn job(base: &str, recipients: &[&str]) -> SendJob {
    let mut profile = Profile::new("echo-profile", "echo");
    profile.base_url = Some(base.to_string());
    let mut secrets = Secrets::default();
    secrets.insert("key", "long-lived-key-123456".into());
    let draft = Draft::from_json(&serde_json::json!({"profile": "echo-profile", "message": {"body": "x"}, "audience": {"to": recipients}}).to_string()).expect("draft");
    SendJob {
        provider: &ECHO,
        draft: draft.into(),
        profile,
        secrets,
        idempotency_key: "k".into(),
        dry_run: false,
        timeout: Duration::from_secs(5),
        concurrency: 4,
    }
}

/// The token endpoint of the stand-in: every exchange answers with `token`.
fn token_endpoint(token: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": token})),
        )
}

/// Any other POST answers with `response`.
fn any_post(response: ResponseTemplate) -> Mock {
    Mock::given(method("POST")).respond_with(response)
}

/// What every test drives: a runtime, a stand-in server with its mocks mounted in order (the first
/// that matches answers), and an engine whose history lives in a temporary directory.
///
/// Fields drop in this order, the runtime last, as the locals of a test once did.
struct Bench {
    engine: Engine,
    _history: tempfile::TempDir,
    server: MockServer,
    rt: tokio::runtime::Runtime,
}

impl Bench {
    fn new(mocks: Vec<Mock>) -> Self {
        let rt = runtime();
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            for mock in mocks {
                mock.mount(&server).await;
            }
            server
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::new(HistoryStore::new(dir.path().join("history"))).expect("engine");
        Self {
            engine,
            _history: dir,
            server,
            rt,
        }
    }

    /// One send to `recipients`, reporting each event to `emit`.
    fn send(
        &self,
        recipients: &[&str],
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        self.rt.block_on(
            self.engine
                .send(job(&self.server.uri(), recipients), cancel, emit),
        )
    }

    /// One send to `recipients`, uncancelled, its events ignored.
    fn send_quietly(&self, recipients: &[&str]) -> Arc<SendReport> {
        self.send(recipients, CancellationToken::new(), &|_| {})
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn token_exchange_is_a_visible_row_and_is_cached() {
    let bench = Bench::new(vec![
        token_endpoint("short-lived-token-abcdef").expect(1),
        Mock::given(method("POST"))
            .and(header("authorization", "Bearer short-lived-token-abcdef"))
            .respond_with(ResponseTemplate::new(200))
            .expect(3),
    ]);
    let first = bench.send_quietly(&["a", "b"]);
    assert_eq!(first.results.len(), 3, "token row + two sends");
    assert!(
        first.results[0]
            .outcome
            .summary
            .starts_with("Got an access token, valid for"),
        "{}",
        first.results[0].outcome.summary
    );
    assert!(first.results.iter().all(|r| r.outcome.is_ok()));
    // The second send reuses the cached token: no second exchange (the mock expects one).
    let second = bench.send_quietly(&["c"]);
    assert_eq!(second.results.len(), 1);
    bench.rt.block_on(bench.server.verify());
    // History keeps every row, with the token masked.
    let entry = bench
        .engine
        .history()
        .get(first.history_id.as_deref().expect("recorded"))
        .expect("read")
        .expect("exists");
    let text = serde_json::to_string(&entry).expect("json");
    assert!(
        !text.contains("short-lived-token-abcdef") && !text.contains("long-lived-key-123456"),
        "{text}"
    );
    assert_eq!(entry.results.len(), 3);
}

#[test]
fn rate_limited_requests_are_retried_after_the_wait() {
    let bench = Bench::new(vec![
        token_endpoint("t"),
        Mock::given(method("POST"))
            .and(path("/send/a"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1),
        Mock::given(method("POST"))
            .and(path("/send/a"))
            .respond_with(ResponseTemplate::new(200)),
    ]);
    let start = Instant::now();
    let report = bench.send_quietly(&["a"]);
    let last = report.results.last().expect("a result");
    assert!(last.outcome.is_ok(), "{}", last.outcome.summary);
    assert_eq!(last.retried.len(), 1, "one 429 before the success");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
}

#[test]
fn fan_out_is_paced_and_reports_every_recipient() {
    let bench = Bench::new(vec![
        token_endpoint("t"),
        any_post(ResponseTemplate::new(200)),
    ]);
    let recipients: Vec<String> = (0..6).map(|i| format!("r{i}")).collect();
    let refs: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let events = std::sync::Mutex::new(Vec::new());
    let start = Instant::now();
    let report = bench.send(&refs, CancellationToken::new(), &|e| {
        if let EngineEvent::Result(r) = e {
            events
                .lock()
                .expect("lock")
                .push(r.exchange.request.recipient.clone());
        }
    });
    // 20 per second: six starts are at least 5 × 50 ms apart in all.
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    let rows: Vec<_> = report
        .results
        .iter()
        .skip(1)
        .map(|r| r.exchange.request.recipient.clone().unwrap_or_default())
        .collect();
    assert_eq!(rows, recipients, "one row per recipient, in order");
    assert_eq!(events.lock().expect("lock").len(), 7);
}

#[test]
fn cancelling_records_every_request_as_cancelled() {
    let bench = Bench::new(vec![
        token_endpoint("t"),
        any_post(ResponseTemplate::new(200).set_delay(Duration::from_secs(30))),
    ]);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    bench.rt.spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.cancel();
    });
    let report = bench.send(&["a", "b", "c"], cancel, &|_| {});
    assert!(report.cancelled);
    assert_eq!(report.results.len(), 4);
    assert!(
        report
            .results
            .iter()
            .skip(1)
            .all(|r| r.outcome.summary.contains("Cancelled"))
    );
    assert_eq!(report.exit_code(), 3);
}

#[test]
fn a_campaign_sends_its_targets_at_once_and_a_slow_one_holds_up_none() {
    let bench = Bench::new(vec![
        token_endpoint("short-lived-token-abcdef"),
        Mock::given(method("POST"))
            .and(path("/send/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(1500))),
        any_post(ResponseTemplate::new(200)),
    ]);
    let base = bench.server.uri();
    let target = |index: usize, to: &[&str]| TargetJob {
        index,
        job: job(&base, to),
        resume: None,
    };
    let campaign = CampaignJob {
        campaign: Arc::new(pushdeck::campaign::Campaign::default()),
        targets: vec![target(0, &["slow"]), target(1, &["fast-1", "fast-2"])],
        retries: None,
    };
    let start = Instant::now();
    let landed = std::sync::Mutex::new(Vec::new());
    let report = bench.rt.block_on(bench.engine.send_campaign(
        campaign,
        CancellationToken::new(),
        CancellationToken::new(),
        &|event| {
            if let CampaignEvent::Target {
                target,
                event: EngineEvent::Result(r),
            } = event
                && r.exchange.request.recipient.is_some()
            {
                landed.lock().expect("lock").push((target, start.elapsed()));
            }
        },
    ));
    let landed = landed.into_inner().expect("lock");
    let fast: Vec<_> = landed.iter().filter(|(t, _)| *t == 1).collect();
    let slow: Vec<_> = landed.iter().filter(|(t, _)| *t == 0).collect();
    assert_eq!((fast.len(), slow.len()), (2, 1), "{landed:?}");
    assert!(
        fast.iter().all(|(_, at)| *at < Duration::from_millis(1000)),
        "the fast target did not wait for the slow one: {landed:?}"
    );
    assert!(landed.iter().position(|(t, _)| *t == 0) > landed.iter().position(|(t, _)| *t == 1));
    assert_eq!(report.exit_code(), 0);
    assert_eq!(report.targets.len(), 2);
    let id = report
        .history_id
        .as_deref()
        .expect("the campaign is recorded");
    let record = bench
        .engine
        .history()
        .get_campaign(id)
        .expect("reads")
        .expect("kept");
    assert_eq!(record.targets.len(), 2);
    assert_eq!(
        bench.engine.history().list().len(),
        1,
        "one row for the campaign"
    );
}
