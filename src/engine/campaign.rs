//! A campaign send: every target through the one per-draft path (`Engine::send_as`, which
//! journals each result as it lands), all targets at once. Each target runs as its own task, so
//! a slow or failing provider never holds up the others, and each keeps its own limits and
//! pacing; one cancel stops all. Every target is validated before anything is sent: one bad
//! target means nothing goes to any.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Engine, EngineEvent, ResumeFrom, SendJob, SendReport};
use crate::campaign::{Campaign, target_error};
use crate::draft::DraftError;
use crate::store::{CampaignEntry, CampaignTarget, HistoryStore};

/// One target of a campaign send, resolved to a job (profile, secrets, provider).
#[derive(Clone)]
pub struct TargetJob {
    /// Its place in the campaign's `targets`.
    pub index: usize,
    pub job: SendJob,
    /// Set for a retry: only the recipients this target's last entry did not reach.
    pub resume: Option<ResumeFrom>,
}

/// Everything a campaign send needs.
#[derive(Clone)]
pub struct CampaignJob {
    /// The campaign as composed: history keeps it so reopening restores every target.
    pub campaign: Arc<Campaign>,
    pub targets: Vec<TargetJob>,
    /// The campaign entry a retry updates (its targets' entries move on to the retries').
    pub retries: Option<String>,
}

/// What a campaign send reports as it goes; each event names its target (its index in the
/// campaign's `targets`).
#[derive(Debug, Clone)]
pub enum CampaignEvent {
    Target { target: usize, event: EngineEvent },
    Finished(Arc<CampaignReport>),
}

/// One target's share of a campaign's report.
#[derive(Debug, Clone)]
pub struct TargetReport {
    pub index: usize,
    pub profile: String,
    pub provider: &'static str,
    pub audience: String,
    pub report: Arc<SendReport>,
}

#[derive(Debug, Clone, Default)]
pub struct CampaignReport {
    pub targets: Vec<TargetReport>,
    /// Targets that could not be made into requests (nothing was sent to any target then).
    pub invalid: Vec<(usize, DraftError)>,
    pub cancelled: bool,
    pub history_id: Option<String>,
    pub history_error: Option<String>,
}

impl CampaignReport {
    /// The exit status over all targets: the worst of each target's (3 over 1 over 0).
    pub fn exit_code(&self) -> i32 {
        if !self.invalid.is_empty() {
            return 2;
        }
        let codes: Vec<i32> = self.targets.iter().map(|t| t.report.exit_code()).collect();
        if codes.contains(&3) {
            3
        } else if codes.contains(&1) {
            1
        } else {
            0
        }
    }
}

/// A running campaign send, held by the window: drain `events` each frame; `cancel` stops all.
pub struct CampaignHandle {
    pub events: std::sync::mpsc::Receiver<CampaignEvent>,
    pub cancel: CancellationToken,
}

impl Engine {
    /// Starts a campaign on `runtime` and returns at once (see [`Engine::spawn_send`]).
    pub fn spawn_campaign(
        &self,
        runtime: &tokio::runtime::Handle,
        job: CampaignJob,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> CampaignHandle {
        let (tx, rx) = std::sync::mpsc::channel();
        let cancel = CancellationToken::new();
        let engine = self.clone();
        let token = cancel.clone();
        runtime.spawn(async move {
            let emit = |event: CampaignEvent| {
                let _ = tx.send(event);
                notify();
            };
            engine.send_campaign(job, token.clone(), token, &emit).await;
        });
        CampaignHandle { events: rx, cancel }
    }

    /// Sends every target at once and records the campaign in history. `stop_starting` and
    /// `cancel` are shared by all targets, as in [`Engine::send_as`].
    pub async fn send_campaign(
        &self,
        job: CampaignJob,
        stop_starting: CancellationToken,
        cancel: CancellationToken,
        emit: &(dyn Fn(CampaignEvent) + Sync),
    ) -> Arc<CampaignReport> {
        let invalid: Vec<(usize, DraftError)> = job
            .targets
            .iter()
            .filter_map(|t| validate(&t.job).err().map(|e| (t.index, e)))
            .collect();
        if !invalid.is_empty() {
            for (target, error) in &invalid {
                emit(CampaignEvent::Target {
                    target: *target,
                    event: EngineEvent::Invalid(target_error(*target, error)),
                });
            }
            let report = Arc::new(CampaignReport {
                invalid,
                ..Default::default()
            });
            emit(CampaignEvent::Finished(report.clone()));
            return report;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut running = Vec::new();
        for target in &job.targets {
            let engine = self.clone();
            let tx = tx.clone();
            let (stop, abandon) = (stop_starting.clone(), cancel.clone());
            let TargetJob { index, job, resume } = target.clone();
            running.push(tokio::spawn(async move {
                let emit = |event: EngineEvent| {
                    let _ = tx.send((index, event));
                };
                engine.send_as(job, resume, stop, abandon, &emit).await
            }));
        }
        drop(tx);
        // Events from all targets, as they land, until every target has finished.
        while let Some((target, event)) = rx.recv().await {
            emit(CampaignEvent::Target { target, event });
        }
        let mut report = CampaignReport::default();
        for (target, handle) in job.targets.iter().zip(running) {
            let sent = handle.await.unwrap_or_else(|e| {
                Arc::new(SendReport {
                    warnings: vec![format!("This target's send stopped unexpectedly: {e}")],
                    ..Default::default()
                })
            });
            report.targets.push(TargetReport {
                index: target.index,
                profile: target.job.profile.name.clone(),
                provider: target.job.provider.info().id,
                audience: target.job.provider.audience_label(&target.job.draft),
                report: sent,
            });
        }
        report.cancelled = cancel.is_cancelled() || stop_starting.is_cancelled();
        match self.record_campaign(&job, &report) {
            Ok(id) => report.history_id = id,
            Err(e) => {
                report.history_error = Some(format!(
                    "The campaign was not saved to history as one entry ({e}); each target's send is in history on its own."
                ))
            }
        }
        let report = Arc::new(report);
        emit(CampaignEvent::Finished(report.clone()));
        report
    }

    /// Writes the campaign's record, or moves a retried campaign's targets on to their retries.
    /// A send no target recorded (a local dry run) leaves no record either.
    fn record_campaign(
        &self,
        job: &CampaignJob,
        report: &CampaignReport,
    ) -> Result<Option<String>, crate::store::StoreError> {
        if report.targets.iter().all(|t| t.report.history_id.is_none()) {
            return Ok(job.retries.clone());
        }
        let history = self.history();
        let mut record = match &job.retries {
            Some(id) => history.get_campaign(id)?.unwrap_or_default(),
            None => CampaignEntry::default(),
        };
        if record.id.is_empty() {
            let mut campaign = (*job.campaign).clone();
            // A sent target's audience is in its entry's draft; see `CampaignEntry::restore`.
            for t in &report.targets {
                if let (Some(slot), Some(_)) =
                    (campaign.targets.get_mut(t.index), &t.report.history_id)
                {
                    slot.audience = Default::default();
                }
            }
            record = CampaignEntry {
                id: HistoryStore::new_id(),
                at: crate::clock::now_rfc3339(),
                campaign,
                targets: Vec::new(),
            };
        }
        for t in &report.targets {
            let Some(id) = t.report.history_id.clone() else {
                continue;
            };
            match record.targets.iter_mut().find(|r| r.index == t.index) {
                Some(existing) => {
                    if let Some(old) = existing.entry.replace(id) {
                        existing.earlier.push(old);
                    }
                }
                None => record.targets.push(CampaignTarget {
                    index: t.index,
                    profile: t.profile.clone(),
                    provider: t.provider.to_string(),
                    audience: t.audience.clone(),
                    entry: Some(id),
                    earlier: Vec::new(),
                }),
            }
        }
        record.targets.sort_by_key(|t| t.index);
        history.add_campaign(&record)?;
        Ok(Some(record.id))
    }
}

/// The checks `send_as` makes before any network, made for every target up front.
fn validate(job: &SendJob) -> Result<(), DraftError> {
    match job.provider.preview_draft(&job.draft, 1) {
        Some((cut, _)) => Engine::prepare_draft(job, &cut, None).map(drop),
        None => Engine::prepare_first(job).map(drop),
    }
}
