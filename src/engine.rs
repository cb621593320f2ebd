//! Runs a send for both front ends: prepare → send with bounded concurrency → interpret → history,
//! reporting progress through a channel so the UI thread never waits on the network.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::draft::{Draft, DraftError};
use crate::http::{Exchange, PreparedRequest, Transport, TransportError, TransportErrorKind};
use crate::outcome::{Outcome, Verdict};
use crate::provider::{PrepareContext, Prepared, Provider, Secrets};
use crate::store::{HistoryEntry, HistoryStore, Profile};
use crate::store::history_result;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Everything one send needs, owned so it can move onto the runtime.
#[derive(Clone)]
pub struct SendJob {
    pub provider: &'static dyn Provider,
    pub draft: Draft,
    pub profile: Profile,
    pub secrets: Secrets,
    pub idempotency_key: String,
    /// Build and validate only; nothing goes over the network.
    pub dry_run: bool,
    pub timeout: Duration,
    pub concurrency: usize,
}

/// One request's result, as the front ends show it.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub index: usize,
    pub exchange: Exchange,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Requests were built; `total` will follow.
    Started { total: usize, warnings: Vec<String> },
    Result(SendResult),
    /// All done (or cancelled). `history_id` is where it was recorded.
    Finished(SendReport),
    /// The draft could not be turned into requests: nothing was sent.
    Invalid(DraftError),
}

#[derive(Debug, Clone, Default)]
pub struct SendReport {
    pub results: Vec<SendResult>,
    pub warnings: Vec<String>,
    pub cancelled: bool,
    pub history_id: Option<String>,
    /// Set when the history could not be written (the send itself happened).
    pub history_error: Option<String>,
}

impl SendReport {
    /// The CLI exit status of CONTRACT.md: 0 all accepted, 1 refused, 3 transport failure.
    pub fn exit_code(&self) -> i32 {
        let verdicts: Vec<Verdict> = self.results.iter().map(|r| r.outcome.verdict).collect();
        if verdicts.contains(&Verdict::TransportFailed) {
            3
        } else if verdicts.contains(&Verdict::Refused) {
            1
        } else {
            0
        }
    }
}

/// A running send, held by the UI: drain `events` each frame; `cancel` stops it.
pub struct SendHandle {
    pub events: mpsc::Receiver<EngineEvent>,
    pub cancel: CancellationToken,
}

#[derive(Clone)]
pub struct Engine {
    transport: Transport,
    history: Arc<HistoryStore>,
}

impl Engine {
    pub fn new(history: HistoryStore) -> Result<Self, TransportError> {
        Ok(Self { transport: Transport::new(Duration::from_secs(10))?, history: Arc::new(history) })
    }

    pub fn history(&self) -> &HistoryStore {
        &self.history
    }

    /// Builds the requests for a draft: what the Request pane and `preview` show.
    pub fn prepare(job: &SendJob) -> Result<Prepared, DraftError> {
        job.provider.prepare(&PrepareContext {
            draft: &job.draft,
            profile: &job.profile,
            secrets: &job.secrets,
            now: crate::clock::now(),
            idempotency_key: &job.idempotency_key,
        })
    }

    /// Starts a send on `runtime` and returns at once; `notify` is called after each event (the
    /// GUI passes `ctx.request_repaint`).
    pub fn spawn_send(
        &self,
        runtime: &tokio::runtime::Handle,
        job: SendJob,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> SendHandle {
        let (tx, rx) = mpsc::channel();
        let cancel = CancellationToken::new();
        let engine = self.clone();
        let token = cancel.clone();
        runtime.spawn(async move {
            let emit = |event: EngineEvent| {
                let _ = tx.send(event);
                notify();
            };
            engine.send(job, token, &emit).await;
        });
        SendHandle { events: rx, cancel }
    }

    /// Runs a whole send, emitting events as it goes, records it in history, and returns the report.
    pub async fn send(&self, job: SendJob, cancel: CancellationToken, emit: &(dyn Fn(EngineEvent) + Sync)) -> SendReport {
        let prepared = match Self::prepare(&job) {
            Ok(p) => p,
            Err(e) => {
                emit(EngineEvent::Invalid(e));
                return SendReport::default();
            }
        };
        emit(EngineEvent::Started { total: prepared.requests.len(), warnings: prepared.warnings.clone() });
        let mut report = SendReport { warnings: prepared.warnings.clone(), ..Default::default() };
        if job.dry_run {
            for (index, request) in prepared.requests.into_iter().enumerate() {
                let result = SendResult {
                    index,
                    exchange: Exchange::unsent(request),
                    outcome: Outcome::not_sent("Dry run: built and validated, not sent."),
                };
                emit(EngineEvent::Result(result.clone()));
                report.results.push(result);
            }
            emit(EngineEvent::Finished(report.clone()));
            return report;
        }
        report.results = self
            .run(job.provider, prepared.requests, job.timeout, job.concurrency, &cancel, emit, |p, ex| p.interpret(ex))
            .await;
        report.cancelled = cancel.is_cancelled();
        let entry = HistoryEntry {
            id: HistoryStore::new_id(),
            at: crate::clock::now_rfc3339(),
            provider: job.provider.info().id.to_string(),
            profile: job.profile.name.clone(),
            audience: job.provider.audience_label(&job.draft),
            draft: job.draft.clone(),
            results: report.results.iter().map(|r| history_result(&r.exchange, &r.outcome)).collect(),
        };
        match self.history.add(&entry) {
            Ok(()) => report.history_id = Some(entry.id),
            Err(e) => report.history_error = Some(format!("The send was not saved to history: {e}")),
        }
        emit(EngineEvent::Finished(report.clone()));
        report
    }

    /// Sends requests with at most `concurrency` in flight, interpreting each; cancelled requests
    /// are recorded as such, never dropped.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        provider: &'static dyn Provider,
        requests: Vec<PreparedRequest>,
        timeout: Duration,
        concurrency: usize,
        cancel: &CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
        interpret: fn(&dyn Provider, &Exchange) -> Outcome,
    ) -> Vec<SendResult> {
        let semaphore = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, request) in requests.into_iter().enumerate() {
            let transport = self.transport.clone();
            let semaphore = semaphore.clone();
            let cancel = cancel.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let copy = request.clone();
                let exchange = tokio::select! {
                    _ = cancel.cancelled() => cancelled(copy),
                    exchange = transport.send(request, timeout) => exchange,
                };
                (index, exchange)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, exchange)) = joined else { continue };
            let outcome = interpret(provider, &exchange);
            let result = SendResult { index, exchange, outcome };
            emit(EngineEvent::Result(result.clone()));
            results.push(result);
        }
        results.sort_by_key(|r| r.index);
        results
    }

    /// Check credentials: the provider's cheapest read-only call.
    pub async fn check(&self, provider: &'static dyn Provider, profile: &Profile, secrets: &Secrets, timeout: Duration) -> Result<SendResult, DraftError> {
        let request = provider.check(profile, secrets)?;
        let exchange = self.transport.send(request, timeout).await;
        let outcome = provider.interpret_check(&exchange);
        Ok(SendResult { index: 0, exchange, outcome })
    }

    /// A read-only lookup (segments, devices…) whose items are in `outcome.items`.
    pub async fn lookup(&self, provider: &'static dyn Provider, id: &str, profile: &Profile, secrets: &Secrets, timeout: Duration) -> Result<SendResult, DraftError> {
        let request = provider.lookup(id, profile, secrets)?;
        let exchange = self.transport.send(request, timeout).await;
        let outcome = provider.interpret_lookup(id, &exchange);
        Ok(SendResult { index: 0, exchange, outcome })
    }
}

fn cancelled(request: PreparedRequest) -> Exchange {
    let mut exchange = Exchange::unsent(request);
    exchange.error = Some(TransportError {
        kind: TransportErrorKind::Cancelled,
        message: "Cancelled before an answer arrived.".into(),
        detail: "cancelled by the user".into(),
    });
    exchange
}
