//! A campaign's history: one record in `history/campaigns/<id>.json` naming the normal history
//! entry of each target. The entries stay whole sends of their own (journaled, resumable); the
//! record ties them together, so the history shows the campaign as one row and reopening it
//! restores every target.

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::entry::{EntryState, HistoryEntry, HistorySummary};
use super::error::StoreError;
use super::history::HistoryStore;
use crate::campaign::Campaign;

/// One campaign send (and its retries).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignEntry {
    pub id: String,
    pub at: String,
    /// The campaign as sent. A sent target's audience lives in its entry's draft (a big fan-out
    /// is not stored twice); `restore` puts it back.
    pub campaign: Campaign,
    pub targets: Vec<CampaignTarget>,
}

/// What became of one target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignTarget {
    /// Its place in `campaign.targets`.
    pub index: usize,
    pub profile: String,
    pub provider: String,
    pub audience: String,
    /// The target's latest history entry (a retry's, once retried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// Entries of earlier tries, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<String>,
}

impl CampaignEntry {
    /// The campaign with every sent target's audience and options read back from its entry.
    pub fn restore(&self, history: &HistoryStore) -> Campaign {
        let mut campaign = self.campaign.clone();
        for t in &self.targets {
            let Some(slot) = campaign.targets.get_mut(t.index) else {
                continue;
            };
            let first = t.earlier.first().or(t.entry.as_ref());
            if let Some(Ok(Some(entry))) = first.map(|id| history.get(id)) {
                slot.audience = entry.draft.audience;
                slot.options = entry.draft.options;
            }
        }
        campaign
    }

    /// The campaign's row: one line for all its targets.
    pub fn summary(&self, members: &[HistorySummary]) -> HistorySummary {
        let rows: Vec<Option<&HistorySummary>> = self
            .targets
            .iter()
            .map(|t| {
                t.entry
                    .as_ref()
                    .and_then(|id| members.iter().find(|s| &s.id == id))
            })
            .collect();
        let accepted = rows.iter().filter(|r| r.is_some_and(|s| s.ok)).count();
        let total = self.targets.len();
        let state = if rows
            .iter()
            .any(|r| r.is_some_and(|s| s.state == EntryState::Running))
        {
            EntryState::Running
        } else if rows
            .iter()
            .any(|r| r.is_some_and(|s| s.state == EntryState::Interrupted))
        {
            EntryState::Interrupted
        } else {
            EntryState::Finished
        };
        let sum = |f: fn(&HistorySummary) -> usize| rows.iter().flatten().map(|s| f(s)).sum();
        let profiles: Vec<&str> = self.targets.iter().map(|t| t.profile.as_str()).collect();
        let providers: Vec<&str> = self.targets.iter().map(|t| t.provider.as_str()).collect();
        HistorySummary {
            id: self.id.clone(),
            at: self.at.clone(),
            provider: format!("campaign: {}", providers.join(", ")),
            profile: profiles.join(", "),
            audience: format!("{total} targets"),
            ok: accepted == total && total > 0,
            summary: format!("{accepted} of {total} targets accepted"),
            requests: sum(|s| s.requests),
            state,
            recipients: sum(|s| s.recipients),
            reached: sum(|s| s.reached),
            in_doubt: sum(|s| s.in_doubt),
            resumes: None,
            targets: total,
        }
    }

    /// Every entry the campaign made, retries included.
    fn members(&self) -> impl Iterator<Item = &String> {
        self.targets
            .iter()
            .flat_map(|t| t.earlier.iter().chain(t.entry.iter()))
    }
}

impl HistoryStore {
    fn campaign_dir(&self) -> std::path::PathBuf {
        self.dir.join("campaigns")
    }

    fn campaign_path(&self, id: &str) -> Result<std::path::PathBuf, StoreError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(StoreError::Invalid(format!("`{id}` is not a history id")));
        }
        Ok(self.campaign_dir().join(format!("{id}.json")))
    }

    /// Saves (or, after a retry, replaces) a campaign's record.
    pub fn add_campaign(&self, entry: &CampaignEntry) -> Result<(), StoreError> {
        let path = self.campaign_path(&entry.id)?;
        let dir = self.campaign_dir();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create", &dir, e))?;
        let text = serde_json::to_vec(entry).map_err(|e| StoreError::Invalid(e.to_string()))?;
        write_atomic(&path, &text)
    }

    /// A campaign's record; `None` when `id` is not a campaign.
    pub fn get_campaign(&self, id: &str) -> Result<Option<CampaignEntry>, StoreError> {
        let path = self.campaign_path(id)?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                StoreError::Invalid(format!("campaign history entry {id} is damaged: {e}"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io("read", &path, e)),
        }
    }

    /// Every campaign record, damaged ones skipped (and logged).
    pub fn campaigns(&self) -> Vec<CampaignEntry> {
        let Ok(read) = std::fs::read_dir(self.campaign_dir()) else {
            return Vec::new();
        };
        read.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| {
                let bytes = std::fs::read(e.path()).ok()?;
                serde_json::from_slice(&bytes)
                    .inspect_err(
                        |err| tracing::warn!(error = %err, "skipping a damaged campaign record"),
                    )
                    .ok()
            })
            .collect()
    }

    /// The entries of a campaign's targets, in the order of its record (missing ones, pruned
    /// from history, left out).
    pub fn campaign_entries(&self, campaign: &CampaignEntry) -> Vec<(usize, HistoryEntry)> {
        campaign
            .targets
            .iter()
            .filter_map(|t| {
                let id = t.entry.as_ref()?;
                Some((t.index, self.get(id).ok()??))
            })
            .collect()
    }

    /// The list with each campaign's entries folded into the campaign's one row.
    pub(super) fn group_campaigns(&self, list: Vec<HistorySummary>) -> Vec<HistorySummary> {
        let campaigns = self.campaigns();
        if campaigns.is_empty() {
            return list;
        }
        let members: std::collections::HashSet<&String> =
            campaigns.iter().flat_map(CampaignEntry::members).collect();
        let mut grouped: Vec<HistorySummary> = campaigns
            .iter()
            .map(|c| c.summary(&list))
            .chain(list.iter().filter(|s| !members.contains(&s.id)).cloned())
            .collect();
        grouped.sort_by(|a, b| b.id.cmp(&a.id));
        grouped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::Target;
    use crate::draft::Draft;
    use crate::http::{Exchange, PreparedRequest};
    use crate::outcome::Outcome;
    use crate::store::history_result;

    fn entry(id: &str, profile: &str, ok: bool) -> HistoryEntry {
        let outcome = if ok {
            Outcome::accepted("Accepted")
        } else {
            Outcome::refused("500 Internal Server Error")
        };
        HistoryEntry {
            id: id.into(),
            at: "2026-01-01T00:00:00Z".into(),
            provider: "ntfy".into(),
            profile: profile.into(),
            audience: "topic x".into(),
            draft: Draft {
                profile: profile.into(),
                ..Default::default()
            },
            results: vec![history_result(
                &Exchange::unsent(PreparedRequest::new("POST", "https://ntfy.test/x")),
                &outcome,
            )],
            ..Default::default()
        }
    }

    #[test]
    fn a_campaign_is_one_row_of_its_targets() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = HistoryStore::new(dir.path().to_path_buf());
        store
            .add(&entry("20260101T000000001Z-a", "one", true))
            .expect("add");
        store
            .add(&entry("20260101T000000002Z-b", "two", false))
            .expect("add");
        store
            .add(&entry("20260101T000000003Z-c", "alone", true))
            .expect("add");
        let target = |index: usize, profile: &str, id: &str| CampaignTarget {
            index,
            profile: profile.into(),
            provider: "ntfy".into(),
            audience: "topic x".into(),
            entry: Some(id.into()),
            earlier: Vec::new(),
        };
        let record = CampaignEntry {
            id: "20260101T000000004Z-k".into(),
            at: "2026-01-01T00:00:00Z".into(),
            campaign: Campaign {
                targets: vec![Target::new("one"), Target::new("two")],
                ..Default::default()
            },
            targets: vec![
                target(0, "one", "20260101T000000001Z-a"),
                target(1, "two", "20260101T000000002Z-b"),
            ],
        };
        store.add_campaign(&record).expect("add campaign");
        let list = store.list();
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(list[0].summary, "1 of 2 targets accepted");
        assert_eq!(list[0].targets, 2);
        assert!(!list[0].ok);
        assert_eq!(list[1].profile, "alone");
        assert_eq!(store.list_entries().len(), 3);
        assert_eq!(
            store.get_campaign(&record.id).expect("read"),
            Some(record.clone())
        );
        assert_eq!(store.campaign_entries(&record).len(), 2);
    }
}
