//! The window's campaign: a list of targets beside the composer (each a profile of any provider
//! with that provider's audience and options), one message (the composer's), one Send with one
//! confirmation naming every target, and the results as a matrix. This module holds its state;
//! `campaign_run.rs` does the steps through the engine, `targets.rs` and `matrix.rs` draw.

use std::sync::Arc;

use crate::campaign::Target;
use crate::engine::{CampaignHandle, SendResult};

/// What the campaign panel asks for; applied after the frame like every `Action`.
#[derive(Debug, Clone)]
pub enum Step {
    /// A profile (of any provider) as a new target, with an empty audience to set.
    Add(String),
    /// The current tab's profile, audience and options as a new target.
    AddCurrent,
    /// Target N takes the current tab's audience and options.
    UseTab(usize),
    /// Target N's audience and options (and the message) into its provider's tab, to edit there.
    Edit(usize),
    Enable(usize, bool),
    Remove(usize),
    /// The target whose requests and warnings show.
    Pick(usize),
    Send,
    Confirmed(bool),
    RetryFailed,
    /// Shows (or hides) one result's exchange in the matrix: (target, result).
    Exchange(usize, usize),
}

/// One target's row of the results matrix, filled as its results land.
#[derive(Debug, Clone, Default)]
pub struct TargetRun {
    pub index: usize,
    pub profile: String,
    pub provider: String,
    pub audience: String,
    pub total: usize,
    pub results: Vec<Arc<SendResult>>,
    /// The target could not be sent (bad input): why.
    pub error: Option<String>,
    pub warnings: Vec<String>,
    pub history_id: Option<String>,
    pub finished: bool,
}

impl TargetRun {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.outcome.is_ok()).count()
    }

    pub fn ok(&self) -> bool {
        self.finished && self.error.is_none() && !self.results.is_empty() && self.failed() == 0
    }
}

/// A line of the one confirmation: who, through what, to whom, in which environment.
#[derive(Debug, Clone)]
pub struct ConfirmLine {
    pub profile: String,
    pub provider: &'static str,
    pub audience: String,
    pub environment: crate::profile::Environment,
}

#[derive(Default)]
pub struct CampaignState {
    pub open: bool,
    pub targets: Vec<Target>,
    pub picked: usize,
    /// The one confirmation, while it is asked.
    pub confirm: Option<Vec<ConfirmLine>>,
    pub(super) running: Option<CampaignHandle>,
    /// The matrix: one row per target sent.
    pub runs: Vec<TargetRun>,
    /// The campaign's history entry (a retry updates it).
    pub history_id: Option<String>,
    /// The result whose exchange shows: (target, result).
    pub shown: Option<(usize, usize)>,
    /// The picked target's requests, cached with what they were built from.
    pub(super) preview: Option<(String, Result<PreviewOf, String>)>,
}

/// The requests and warnings of one target, as its Send would make them.
#[derive(Clone)]
pub struct PreviewOf {
    pub requests: Vec<String>,
    pub total: usize,
    pub warnings: Vec<String>,
}
