//! The one door both front ends use: a send (prepare → send with bounded concurrency → interpret →
//! history), the calls beside it (checks, lookups, provider actions, images), and the previews,
//! reporting progress through a channel so the UI thread never waits on the network.
//!
//! Its public verbs: `prepare`, `prepare_preview`, `send`/`spawn_send`, `call`, `fetch`, and
//! `start_sink` (`sink.rs`: Pushdeck standing in for a provider).

mod calls;
mod campaign;
mod prune;
mod report;
mod resume;
mod run;
pub mod sink;
mod steps;
mod stream;
mod tokens;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::draft::{Draft, DraftError};
use crate::http::{Exchange, Transport, TransportError};
use crate::outcome::Outcome;
use crate::profile::{Profile, Secrets};
use crate::provider::{PrepareContext, Prepared, Provider, Token, TokenPlan};
use crate::store::history_result;
use crate::store::{HistoryEntry, HistoryStore, Reached};
pub use campaign::{
    CampaignEvent, CampaignHandle, CampaignJob, CampaignReport, TargetJob, TargetReport,
};
pub use report::{EngineEvent, SendReport, SendResult};
use resume::Recording;
pub use resume::{ResumeFrom, in_doubt_words};
use run::{Hooks, RunPlan, run};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub use crate::provider::MAX_CONCURRENCY;
/// Requests built for a live preview of a costly fan-out (Web Push encrypts each one).
pub const PREVIEW_LIMIT: usize = 5;
/// Results a streamed fan-out's report keeps beyond its failures (the history keeps fewer).
pub const REPORT_KEEP: usize = 1000;

/// Everything one send needs, owned so it can move onto the runtime.
#[derive(Clone)]
pub struct SendJob {
    pub provider: &'static dyn Provider,
    /// Shared with the window's cached draft: a 10,000-subscription audience is not copied.
    pub draft: Arc<Draft>,
    pub profile: Profile,
    pub secrets: Secrets,
    pub idempotency_key: String,
    /// Build and validate only; nothing goes over the network.
    pub dry_run: bool,
    pub timeout: Duration,
    /// Upper bound on requests in flight; the provider's `concurrency` picks the value below it.
    pub concurrency: usize,
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
    tokens: tokens::TokenCache,
}

impl Engine {
    pub fn new(history: HistoryStore) -> Result<Self, TransportError> {
        Ok(Self {
            transport: Transport::new(Duration::from_secs(10))?,
            history: Arc::new(history),
            tokens: tokens::TokenCache::default(),
        })
    }

    pub fn history(&self) -> &HistoryStore {
        &self.history
    }

    /// Builds the requests for a draft: what the Request pane and `preview` show. Without a token
    /// the provider shows a placeholder where the token goes.
    pub fn prepare(job: &SendJob) -> Result<Prepared, DraftError> {
        let mut prepared = Self::prepare_first(job)?;
        // A stepped send (a Pushbullet file push) shows its first request: the others are built
        // from the answers, so the preview names them.
        let steps = job.provider.steps(&job.draft);
        if steps.len() > 1 {
            let later: Vec<String> = steps
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect();
            prepared.warnings.push(format!(
                "This send is {} requests in sequence; shown is 1. {}. The later ones are built from the answer before them: {}.",
                steps.len(),
                steps[0],
                later.join(", ")
            ));
        }
        Ok(prepared)
    }

    /// The first requests, as sent (no preview notes).
    fn prepare_first(job: &SendJob) -> Result<Prepared, DraftError> {
        // A token signed locally (APNs) needs no network, so a preview shows the real one and its
        // curl command runs as printed; an exchanged token (FCM) stays a placeholder.
        let minted = if job.provider.info().capabilities.mints_tokens {
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
        match Self::file_sample(job)? {
            Some((cut, more)) => {
                let mut prepared = Self::prepare_draft(job, &cut, minted.as_ref())?;
                if more {
                    prepared.warnings.push(format!(
                        "Showing the first {} recipients of the file; Send reads and builds all of them as it goes.",
                        prepared.requests.len()
                    ));
                }
                Ok(prepared)
            }
            None => Self::prepare_draft(job, &job.draft, minted.as_ref()),
        }
    }

    /// A draft whose recipients are in a file, with its first `PREVIEW_LIMIT` listed inline (what
    /// previews build), and whether the file holds more; `None` when the draft lists its own.
    fn file_sample(job: &SendJob) -> Result<Option<(Draft, bool)>, DraftError> {
        match job.provider.fan_out_source(&job.draft) {
            Some(source @ crate::provider::FanOutSource::File { .. }) => {
                stream::Source::of(source, &job.draft)
                    .sample_draft(&job.draft, PREVIEW_LIMIT)
                    .map(Some)
            }
            _ => Ok(None),
        }
    }

    /// What the live Request pane shows: at most `PREVIEW_LIMIT` requests of a costly fan-out,
    /// with the number of requests the send will make in all.
    pub fn prepare_preview(job: &SendJob) -> Result<(Prepared, usize), DraftError> {
        if Self::file_sample(job)?.is_some() {
            let prepared = Self::prepare(job)?;
            let shown = prepared.requests.len();
            return Ok((prepared, shown));
        }
        match job.provider.preview_draft(&job.draft, PREVIEW_LIMIT) {
            None => Self::prepare(job).map(|p| {
                let total = p.requests.len();
                (p, total)
            }),
            Some((cut, omitted)) => {
                let mut shown = job.clone();
                shown.draft = Arc::new(cut);
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
            dry_run: job.dry_run && job.provider.info().capabilities.server_dry_run,
        })?;
        if let Some(token) = token {
            for request in &mut prepared.requests {
                request.add_secret("access_token", &token.value);
            }
        }
        for request in &mut prepared.requests {
            request.use_network(job.profile.network(&job.secrets));
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
        self.spawn_send_as(runtime, job, None, notify)
    }

    /// `spawn_send`, or with `resume` set, a send to the recipients an earlier one did not reach.
    pub fn spawn_send_as(
        &self,
        runtime: &tokio::runtime::Handle,
        job: SendJob,
        resume: Option<ResumeFrom>,
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
            engine
                .send_as(job, resume, token.clone(), token, &emit)
                .await;
        });
        SendHandle { events: rx, cancel }
    }

    /// Runs a whole send, emitting events as it goes, records it in history, and returns the report.
    pub async fn send(
        &self,
        job: SendJob,
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        self.send_as(job, None, cancel.clone(), cancel, emit).await
    }

    /// [`Engine::send`] with a gentler stop: once `stop_starting` is cancelled no further request
    /// starts, while those in flight finish or time out (unless `cancel` abandons them too).
    /// Either way the report is marked cancelled and recorded in history.
    pub async fn send_until(
        &self,
        job: SendJob,
        stop_starting: CancellationToken,
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        self.send_as(job, None, stop_starting, cancel, emit).await
    }

    /// `send_until`, or with `resume` set, only to the recipients with no recorded success in the
    /// entry resumed (recorded as a new entry that links it). Results are journaled as they land.
    pub async fn send_as(
        &self,
        job: SendJob,
        resume: Option<ResumeFrom>,
        stop_starting: CancellationToken,
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        // A fan-out the provider prepares one recipient at a time is streamed.
        if let Some(source) = job.provider.fan_out_source(&job.draft)
            && job.provider.steps(&job.draft).is_empty()
        {
            let source = stream::Source::of(source, &job.draft);
            return self
                .send_streamed(job, source, resume, stop_starting, cancel, emit)
                .await;
        }
        // Validate before any token exchange; a costly fan-out is checked on a short preview and
        // built in full once, below.
        let cut = job.provider.preview_draft(&job.draft, 1);
        let checked = match &cut {
            Some((cut, _)) => Self::prepare_draft(&job, cut, None),
            None => Self::prepare_first(&job),
        };
        let prepared = match checked {
            Ok(p) => p,
            Err(e) => return invalid(e, emit),
        };
        // The files a draft sends are read before anything goes out: a missing or oversized
        // one is bad input, like a wrong field.
        let files = match steps::read_files(job.provider.files(&job.draft)).await {
            Ok(files) => files,
            Err(e) => return invalid(e, emit),
        };
        let steps = job.provider.steps(&job.draft);
        let mut report = SendReport {
            warnings: prepared.warnings.clone(),
            ..Default::default()
        };
        if job.dry_run && !job.provider.info().capabilities.server_dry_run {
            // Built in full, with the note naming a stepped send's later steps.
            let prepared = match (cut, steps.len() > 1) {
                (None, false) => prepared,
                _ => match Self::prepare(&job) {
                    Ok(p) => p,
                    Err(e) => return invalid(e, emit),
                },
            };
            return local_dry_run(prepared, report, emit);
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
            Err(failure) => return self.token_failed(job, report, failure, emit),
        };
        let prepared = match Self::prepare_draft(&job, &job.draft, token.as_ref()) {
            Ok(p) => p,
            Err(e) => return invalid(e, emit),
        };
        let recipients = resume::fingerprints(&prepared.requests);
        let (requests, chosen, carried, carried_in_doubt) = match &resume {
            None => {
                let all = (0..prepared.requests.len()).collect();
                (prepared.requests, all, Reached::default(), Vec::new())
            }
            // A stepped send (a file push) is one message: its later steps are built from the
            // answers before them, so there is nothing to pick from.
            Some(_) if steps.len() > 1 => {
                return invalid(
                    DraftError::new(
                        "resume",
                        "a send made of steps (a file push) cannot be resumed: send the draft again",
                    ),
                    emit,
                );
            }
            Some(from) => match from.pick(&recipients) {
                Ok(chosen) => {
                    let mut requests: Vec<_> = prepared.requests.into_iter().map(Some).collect();
                    let picked = chosen.iter().filter_map(|i| requests[*i].take()).collect();
                    (
                        picked,
                        chosen,
                        from.done.clone(),
                        from.left_in_doubt().to_vec(),
                    )
                }
                Err(e) => return invalid(e, emit),
            },
        };
        let mut recording = Recording {
            id: HistoryStore::new_id(),
            journal: None,
            recipients,
            chosen,
            carried,
            carried_in_doubt,
            resumes: resume.map(|r| r.of),
            offset: usize::from(token_result.is_some()),
            streamed: None,
        };
        let header = recording.header(
            job.provider.info().id,
            &job.profile.name,
            job.provider.audience_label(&job.draft),
            &job.draft,
            requests.len(),
        );
        match self.history.start_journal(&header) {
            Ok(journal) => recording.journal = Some(journal),
            Err(e) => report.warnings.push(format!(
                "Results are not journaled as they land ({e}): if this send is interrupted, history will not know who already received it."
            )),
        }
        let offset = recording.offset;
        let planned = if steps.is_empty() {
            requests.len()
        } else {
            steps.len()
        };
        emit(EngineEvent::Started {
            total: planned + offset,
            warnings: report.warnings.clone(),
        });
        if let Some(r) = token_result {
            let r = Arc::new(r);
            recording.record(&r);
            emit(EngineEvent::Result(r.clone()));
            report.results.push(r);
        }
        if let (false, Some(first)) = (steps.is_empty(), requests.first()) {
            let stepped = steps::Steps {
                transport: &self.transport,
                job: &job,
                token: token.as_ref().map(|t| t.value.as_str()),
                files: &files,
                names: &steps,
                offset,
            };
            let mut results = stepped.run(first.clone(), &cancel, emit).await;
            report.results.append(&mut results);
            report.cancelled = cancel.is_cancelled();
            report.stepped = true;
            return self.finish(job, report, recording, emit);
        }
        let capabilities = job.provider.info().capabilities;
        let plan = RunPlan {
            timeout: job.timeout,
            // The provider (and its draft option) chooses; the job only caps it.
            concurrency: job
                .provider
                .concurrency(&job.draft)
                .clamp(1, job.concurrency.clamp(1, MAX_CONCURRENCY)),
            max_per_second: capabilities.max_per_second,
            retries: capabilities.retries_on_rate_limit,
            index_offset: offset,
            stop_starting: Some(stop_starting.clone()),
            lanes: false,
        };
        let provider = job.provider;
        let interpret = Arc::new(move |exchange: &Exchange| provider.interpret(exchange));
        // Each result is journaled before the front ends hear of it.
        let journaled = |event: EngineEvent| {
            if let EngineEvent::Result(r) = &event {
                recording.record(r);
            }
            emit(event);
        };
        let started = |row: usize| recording.started(row);
        let turn = |begins: bool| recording.turn(begins);
        let mut results = run(
            &self.transport,
            requests,
            &plan,
            &cancel,
            Hooks {
                emit: &journaled,
                started: &started,
                turn: &turn,
            },
            interpret,
        )
        .await;
        if token.is_some() {
            self.forget_refused_token(&job, &results);
        }
        report.results.append(&mut results);
        report.cancelled = cancel.is_cancelled() || stop_starting.is_cancelled();
        self.finish(job, report, recording, emit)
    }

    /// A token exchange that failed (FCM OAuth) is the send's only row: recorded and reported.
    fn token_failed(
        &self,
        job: SendJob,
        mut report: SendReport,
        failure: SendResult,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        emit(EngineEvent::Started {
            total: 1,
            warnings: report.warnings.clone(),
        });
        let failure = Arc::new(failure);
        emit(EngineEvent::Result(failure.clone()));
        report.results.push(failure);
        let recording = Recording {
            id: HistoryStore::new_id(),
            ..Recording::default()
        };
        self.finish(job, report, recording, emit)
    }

    /// Records the send in history and reports it.
    fn finish(
        &self,
        job: SendJob,
        mut report: SendReport,
        recording: Recording,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        let reached = match &recording.streamed {
            Some(streamed) => streamed.reached(),
            None => report
                .results
                .iter()
                .filter(|r| r.outcome.is_ok())
                .filter_map(|r| recording.request_of(r.index))
                .collect(),
        };
        let done = reached.union(&recording.carried);
        let in_doubt = recording.in_doubt_at_the_end(&done, &report.results);
        // A streamed fan-out keeps a sample and every failure whole; the tally counts them all.
        let streamed = recording.streamed.is_some();
        let entry = HistoryEntry {
            id: recording.id.clone(),
            at: crate::clock::now_rfc3339(),
            provider: job.provider.info().id.to_string(),
            profile: job.profile.name.clone(),
            audience: job.provider.audience_label(&job.draft),
            // The job ends here: its draft moves into history unless a front end still holds it.
            draft: Arc::unwrap_or_clone(job.draft),
            results: report
                .results
                .iter()
                .enumerate()
                .filter(|(i, r)| !streamed || stream::keep_whole(*i, r))
                .flat_map(|(_, r)| {
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
            state: Default::default(),
            resumes: recording.resumes,
            recipients: recording.recipients,
            recipient_count: recording.streamed.as_ref().map_or(0, |s| s.count),
            recipients_digest: recording.streamed.as_ref().map(|s| s.digest.clone()),
            done,
            in_doubt,
            tally: report.tally.filter(|_| streamed),
        };
        let id = entry.id.clone();
        let summary = entry.summary();
        match self.history.add_owned(entry) {
            Ok(()) => {
                // The entry is whole: the journal has done its job.
                if let Some(journal) = recording.journal {
                    if let Some(e) = journal.broken() {
                        report.warnings.push(format!("Results stopped being journaled as they landed ({e}); the finished entry has them all."));
                    }
                    journal.finish();
                }
                report.history_id = Some(id);
                report.history_summary = Some(summary);
            }
            Err(e) => {
                report.history_error = Some(format!("The send was not saved to history: {e}"))
            }
        }
        let report = Arc::new(report);
        emit(EngineEvent::Finished(report.clone()));
        report
    }
}

/// The draft could not be turned into requests: nothing was sent.
fn invalid(error: DraftError, emit: &(dyn Fn(EngineEvent) + Sync)) -> Arc<SendReport> {
    emit(EngineEvent::Invalid(error));
    Arc::new(SendReport::default())
}

/// `--dry-run` for a provider without a validation mode: every request built, none sent.
fn local_dry_run(
    prepared: Prepared,
    mut report: SendReport,
    emit: &(dyn Fn(EngineEvent) + Sync),
) -> Arc<SendReport> {
    emit(EngineEvent::Started {
        total: prepared.requests.len(),
        warnings: prepared.warnings.clone(),
    });
    for (index, request) in prepared.requests.into_iter().enumerate() {
        let result = Arc::new(SendResult {
            index,
            exchange: Exchange::unsent(request),
            outcome: Outcome::not_sent("Dry run: built and validated, not sent."),
            retried: Vec::new(),
        });
        emit(EngineEvent::Result(result.clone()));
        report.results.push(result);
    }
    let report = Arc::new(report);
    emit(EngineEvent::Finished(report.clone()));
    report
}
