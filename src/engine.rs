//! Runs a send for both front ends: prepare → send with bounded concurrency → interpret → history,
//! reporting progress through a channel so the UI thread never waits on the network.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::draft::{Draft, DraftError};
use crate::http::{Exchange, PreparedRequest, Transport, TransportError, TransportErrorKind};
use crate::outcome::{Outcome, Verdict};
use crate::provider::{PrepareContext, Prepared, Provider, Secrets, Token, TokenPlan};
use crate::store::history_result;
use crate::store::{HistoryEntry, HistoryStore, Profile};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most requests of one send in flight at once, whatever a provider or draft asks for.
pub const MAX_CONCURRENCY: usize = 256;
/// Requests built for a live preview of a costly fan-out (Web Push encrypts each one).
pub const PREVIEW_LIMIT: usize = 20;

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
    /// Upper bound on requests in flight; the provider's `concurrency` picks the value below it.
    pub concurrency: usize,
}

/// One request's result, as the front ends show it.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub index: usize,
    pub exchange: Exchange,
    pub outcome: Outcome,
    /// Earlier attempts of the same request that the provider asked to retry (429 + Retry-After).
    pub retried: Vec<Exchange>,
}

/// Longest wait honoured from a Retry-After before giving up on a retry.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Requests were built; `total` will follow.
    Started {
        total: usize,
        warnings: Vec<String>,
    },
    Result(Box<SendResult>),
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

/// Access tokens by provider, profile and a fingerprint of its secrets (a changed key gets a new
/// token). Memory only.
type TokenCache = Arc<Mutex<HashMap<(String, String, u64), Token>>>;

#[derive(Clone)]
pub struct Engine {
    transport: Transport,
    history: Arc<HistoryStore>,
    tokens: TokenCache,
}

impl Engine {
    pub fn new(history: HistoryStore) -> Result<Self, TransportError> {
        Ok(Self {
            transport: Transport::new(Duration::from_secs(10))?,
            history: Arc::new(history),
            tokens: TokenCache::default(),
        })
    }

    fn token_key(job: &SendJob) -> (String, String, u64) {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        job.secrets.fingerprint().hash(&mut hasher);
        job.profile.settings.hash(&mut hasher);
        (
            job.provider.info().id.to_string(),
            job.profile.name.clone(),
            hasher.finish(),
        )
    }

    /// A cached token that is still fresh, for previews and sends.
    pub fn cached_token(&self, job: &SendJob) -> Option<Token> {
        let now = crate::clock::now();
        let cache = self.tokens.lock().ok()?;
        cache
            .get(&Self::token_key(job))
            .filter(|t| now < t.refresh_after)
            .cloned()
    }

    /// Makes sure the job has a fresh token when its provider needs one. A token exchange is an
    /// ordinary exchange: it is returned so the front ends show and record it.
    async fn ensure_token(
        &self,
        job: &SendJob,
    ) -> Result<(Option<Token>, Option<SendResult>), SendResult> {
        if let Some(token) = self.cached_token(job) {
            return Ok((Some(token), None));
        }
        let now = crate::clock::now();
        let plan = job
            .provider
            .token_plan(&job.profile, &job.secrets, now)
            .map_err(|e| SendResult {
                index: 0,
                exchange: Exchange::unsent(crate::http::PreparedRequest::new("POST", "")),
                outcome: Outcome::refused(e.to_string()),
                retried: Vec::new(),
            })?;
        let (token, exchange) = match plan {
            TokenPlan::None => return Ok((None, None)),
            TokenPlan::Mint(token) => (token, None),
            TokenPlan::Exchange(request) => {
                let exchange = self.transport.send(request, job.timeout).await;
                match job
                    .provider
                    .token_from_exchange(&exchange, crate::clock::now())
                {
                    Ok(token) => (token, Some(exchange)),
                    Err(outcome) => {
                        let outcome = outcome.without_secrets(&exchange.request.secrets);
                        return Err(SendResult {
                            index: 0,
                            exchange,
                            outcome,
                            retried: Vec::new(),
                        });
                    }
                }
            }
        };
        if let Ok(mut cache) = self.tokens.lock() {
            cache.insert(Self::token_key(job), token.clone());
        }
        let result = exchange.map(|mut exchange| {
            exchange.request.add_secret("access_token", &token.value);
            let minutes = (token.expires_at - crate::clock::now())
                .whole_minutes()
                .max(0);
            SendResult {
                index: 0,
                exchange,
                outcome: Outcome::accepted(format!("Got an access token, valid for {minutes} min")),
                retried: Vec::new(),
            }
        });
        Ok((Some(token), result))
    }

    pub fn history(&self) -> &HistoryStore {
        &self.history
    }

    /// Builds the requests for a draft: what the Request pane and `preview` show. Without a token
    /// the provider shows a placeholder where the token goes.
    pub fn prepare(job: &SendJob) -> Result<Prepared, DraftError> {
        // A token signed locally (APNs) needs no network, so a preview shows the real one and its
        // curl command runs as printed; an exchanged token (FCM) stays a placeholder.
        let minted = if job.provider.info().mints_tokens {
            match job
                .provider
                .token_plan(&job.profile, &job.secrets, crate::clock::now())
            {
                Ok(TokenPlan::Mint(token)) => Some(token),
                _ => None,
            }
        } else {
            None
        };
        Self::prepare_with(job, minted.as_ref())
    }

    /// What the live Request pane shows: at most `PREVIEW_LIMIT` requests of a costly fan-out,
    /// with the number of requests the send will make in all.
    pub fn prepare_preview(job: &SendJob) -> Result<(Prepared, usize), DraftError> {
        match job.provider.preview_draft(&job.draft, PREVIEW_LIMIT) {
            None => Self::prepare(job).map(|p| {
                let total = p.requests.len();
                (p, total)
            }),
            Some((cut, omitted)) => {
                let mut shown = job.clone();
                shown.draft = cut;
                let mut prepared = Self::prepare(&shown)?;
                let total = prepared.requests.len() + omitted;
                prepared.warnings.push(format!(
                    "Showing the first {} of {total} requests; Send builds all of them.",
                    prepared.requests.len()
                ));
                Ok((prepared, total))
            }
        }
    }

    pub fn prepare_with(job: &SendJob, token: Option<&Token>) -> Result<Prepared, DraftError> {
        Self::prepare_draft(job, &job.draft, token)
    }

    fn prepare_draft(
        job: &SendJob,
        draft: &Draft,
        token: Option<&Token>,
    ) -> Result<Prepared, DraftError> {
        let mut prepared = job.provider.prepare(&PrepareContext {
            draft,
            profile: &job.profile,
            secrets: &job.secrets,
            now: crate::clock::now(),
            idempotency_key: &job.idempotency_key,
            token: token.map(|t| t.value.as_str()),
            dry_run: job.dry_run && job.provider.server_dry_run(),
        })?;
        if let Some(token) = token {
            for request in &mut prepared.requests {
                request.add_secret("access_token", &token.value);
            }
        }
        Ok(prepared)
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
    pub async fn send(
        &self,
        job: SendJob,
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> SendReport {
        let local_dry_run = job.dry_run && !job.provider.server_dry_run();
        // Validate before any token exchange; a costly fan-out is checked on a short preview and
        // built in full once, below.
        let cut = job.provider.preview_draft(&job.draft, 1);
        let checked = match &cut {
            Some((cut, _)) => Self::prepare_draft(&job, cut, None),
            None => Self::prepare(&job),
        };
        let prepared = match checked {
            Ok(p) => p,
            Err(e) => {
                emit(EngineEvent::Invalid(e));
                return SendReport::default();
            }
        };
        let mut report = SendReport {
            warnings: prepared.warnings.clone(),
            ..Default::default()
        };
        if local_dry_run {
            let prepared = if cut.is_some() {
                match Self::prepare(&job) {
                    Ok(p) => p,
                    Err(e) => {
                        emit(EngineEvent::Invalid(e));
                        return SendReport::default();
                    }
                }
            } else {
                prepared
            };
            emit(EngineEvent::Started {
                total: prepared.requests.len(),
                warnings: prepared.warnings.clone(),
            });
            for (index, request) in prepared.requests.into_iter().enumerate() {
                let result = SendResult {
                    index,
                    exchange: Exchange::unsent(request),
                    outcome: Outcome::not_sent("Dry run: built and validated, not sent."),
                    retried: Vec::new(),
                };
                emit(EngineEvent::Result(Box::new(result.clone())));
                report.results.push(result);
            }
            emit(EngineEvent::Finished(report.clone()));
            return report;
        }
        if job.dry_run {
            report.warnings.push(format!(
                "Dry run: sent in {}'s own validation mode (see the outcome for what it did).",
                job.provider.info().name
            ));
        }
        // A token exchange (FCM OAuth) comes first and shows as its own row.
        let (token, token_result) = match self.ensure_token(&job).await {
            Ok(pair) => pair,
            Err(failure) => {
                emit(EngineEvent::Started {
                    total: 1,
                    warnings: report.warnings.clone(),
                });
                emit(EngineEvent::Result(Box::new(failure.clone())));
                report.results.push(failure);
                return self.finish(job, report, emit);
            }
        };
        let prepared = match Self::prepare_with(&job, token.as_ref()) {
            Ok(p) => p,
            Err(e) => {
                emit(EngineEvent::Invalid(e));
                return SendReport::default();
            }
        };
        let offset = usize::from(token_result.is_some());
        emit(EngineEvent::Started {
            total: prepared.requests.len() + offset,
            warnings: report.warnings.clone(),
        });
        if let Some(r) = token_result {
            emit(EngineEvent::Result(Box::new(r.clone())));
            report.results.push(r);
        }
        let plan = RunPlan {
            timeout: job.timeout,
            // The provider (and its draft option) chooses; the job only caps it.
            concurrency: job
                .provider
                .concurrency(&job.draft)
                .clamp(1, job.concurrency.clamp(1, MAX_CONCURRENCY)),
            max_per_second: job.provider.info().max_per_second,
            retries: job.provider.info().retries_on_rate_limit,
            index_offset: offset,
        };
        let mut results = self
            .run(
                job.provider,
                prepared.requests,
                &plan,
                &cancel,
                emit,
                |p, ex| p.interpret(ex),
            )
            .await;
        // A token the provider refused (revoked key, wrong clock) must not be reused.
        let auth_refused = results.iter().any(|r| {
            r.exchange
                .response
                .as_ref()
                .is_some_and(|resp| matches!(resp.status, 401 | 403))
        });
        if token.is_some()
            && auth_refused
            && let Ok(mut cache) = self.tokens.lock()
        {
            cache.remove(&Self::token_key(&job));
        }
        report.results.append(&mut results);
        report.cancelled = cancel.is_cancelled();
        self.finish(job, report, emit)
    }

    /// Records the send in history and reports it.
    fn finish(
        &self,
        job: SendJob,
        mut report: SendReport,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> SendReport {
        let entry = HistoryEntry {
            id: HistoryStore::new_id(),
            at: crate::clock::now_rfc3339(),
            provider: job.provider.info().id.to_string(),
            profile: job.profile.name.clone(),
            audience: job.provider.audience_label(&job.draft),
            // The job ends here: its draft moves into history rather than being copied.
            draft: job.draft,
            results: report
                .results
                .iter()
                .flat_map(|r| {
                    let earlier = r.retried.iter().map(|ex| {
                        history_result(
                            ex,
                            &Outcome::refused(
                                "Rate limited: retried after the wait the provider asked for",
                            ),
                        )
                    });
                    earlier.chain(std::iter::once(history_result(&r.exchange, &r.outcome)))
                })
                .collect(),
        };
        let id = entry.id.clone();
        match self.history.add_owned(entry) {
            Ok(()) => report.history_id = Some(id),
            Err(e) => {
                report.history_error = Some(format!("The send was not saved to history: {e}"))
            }
        }
        emit(EngineEvent::Finished(report.clone()));
        report
    }

    /// Sends requests with at most `plan.concurrency` in flight and at most `max_per_second`
    /// starting each second, interpreting each and retrying those the provider asks to retry
    /// after a wait; cancelled requests are recorded as such, never dropped.
    pub async fn run(
        &self,
        provider: &'static dyn Provider,
        requests: Vec<PreparedRequest>,
        plan: &RunPlan,
        cancel: &CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
        interpret: fn(&dyn Provider, &Exchange) -> Outcome,
    ) -> Vec<SendResult> {
        let semaphore = Arc::new(Semaphore::new(plan.concurrency.max(1)));
        let pace = plan
            .max_per_second
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        let next_start = Arc::new(tokio::sync::Mutex::new(tokio::time::Instant::now()));
        let mut tasks = tokio::task::JoinSet::new();
        let (timeout, retries) = (plan.timeout, plan.retries);
        for (index, request) in requests.into_iter().enumerate() {
            let transport = self.transport.clone();
            let semaphore = semaphore.clone();
            let cancel = cancel.clone();
            let next_start = next_start.clone();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                // No request takes longer than the timeout in all, retries and waits included.
                let deadline = tokio::time::Instant::now() + timeout;
                let mut retried = Vec::new();
                loop {
                    if let Some(pace) = pace {
                        // Reserve a start slot, then wait for it: starts stay `pace` apart.
                        let slot = {
                            let mut next = next_start.lock().await;
                            let slot = (*next).max(tokio::time::Instant::now());
                            *next = slot + pace;
                            slot
                        };
                        tokio::select! {
                            _ = cancel.cancelled() => {}
                            _ = tokio::time::sleep_until(slot) => {}
                        }
                    }
                    let exchange = if cancel.is_cancelled() {
                        cancelled(&request)
                    } else {
                        tokio::select! {
                            _ = cancel.cancelled() => cancelled(&request),
                            exchange = transport.send(request.clone(), timeout) => exchange,
                        }
                    };
                    // Whatever a provider quotes from the answer, a secret of the request
                    // never reaches the words shown and kept.
                    let outcome =
                        interpret(provider, &exchange).without_secrets(&exchange.request.secrets);
                    let wait = outcome
                        .retry_after
                        .map(Duration::from_secs)
                        .filter(|w| *w <= MAX_RETRY_WAIT)
                        .filter(|w| tokio::time::Instant::now() + *w < deadline);
                    match wait {
                        Some(wait)
                            if (retried.len() as u32) < retries && !cancel.is_cancelled() =>
                        {
                            retried.push(exchange);
                            tokio::select! {
                                _ = cancel.cancelled() => {}
                                _ = tokio::time::sleep(wait) => {}
                            }
                        }
                        _ => return (index, exchange, outcome, retried),
                    }
                }
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, exchange, outcome, retried)) = joined else {
                continue;
            };
            let result = SendResult {
                index: index + plan.index_offset,
                exchange,
                outcome,
                retried,
            };
            emit(EngineEvent::Result(Box::new(result.clone())));
            results.push(result);
        }
        results.sort_by_key(|r| r.index);
        results
    }

    /// Check credentials: the provider's cheapest read-only call.
    pub async fn check(
        &self,
        provider: &'static dyn Provider,
        profile: &Profile,
        secrets: &Secrets,
        timeout: Duration,
    ) -> Result<SendResult, DraftError> {
        if let Some(local) = provider.check_locally(profile, secrets) {
            let outcome = local?;
            let request = PreparedRequest::new("CHECK", format!("local:{}", provider.info().id));
            return Ok(SendResult {
                index: 0,
                exchange: Exchange::unsent(request),
                outcome,
                retried: Vec::new(),
            });
        }
        let request = provider.check(profile, secrets)?;
        let mut exchange = self.transport.send(request, timeout).await;
        // A check that is a token exchange (FCM) gets a token back: mask it like a send does.
        if let Ok(token) = provider.token_from_exchange(&exchange, crate::clock::now()) {
            exchange.request.add_secret("access_token", &token.value);
        }
        let outcome = provider
            .interpret_check(&exchange)
            .without_secrets(&exchange.request.secrets);
        Ok(SendResult {
            index: 0,
            exchange,
            outcome,
            retried: Vec::new(),
        })
    }

    /// One plain GET for the app's own use (the Preview's image), not recorded in history. The
    /// transport's rules hold: no redirects followed, plain http only to loopback, 10 MB cap.
    pub async fn fetch(&self, url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
        let request = PreparedRequest::new("GET", url).header("Accept", "image/*");
        let exchange = self.transport.send(request, timeout).await;
        if let Some(error) = &exchange.error {
            return Err(error.message.clone());
        }
        let Some(response) = exchange.response else {
            return Err("no answer".into());
        };
        if response.status != 200 {
            return Err(format!(
                "the server answered {} {}",
                response.status, response.reason
            ));
        }
        if response.truncated {
            return Err("the file is larger than 10 MB".into());
        }
        Ok(response.body.as_bytes().to_vec())
    }

    /// A read-only lookup (segments, devices…) whose items are in `outcome.items`.
    pub async fn lookup(
        &self,
        provider: &'static dyn Provider,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
        timeout: Duration,
    ) -> Result<SendResult, DraftError> {
        let request = provider.lookup(id, profile, secrets)?;
        let exchange = self.transport.send(request, timeout).await;
        let outcome = provider
            .interpret_lookup(id, &exchange)
            .without_secrets(&exchange.request.secrets);
        Ok(SendResult {
            index: 0,
            exchange,
            outcome,
            retried: Vec::new(),
        })
    }
}

/// How `run` sends a batch.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_per_second: Option<f64>,
    /// Retries per request when the provider answers with a wait (Retry-After / retry_after).
    pub retries: u32,
    /// Added to each result's index (a token exchange comes first).
    pub index_offset: usize,
}

fn cancelled(request: &PreparedRequest) -> Exchange {
    let mut exchange = Exchange::unsent(request.clone());
    exchange.error = Some(TransportError {
        kind: TransportErrorKind::Cancelled,
        message: "Cancelled before an answer arrived.".into(),
        detail: "cancelled by the user".into(),
    });
    exchange
}
