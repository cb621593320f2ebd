//! What the campaign panel's steps do: targets edited through their providers' tabs, every
//! target checked and confirmed once, sent through the engine's campaign send, the matrix fed
//! from its events, "Retry failed" as a resume of each failed target; campaign files and the
//! campaign's history entry opened.

use std::path::Path;
use std::sync::Arc;

use super::app::{PushdeckApp, RightTab};
use super::campaign::{ConfirmLine, PreviewOf, Step, TargetRun};
use super::compile::{Context, job};
use crate::campaign::{Campaign, Target, target_error};
use crate::engine::{
    CampaignEvent, CampaignJob, Engine, EngineEvent, ResumeFrom, SendJob, SendResult, TargetJob,
};
use crate::provider;
use crate::store::{CampaignEntry, write_atomic};

impl PushdeckApp {
    pub(super) fn campaign_step(&mut self, step: Step) {
        let c = &mut self.campaign;
        match step {
            Step::Add(profile) => {
                c.targets.push(Target::new(profile));
                c.picked = c.targets.len() - 1;
            }
            Step::AddCurrent => match self.current_draft() {
                Ok(draft) => {
                    let draft = (*draft).clone();
                    let c = &mut self.campaign;
                    c.targets.push(Target {
                        profile: draft.profile,
                        audience: draft.audience,
                        options: draft.options,
                        enabled: true,
                    });
                    c.picked = c.targets.len() - 1;
                }
                Err(e) => self.say(false, format!("Not added: {e}")),
            },
            Step::UseTab(i) => match self.current_draft() {
                Ok(draft) => {
                    if let Some(t) = self.campaign.targets.get_mut(i) {
                        t.profile = draft.profile.clone();
                        t.audience = draft.audience.clone();
                        t.options = draft.options.clone();
                    }
                }
                Err(e) => self.say(false, format!("Not updated: {e}")),
            },
            Step::Edit(i) => {
                let message = self.campaign_message();
                if let Some(mut draft) = self.campaign_draft(i) {
                    if let Some(m) = message {
                        draft.message = m;
                    }
                    self.campaign.picked = i;
                    self.open_draft(
                        &draft,
                        "Editing the target in its tab: set its audience, then “Use this tab”.",
                    );
                }
            }
            Step::Enable(i, on) => {
                if let Some(t) = c.targets.get_mut(i) {
                    t.enabled = on;
                }
            }
            Step::Remove(i) => {
                if i < c.targets.len() {
                    c.targets.remove(i);
                    c.picked = c.picked.min(c.targets.len().saturating_sub(1));
                }
            }
            Step::Pick(i) => c.picked = i,
            Step::Send => self.ask_campaign(),
            Step::Confirmed(go) => {
                self.campaign.confirm = None;
                if go {
                    self.send_campaign(false);
                }
            }
            Step::RetryFailed => self.send_campaign(true),
            Step::Exchange(t, r) => {
                c.shown = if c.shown == Some((t, r)) {
                    None
                } else {
                    Some((t, r))
                }
            }
        }
    }

    /// The campaign's message: the composer's (the current tab's).
    fn campaign_message(&mut self) -> Option<crate::draft::Message> {
        self.current_draft().ok().map(|d| d.message.clone())
    }

    /// The campaign as it would be saved or sent now.
    pub(super) fn campaign_now(&mut self) -> Result<Campaign, String> {
        let message = self
            .campaign_message()
            .ok_or("the message in the composer has a problem: fix it first")?;
        Ok(Campaign {
            message,
            targets: self.campaign.targets.clone(),
        })
    }

    fn campaign_draft(&mut self, i: usize) -> Option<crate::draft::Draft> {
        let campaign = Campaign {
            message: self.campaign_message().unwrap_or_default(),
            targets: self.campaign.targets.clone(),
        };
        campaign.draft(i)
    }

    /// Target `index`'s job: its profile, provider and secrets, or why it cannot be sent.
    fn target_job(&mut self, index: usize, draft: crate::draft::Draft) -> Result<SendJob, String> {
        let name = draft.profile.clone();
        let profile =
            self.profiles.get(&name).cloned().ok_or_else(|| {
                format!("target {}: profile `{name}` does not exist here", index + 1)
            })?;
        let provider = provider::find(&profile.provider).ok_or_else(|| {
            format!(
                "target {}: provider `{}` is not in this build",
                index + 1,
                profile.provider
            )
        })?;
        self.load_secrets(&profile);
        let secrets = self
            .secrets
            .get(&name)
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| Err("the credentials were not read".into()));
        let key = uuid::Uuid::new_v4().to_string();
        let cx = Context {
            provider,
            profile: Some(&profile),
            secrets: secrets.as_ref().map_err(String::as_str),
            idempotency_key: &key,
        };
        job(&Ok(Arc::new(draft)), &cx).map_err(|e| format!("target {} ({name}): {e}", index + 1))
    }

    /// The picked target's requests and warnings, rebuilt only when the target or message changed.
    pub(super) fn campaign_preview(&mut self) -> Option<Result<PreviewOf, String>> {
        let picked = self.campaign.picked;
        let draft = self.campaign_draft(picked)?;
        let key = serde_json::to_string(&draft).unwrap_or_default();
        if let Some((k, p)) = &self.campaign.preview
            && *k == key
        {
            return Some(p.clone());
        }
        let built = self.target_job(picked, draft).and_then(|job| {
            Engine::prepare_preview(&job)
                .map(|(prepared, total)| PreviewOf {
                    requests: prepared
                        .requests
                        .iter()
                        .map(|r| crate::http::dump::request_text(&r.redacted()))
                        .collect(),
                    total,
                    warnings: prepared.warnings.clone(),
                })
                .map_err(|e| target_error(picked, &e).to_string())
        });
        self.campaign.preview = Some((key, built.clone()));
        Some(built)
    }

    /// Every enabled target's job, or the first reason one cannot be sent (then none is).
    fn campaign_jobs(&mut self) -> Result<(Campaign, Vec<TargetJob>), String> {
        let campaign = self.campaign_now()?;
        campaign.check().map_err(|e| e.to_string())?;
        let drafts = campaign.drafts();
        if drafts.is_empty() {
            return Err("every target is disabled: enable one".into());
        }
        let mut jobs = Vec::new();
        for (index, draft) in drafts {
            let job = self.target_job(index, draft)?;
            // A costly fan-out is checked on its first few requests; the engine builds it all.
            Engine::prepare_preview(&job).map_err(|e| target_error(index, &e).to_string())?;
            jobs.push(TargetJob {
                index,
                job,
                resume: None,
            });
        }
        Ok((campaign, jobs))
    }

    /// Send was pressed: every target checked, then the one confirmation.
    fn ask_campaign(&mut self) {
        if self.is_sending() {
            return;
        }
        match self.campaign_jobs() {
            Ok((_, jobs)) => {
                let lines = jobs
                    .iter()
                    .map(|t| ConfirmLine {
                        profile: t.job.profile.name.clone(),
                        provider: t.job.provider.info().name,
                        audience: t.job.provider.audience_label(&t.job.draft),
                        environment: t.job.profile.environment,
                    })
                    .collect();
                self.campaign.confirm = Some(lines);
            }
            Err(e) => self.say(false, format!("Not sent: {e}")),
        }
    }

    /// Sends every enabled target, or with `retry` only what failed last time.
    fn send_campaign(&mut self, retry: bool) {
        if self.is_sending() {
            return;
        }
        let planned = if retry {
            self.retry_jobs()
        } else {
            self.campaign_jobs().map(|(c, jobs)| (c, jobs, None))
        };
        let (campaign, targets, retries) = match planned {
            Ok(p) => p,
            Err(e) => return self.say(false, format!("Not sent: {e}")),
        };
        let sent: Vec<usize> = targets.iter().map(|t| t.index).collect();
        if retry {
            self.campaign.runs.retain(|r| !sent.contains(&r.index));
        } else {
            self.campaign.runs.clear();
            self.campaign.history_id = None;
        }
        for t in &targets {
            self.campaign.runs.push(TargetRun {
                index: t.index,
                profile: t.job.profile.name.clone(),
                provider: t.job.provider.info().name.to_string(),
                audience: t.job.provider.audience_label(&t.job.draft),
                ..Default::default()
            });
        }
        self.campaign.runs.sort_by_key(|r| r.index);
        self.campaign.shown = None;
        let ctx = self.egui_ctx.clone();
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        });
        let job = CampaignJob {
            campaign: Arc::new(campaign),
            targets,
            retries,
        };
        self.campaign.running = Some(self.engine.spawn_campaign(&self.runtime, job, notify));
        self.campaign.open = true;
        self.say(true, "Sending the campaign…");
    }

    /// The targets with failures, each only to its recipients with no recorded success.
    fn retry_jobs(&mut self) -> Result<(Campaign, Vec<TargetJob>, Option<String>), String> {
        let failed: Vec<(usize, String)> = self
            .campaign
            .runs
            .iter()
            .filter(|r| r.finished && r.failed() > 0)
            .filter_map(|r| Some((r.index, r.history_id.clone()?)))
            .collect();
        if failed.is_empty() {
            return Err("no target has a failure to retry".into());
        }
        let mut jobs = Vec::new();
        for (index, id) in failed {
            let entry = self
                .engine
                .history()
                .get(&id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("history entry {id} is gone"))?;
            let from = ResumeFrom::of(&entry, false)?;
            let job = self.target_job(index, entry.draft.clone())?;
            jobs.push(TargetJob {
                index,
                job,
                resume: Some(from),
            });
        }
        let campaign = self.campaign_now().unwrap_or_default();
        Ok((campaign, jobs, self.campaign.history_id.clone()))
    }

    /// Drains the campaign's events into the matrix. Runs every frame.
    pub(super) fn poll_campaign(&mut self) {
        let Some(running) = &self.campaign.running else {
            return;
        };
        let mut finished = None;
        while let Ok(event) = running.events.try_recv() {
            match event {
                CampaignEvent::Target { target, event } => {
                    let Some(run) = self.campaign.runs.iter_mut().find(|r| r.index == target)
                    else {
                        continue;
                    };
                    match event {
                        EngineEvent::Started { total, warnings } => {
                            run.total = total;
                            run.warnings = warnings;
                        }
                        EngineEvent::Result(r) => run.results.push(r),
                        EngineEvent::Invalid(e) => {
                            run.error = Some(e.to_string());
                            run.finished = true;
                        }
                        EngineEvent::Finished(report) => {
                            run.results = report.results.clone();
                            run.history_id = report.history_id.clone();
                            run.finished = true;
                        }
                    }
                }
                CampaignEvent::Finished(report) => finished = Some(report),
            }
        }
        let Some(report) = finished else {
            return;
        };
        self.campaign.running = None;
        for run in &mut self.campaign.runs {
            run.finished = true;
        }
        if report.history_id.is_some() {
            self.campaign.history_id = report.history_id.clone();
        }
        self.history.reload(self.engine.history().list());
        let of = self.campaign.runs.len();
        let ok = self.campaign.runs.iter().filter(|r| r.ok()).count();
        let text = if !report.invalid.is_empty() {
            "Campaign not sent: a target has a problem (see the matrix); nothing was sent".into()
        } else if report.cancelled {
            format!("Campaign cancelled: {ok} of {of} targets accepted")
        } else {
            format!("Campaign: {ok} of {of} targets accepted")
        };
        self.say(ok == of && report.invalid.is_empty(), text);
        if let Some(e) = &report.history_error {
            self.notices.push(e.clone());
        }
    }

    /// A campaign file opened: its targets in the panel, its message and first target composed.
    pub(super) fn open_campaign(&mut self, campaign: Campaign, path: &Path) {
        let first = campaign.drafts().into_iter().next().map(|(_, d)| d);
        self.campaign.targets = campaign.targets;
        self.campaign.picked = 0;
        self.campaign.runs.clear();
        self.campaign.history_id = None;
        self.campaign.open = true;
        if let Some(draft) = first {
            let _ = self.load_draft(&draft);
        }
        self.say(
            true,
            format!(
                "Opened campaign {} ({} targets)",
                path.display(),
                self.campaign.targets.len()
            ),
        );
    }

    pub(super) fn save_campaign(&mut self, path: &Path) -> Result<(), String> {
        let campaign = self.campaign_now().map_err(|e| format!("Not saved: {e}"))?;
        campaign
            .check()
            .map_err(|e| format!("Not saved: {e}: add a target first"))?;
        write_atomic(path, campaign.to_json_pretty().as_bytes())
            .map_err(|e| format!("Not saved: {e}"))?;
        self.confirm_briefly(format!("Saved campaign to {}", path.display()));
        Ok(())
    }

    /// A campaign reopened from history: every target back in the panel, and its results.
    pub(super) fn reopen_campaign(&mut self, record: CampaignEntry) {
        let history = self.engine.history();
        let campaign = record.restore(history);
        let entries = history.campaign_entries(&record);
        self.campaign.runs = record
            .targets
            .iter()
            .map(|t| {
                let entry = entries.iter().find(|(i, _)| *i == t.index).map(|(_, e)| e);
                TargetRun {
                    index: t.index,
                    profile: t.profile.clone(),
                    provider: t.provider.clone(),
                    audience: t.audience.clone(),
                    total: entry.map_or(0, |e| e.results.len()),
                    results: entry
                        .map(|e| {
                            e.results
                                .iter()
                                .enumerate()
                                .map(|(index, r)| {
                                    Arc::new(SendResult {
                                        index,
                                        exchange: r.exchange.clone(),
                                        outcome: r.outcome.clone(),
                                        retried: Vec::new(),
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    history_id: t.entry.clone(),
                    finished: true,
                    ..Default::default()
                }
            })
            .collect();
        if let Some(message) = Some(campaign.message.clone())
            && let Some((_, mut draft)) = campaign.drafts().into_iter().next()
        {
            draft.message = message;
            let _ = self.load_draft(&draft);
        }
        self.campaign.targets = campaign.targets;
        self.campaign.picked = 0;
        self.campaign.history_id = Some(record.id);
        self.campaign.open = true;
        self.history.open = false;
        self.right = RightTab::Request;
        self.say(
            true,
            "Reopened the campaign: every target is back in the campaign panel.",
        );
    }
}
