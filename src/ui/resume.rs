//! "Send to the remaining" from the History window: an interrupted send's draft (or a finished
//! one's with failures) again, only to the recipients with no recorded success; those in doubt
//! (maybe delivered) only when "Also send to the K in doubt" is ticked.

use std::sync::Arc;

use super::app::{FAN_OUT_CONFIRM, PushdeckApp};
use crate::engine::{DEFAULT_TIMEOUT, MAX_CONCURRENCY, ResumeFrom, SendJob};
use crate::provider;

impl PushdeckApp {
    /// "Send to the remaining": the entry's draft again, only to the recipients with no recorded
    /// success, behind the same confirmation as a normal send of that many recipients.
    pub(super) fn resume_history_entry(&mut self, id: &str, confirmed: bool) {
        if self.sending.is_some() {
            self.history.error = Some(
                "A send is running: wait for it to finish, then send to the remaining.".into(),
            );
            return;
        }
        match self.resume_job(id) {
            Ok((job, from, tab)) => {
                let remaining = from.to_send(from.count);
                let broad = job.provider.broadcast(&job.draft).or_else(|| {
                    (remaining > FAN_OUT_CONFIRM).then(|| {
                        format!(
                            "the remaining {remaining} of {} recipients ({})",
                            from.count,
                            job.provider.audience_label(&job.draft)
                        )
                    })
                });
                if let Some(audience) = broad
                    && job.profile.confirm_broadcast
                    && !confirmed
                {
                    let env = job.profile.environment.label().to_string();
                    self.history.confirm = Some((id.to_string(), audience, env));
                    return;
                }
                self.history.error = None;
                self.tab = tab;
                self.tabs[tab].last_sent = Some((*job.draft).clone());
                self.start_send_as(job, tab, Some(from));
            }
            Err(e) => self.history.error = Some(format!("Not sent: {e}")),
        }
    }

    /// The job that resumes the latest send in `id`'s chain of resumes, and its provider's tab.
    fn resume_job(&mut self, id: &str) -> Result<(SendJob, ResumeFrom, usize), String> {
        let history = self.engine.history();
        let latest = history.latest_resume(id);
        let entry = history
            .get(&latest)
            .map_err(|e| e.to_string())?
            .ok_or("this entry is gone (deleted by another window?)")?;
        let from = ResumeFrom::of(&entry, self.history.include_in_doubt)?;
        let profile = self.profiles.get(&entry.profile).cloned().ok_or_else(|| {
            format!(
                "profile `{}` no longer exists; create it again (Edit credentials…) to send to the remaining recipients",
                entry.profile
            )
        })?;
        let tab = provider::all()
            .iter()
            .position(|p| p.info().id == entry.provider && p.info().id == profile.provider)
            .ok_or_else(|| {
                format!(
                    "profile `{}` now sends with {}, but this send went through {}",
                    profile.name, profile.provider, entry.provider
                )
            })?;
        self.load_secrets(&profile);
        let secrets = self
            .secrets
            .get(&profile.name)
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| Err("the credentials could not be read".into()))?;
        let job = SendJob {
            provider: provider::all()[tab],
            draft: Arc::new(entry.draft),
            profile,
            secrets,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            dry_run: false,
            timeout: DEFAULT_TIMEOUT,
            concurrency: MAX_CONCURRENCY,
        };
        Ok((job, from, tab))
    }
}
