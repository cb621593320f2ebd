//! A streamed fan-out (Web Push): recipients are read (from the draft, or from a file through the
//! store), prepared (encrypted, signed) on worker threads, sent within `run`'s concurrency window
//! and recorded as they land, with bounded buffers between the stages, so encryption overlaps the
//! network and a million recipients never sit in memory at once.
//!
//! Before anything is sent, every recipient is checked and counted in one cheap pass (no
//! encryption): bad input stops the send with nothing sent, as for any draft, and the count and
//! the digest of the recipients' fingerprints make a resume safe.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::report::{EngineEvent, SendReport, SendResult};
use super::resume::{self, Digest, Recording, ResumeFrom, Streamed};
use super::run::{Hooks, Item, RunPlan, run_stream};
use super::{Engine, MAX_CONCURRENCY, REPORT_KEEP, SendJob, invalid, local_dry_run};
use crate::draft::{Draft, DraftError};
use crate::http::Exchange;
use crate::provider::{FanOut, FanOutSource, PrepareContext, Token};
use crate::store::HistoryStore;
use crate::store::audience_file::{self, ItemPlace};

/// Recipients handed to a worker at once, and prepared requests handed to the sender at once: as
/// many as the usual window (64), so each stage wakes the next once per window, not per request
/// (thread wake-ups were a large part of the CPU left beyond the encryption).
const BATCH: usize = 64;

/// Where a streamed fan-out's recipients are read from.
#[derive(Clone)]
pub(super) enum Source {
    Inline {
        field: &'static str,
        draft: Arc<Draft>,
    },
    File {
        field: &'static str,
        path: PathBuf,
    },
}

impl Source {
    pub fn of(source: FanOutSource, draft: &Arc<Draft>) -> Self {
        match source {
            FanOutSource::Inline { field } => Source::Inline {
                field,
                draft: Arc::clone(draft),
            },
            FanOutSource::File { field, path } => Source::File { field, path },
        }
    }

    /// Every item in order, to `each`, on the calling (blocking) thread; the number read.
    pub fn for_each(
        &self,
        each: &mut dyn FnMut(ItemPlace, Value) -> ControlFlow<()>,
    ) -> Result<usize, DraftError> {
        match self {
            Source::Inline { field, draft } => {
                let items = inline_items(field, draft)?;
                let mut read = 0;
                for (index, item) in items.iter().enumerate() {
                    read += 1;
                    if each(ItemPlace { index, line: None }, item.clone()).is_break() {
                        break;
                    }
                }
                Ok(read)
            }
            Source::File { field, path } => audience_file::for_each_item(path, each)
                .map_err(|e| DraftError::new(format!("audience.{field}"), e.to_string())),
        }
    }

    /// The field (and line) a bad item is reported under.
    pub fn field_of(&self, place: ItemPlace) -> String {
        match self {
            Source::Inline { field, .. } => format!("audience.{field}[{}]", place.index),
            Source::File { field, path } => {
                format!("audience.{field} ({}, {place})", path.display())
            }
        }
    }

    /// The journal header's words for it.
    pub fn describe(&self) -> String {
        match self {
            Source::Inline { field, .. } => format!("audience.{field} in the draft"),
            Source::File { field, path } => format!("audience.{field} {}", path.display()),
        }
    }

    /// The draft with its first `limit` recipients listed inline (what previews and checks
    /// build), and whether more were left out.
    pub fn sample_draft(&self, draft: &Draft, limit: usize) -> Result<(Draft, bool), DraftError> {
        let Source::File { field, .. } = self else {
            return Ok((draft.clone(), false));
        };
        let mut items = Vec::new();
        let mut more = false;
        self.for_each(&mut |_, value| {
            if items.len() == limit {
                more = true;
                return ControlFlow::Break(());
            }
            items.push(value);
            ControlFlow::Continue(())
        })?;
        let mut cut = draft.clone();
        cut.audience.remove(*field);
        cut.audience
            .insert("subscriptions".into(), Value::Array(items));
        Ok((cut, more))
    }
}

/// The recipients listed in the draft under `field`.
fn inline_items<'d>(field: &str, draft: &'d Draft) -> Result<&'d [Value], DraftError> {
    match draft.audience.get(field) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items.as_slice()),
        Some(one @ Value::Object(_)) => Ok(std::slice::from_ref(one)),
        Some(_) => Err(DraftError::new(
            format!("audience.{field}"),
            "must be a list of recipients",
        )),
    }
}

/// Every recipient checked and counted, with the digest of their fingerprints in order.
pub(super) struct Survey {
    pub count: usize,
    pub digest: String,
}

fn survey(source: &Source, fan_out: &dyn FanOut) -> Result<Survey, DraftError> {
    // Read by reference from the draft, and from a file's text where the provider can: no
    // recipient is copied or turned into a `Value` only to be counted.
    let digest = std::cell::RefCell::new(Digest::default());
    let mut bad = None;
    let mut each = |place: ItemPlace, item: &Value| match fan_out.identify(item) {
        Ok(who) => {
            digest
                .borrow_mut()
                .add(&resume::fingerprint_of_identity(place.index, &who));
            ControlFlow::Continue(())
        }
        Err(e) => {
            bad = Some(DraftError::new(source.field_of(place), e));
            ControlFlow::Break(())
        }
    };
    let count = match source {
        Source::Inline { field, draft } => {
            let items = inline_items(field, draft)?;
            let mut read = 0;
            for (index, item) in items.iter().enumerate() {
                read += 1;
                if each(ItemPlace { index, line: None }, item).is_break() {
                    break;
                }
            }
            read
        }
        Source::File { field, path } => audience_file::for_each_text_or_item(
            path,
            &mut |place, text| {
                let who = fan_out.identify_text(text)?;
                digest
                    .borrow_mut()
                    .add(&resume::fingerprint_of_identity(place.index, &who));
                Some(ControlFlow::Continue(()))
            },
            &mut |place, item| each(place, &item),
        )
        .map_err(|e| DraftError::new(format!("audience.{field}"), e.to_string()))?,
    };
    if let Some(e) = bad {
        return Err(e);
    }
    if count == 0 {
        let field = match source {
            Source::Inline { field, .. } | Source::File { field, .. } => field,
        };
        return Err(DraftError::new(
            format!("audience.{field}"),
            "no recipients: the list is empty",
        ));
    }
    Ok(Survey {
        count,
        digest: digest.into_inner().finish(),
    })
}

impl Engine {
    /// How many items an audience file holds and the first `sample` of them, for the window
    /// (which calls this on a background thread: a million lines take a second or two).
    pub fn audience_file_summary(
        path: &std::path::Path,
        sample: usize,
    ) -> Result<(usize, Vec<Value>), String> {
        audience_file::count_and_sample(path, sample).map_err(|e| e.to_string())
    }

    /// `send_as` for a provider that streams its fan-out.
    pub(super) async fn send_streamed(
        &self,
        job: SendJob,
        source: Source,
        resume: Option<ResumeFrom>,
        stop_starting: CancellationToken,
        cancel: CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        let fan_out = match self.fan_out(&job, None) {
            Ok(f) => f,
            Err(e) => return invalid(e, emit),
        };
        let surveyed = {
            let (source, fan_out) = (source.clone(), Arc::clone(&fan_out));
            tokio::task::spawn_blocking(move || survey(&source, &*fan_out)).await
        };
        let survey = match surveyed {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return invalid(e, emit),
            Err(e) => {
                return invalid(
                    DraftError::new("audience", format!("could not be read: {e}")),
                    emit,
                );
            }
        };
        let mut report = SendReport {
            warnings: fan_out.warnings(),
            ..Default::default()
        };
        if job.dry_run && !job.provider.info().capabilities.server_dry_run {
            return self.dry_run_sample(&job, &source, survey.count, report, emit);
        }
        let (token, token_result) = match self.ensure_token(&job).await {
            Ok(pair) => pair,
            Err(failure) => return self.token_failed(job, report, failure, emit),
        };
        let fan_out = match token {
            Some(_) => match self.fan_out(&job, token.as_ref()) {
                Ok(f) => f,
                Err(e) => return invalid(e, emit),
            },
            None => fan_out,
        };
        let to_send = match &resume {
            Some(from) => match from.check(survey.count, &survey.digest) {
                Ok(()) => from.to_send(survey.count),
                Err(e) => return invalid(e, emit),
            },
            None => survey.count,
        };
        let mut recording = Recording {
            id: HistoryStore::new_id(),
            carried: resume.as_ref().map(|r| r.done.clone()).unwrap_or_default(),
            carried_in_doubt: resume
                .as_ref()
                .map(|r| r.left_in_doubt().to_vec())
                .unwrap_or_default(),
            resumes: resume.as_ref().map(|r| r.of.clone()),
            offset: usize::from(token_result.is_some()),
            streamed: Some(Streamed {
                count: survey.count,
                digest: survey.digest.clone(),
                source: source.describe(),
                done: Mutex::new(vec![0; survey.count.div_ceil(64)]),
                ..Streamed::default()
            }),
            ..Recording::default()
        };
        let header = recording.header(
            job.provider.info().id,
            &job.profile.name,
            job.provider.audience_label(&job.draft),
            &job.draft,
            to_send,
        );
        match self.history.start_journal(&header) {
            Ok(journal) => recording.journal = Some(journal),
            Err(e) => report.warnings.push(format!(
                "Results are not journaled as they land ({e}): if this send is interrupted, history will not know who already received it."
            )),
        }
        let offset = recording.offset;
        emit(EngineEvent::Started {
            total: to_send + offset,
            warnings: report.warnings.clone(),
        });
        if let Some(r) = token_result {
            let r = Arc::new(r);
            recording.record(&r);
            emit(EngineEvent::Result(r.clone()));
            report.results.push(r);
        }
        let plan = RunPlan {
            timeout: job.timeout,
            concurrency: job
                .provider
                .concurrency(&job.draft)
                .clamp(1, job.concurrency.clamp(1, MAX_CONCURRENCY)),
            max_per_second: job.provider.info().capabilities.max_per_second,
            retries: job.provider.info().capabilities.retries_on_rate_limit,
            index_offset: offset,
            stop_starting: Some(stop_starting.clone()),
            // A fan-out's requests are many and alike: each in flight keeps a connection.
            lanes: true,
        };
        let prepared = Prepare {
            fan_out,
            token: token.as_ref().map(|t| t.value.clone()),
            network: Arc::new(job.profile.network(&job.secrets)),
            routes: Arc::default(),
        };
        let items = feed(
            source,
            prepared,
            resume,
            plan.concurrency,
            [stop_starting.clone(), cancel.clone()],
        );
        let provider = job.provider;
        let interpret = Arc::new(move |exchange: &Exchange| provider.interpret(exchange));
        let kept = Mutex::new(Vec::new());
        // Each result is journaled before the front ends hear of it; the report keeps a sample
        // and every failure.
        let journaled = |event: EngineEvent| {
            if let EngineEvent::Result(r) = &event {
                recording.record(r);
                if let Ok(mut kept) = kept.lock()
                    && (kept.len() < REPORT_KEEP || !r.outcome.is_ok())
                {
                    kept.push(r.clone());
                }
            }
            emit(event);
        };
        let started = |row: usize| recording.started(row);
        let turn = |begins: bool| recording.turn(begins);
        run_stream(
            &self.transport,
            items,
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
        let mut results = kept.into_inner().unwrap_or_default();
        results.sort_by_key(|r| r.index);
        if token.is_some() {
            self.forget_refused_token(&job, &results);
        }
        report.results.append(&mut results);
        report.cancelled = cancel.is_cancelled() || stop_starting.is_cancelled();
        report.tally = recording
            .streamed
            .as_ref()
            .and_then(|s| s.tally.lock().ok().map(|t| *t));
        self.finish(job, report, recording, emit)
    }

    fn fan_out(&self, job: &SendJob, token: Option<&Token>) -> Result<Arc<dyn FanOut>, DraftError> {
        let ctx = PrepareContext {
            draft: &job.draft,
            profile: &job.profile,
            secrets: &job.secrets,
            now: crate::clock::now(),
            idempotency_key: &job.idempotency_key,
            token: token.map(|t| t.value.as_str()),
            dry_run: job.dry_run && job.provider.info().capabilities.server_dry_run,
        };
        match job.provider.fan_out(&ctx) {
            Some(Ok(f)) => Ok(Arc::from(f)),
            Some(Err(e)) => Err(e),
            None => Err(DraftError::new(
                "audience",
                format!("{} cannot stream a fan-out", job.provider.info().name),
            )),
        }
    }

    /// A local dry run of a streamed fan-out: every recipient was checked; the first few are
    /// built and shown (building a million only to drop them helps nobody).
    fn dry_run_sample(
        &self,
        job: &SendJob,
        source: &Source,
        count: usize,
        mut report: SendReport,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Arc<SendReport> {
        let limit = super::PREVIEW_LIMIT;
        let cut = match source.sample_draft(&job.draft, limit) {
            Ok((cut, _)) => cut,
            Err(e) => return invalid(e, emit),
        };
        let cut = match job.provider.preview_draft(&cut, limit) {
            Some((cut, _)) => cut,
            None => cut,
        };
        match Self::prepare_draft(job, &cut, None) {
            Ok(mut prepared) => {
                if count > prepared.requests.len() {
                    report.warnings.push(format!(
                        "Dry run: all {count} recipients checked; the first {} built and shown.",
                        prepared.requests.len()
                    ));
                }
                prepared.warnings = report.warnings.clone();
                local_dry_run(prepared, report, emit)
            }
            Err(e) => invalid(e, emit),
        }
    }
}

/// What each worker needs to turn a recipient into a request ready to go.
#[derive(Clone)]
struct Prepare {
    fan_out: Arc<dyn FanOut>,
    token: Option<String>,
    /// One copy for every request, and each push service's route line worked out once.
    network: Arc<crate::http::Network>,
    routes: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl Prepare {
    fn item(&self, index: usize, value: &Value) -> Item {
        self.ready(index, self.fan_out.prepare_one(value))
    }

    /// A JSON line read from a file: straight from its text where the provider can.
    fn text(&self, index: usize, text: &[u8]) -> Item {
        if let Some(prepared) = self.fan_out.prepare_text(text) {
            return self.ready(index, prepared);
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(value) => self.item(index, &value),
            Err(e) => Item::Failed(index, format!("not JSON ({e})")),
        }
    }

    fn ready(&self, index: usize, prepared: Result<crate::http::PreparedRequest, String>) -> Item {
        match prepared {
            Ok(mut request) => {
                if let Some(token) = &self.token {
                    request.add_secret("access_token", token);
                }
                request.use_shared_network(&self.network, &self.routes);
                Item::Ready(index, Box::new(request))
            }
            Err(why) => Item::Failed(index, why),
        }
    }
}

/// One recipient on its way to a worker.
enum Recipient {
    /// Listed in the draft: the worker reads it from the shared draft by its position.
    Listed,
    /// A line of a JSON-lines file, as read (no `Value` is built for it).
    Text(Vec<u8>),
    /// An item of a JSON array file.
    Item(Value),
}

/// Starts the stages that feed `run_stream`: one thread reads the recipients (skipping those a
/// resumed send already reached) in batches, workers on every core prepare them. Each stage
/// waits when the next one is full; all stop once a token is cancelled or `run_stream` is gone.
fn feed(
    source: Source,
    prepare: Prepare,
    resume: Option<ResumeFrom>,
    window: usize,
    stops: [CancellationToken; 2],
) -> tokio::sync::mpsc::Receiver<Vec<Item>> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    // Prepared requests travel in batches: a worker waiting for room is woken once per batch.
    let (items, received) = tokio::sync::mpsc::channel(window.div_ceil(BATCH) + 2 * workers);
    let (batches, batch_rx) = std::sync::mpsc::sync_channel::<Vec<(usize, Recipient)>>(2 * workers);
    let batch_rx = Arc::new(Mutex::new(batch_rx));
    let audience = match &source {
        Source::Inline { field, draft } => Some((*field, Arc::clone(draft))),
        Source::File { .. } => None,
    };
    tokio::task::spawn_blocking(move || {
        let batch = std::cell::RefCell::new(Vec::with_capacity(BATCH));
        // Whether to read the item at `index` (`Continue(false)`: a resumed send reached it).
        let wanted = |index: usize| {
            if stops.iter().any(CancellationToken::is_cancelled) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(!resume.as_ref().is_some_and(|r| r.is_done(index)))
        };
        let offer = |index: usize, recipient: &mut dyn FnMut() -> Recipient| {
            if !wanted(index)? {
                return ControlFlow::Continue(());
            }
            let mut batch = batch.borrow_mut();
            batch.push((index, recipient()));
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut *batch, Vec::with_capacity(BATCH));
                if batches.send(full).is_err() {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        };
        let read = match &source {
            Source::Inline { field, draft } => inline_items(field, draft).map(|items| {
                (0..items.len())
                    .take_while(|&index| offer(index, &mut || Recipient::Listed).is_continue())
                    .count()
            }),
            Source::File { field, path } => audience_file::for_each_text_or_item(
                path,
                &mut |place, text| Some(offer(place.index, &mut || Recipient::Text(text.to_vec()))),
                &mut |place, value| {
                    let mut value = Some(value);
                    offer(place.index, &mut || {
                        Recipient::Item(value.take().unwrap_or_default())
                    })
                },
            )
            .map_err(|e| DraftError::new(format!("audience.{field}"), e.to_string())),
        };
        let batch = batch.into_inner();
        if !batch.is_empty() {
            let _ = batches.send(batch);
        }
        if let Err(e) = read {
            // The file changed after it was checked: what was read is sent, the rest is not.
            tracing::warn!(error = %e, "the recipients stopped being read");
        }
    });
    for _ in 0..workers {
        let (batch_rx, items, prepare) = (Arc::clone(&batch_rx), items.clone(), prepare.clone());
        let audience = audience.clone();
        tokio::task::spawn_blocking(move || {
            let listed = match &audience {
                Some((field, draft)) => inline_items(field, draft).unwrap_or_default(),
                None => &[],
            };
            loop {
                let batch = match batch_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(batch) = batch else {
                    return;
                };
                let prepared = batch
                    .into_iter()
                    .map(|(index, recipient)| match recipient {
                        Recipient::Text(text) => prepare.text(index, &text),
                        Recipient::Item(value) => prepare.item(index, &value),
                        Recipient::Listed => match listed.get(index) {
                            Some(value) => prepare.item(index, value),
                            None => {
                                Item::Failed(index, "the recipient is gone from the draft".into())
                            }
                        },
                    })
                    .collect();
                if items.blocking_send(prepared).is_err() {
                    return;
                }
            }
        });
    }
    received
}

/// Keeps a result whole in history: the first few of a streamed fan-out, and every failure.
pub(super) fn keep_whole(position: usize, r: &SendResult) -> bool {
    position < crate::store::KEEP_BINARY_BODIES || !r.outcome.is_ok()
}
