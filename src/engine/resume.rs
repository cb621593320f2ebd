//! Who each prepared request is for (its fingerprint), which of them a resumed send skips, and
//! the journal a send records its results in as they land.

use std::sync::Mutex;

use super::report::SendResult;
use crate::draft::{Draft, DraftError};
use crate::http::PreparedRequest;
use crate::provider::Identity;
use crate::store::{EntryState, Finished, HistoryEntry, Journal, JournalHeader, Reached, Tally};

/// What a resumed send takes from the entry it resumes.
#[derive(Debug, Clone)]
pub struct ResumeFrom {
    pub of: String,
    /// Fingerprints of the original send's requests, in order (empty for a streamed fan-out).
    pub recipients: Vec<String>,
    /// How many recipients the original send had, and the digest of their fingerprints.
    pub count: usize,
    pub digest: String,
    /// Prepared indices already reached: never sent again.
    pub done: Reached,
    /// Prepared indices in doubt (sent, but the answer never read: maybe delivered).
    pub in_doubt: Vec<usize>,
    /// Send to those in doubt too (`--include-in-doubt`, "Also send to the K in doubt")?
    pub include_in_doubt: bool,
}

impl ResumeFrom {
    /// What `entry` leaves to send (those in doubt only when `include_in_doubt`), or why it
    /// cannot be resumed.
    pub fn of(entry: &HistoryEntry, include_in_doubt: bool) -> Result<Self, String> {
        if entry.state == EntryState::Running {
            return Err(format!(
                "History entry {} is still sending (its journal is held by a running Pushdeck). Wait for it to finish, or stop it, then resume.",
                entry.id
            ));
        }
        if entry.recipients.is_empty() && entry.recipients_digest.is_none() {
            return Err(format!(
                "History entry {} was recorded without recipient identities (by an older Pushdeck, or before any request was built), so Pushdeck cannot tell who already received it. Send the draft again instead.",
                entry.id
            ));
        }
        if entry.to_resume(include_in_doubt).is_empty() {
            let k = entry.in_doubt.len();
            if k > 0 {
                return Err(format!(
                    "Every recipient of history entry {} has a recorded success but {k} in doubt: {}. Nothing was sent; to send to them too, include those in doubt (--include-in-doubt on the command line).",
                    entry.id,
                    in_doubt_words(k)
                ));
            }
            return Err(format!(
                "Every recipient of history entry {} already has a recorded success: nothing to resume.",
                entry.id
            ));
        }
        let digest = match &entry.recipients_digest {
            Some(d) => d.clone(),
            None => {
                let mut digest = Digest::default();
                entry.recipients.iter().for_each(|f| digest.add(f));
                digest.finish()
            }
        };
        Ok(Self {
            of: entry.id.clone(),
            recipients: entry.recipients.clone(),
            count: entry.recipient_count(),
            digest,
            done: entry.done.clone(),
            in_doubt: entry.in_doubt.clone(),
            include_in_doubt,
        })
    }

    /// Recipients in doubt this resume leaves alone (none when it includes them): the new entry
    /// keeps them in doubt.
    pub fn left_in_doubt(&self) -> &[usize] {
        if self.include_in_doubt {
            &[]
        } else {
            &self.in_doubt
        }
    }

    /// How many of `count` recipients this resume sends to.
    pub fn to_send(&self, count: usize) -> usize {
        (0..count).filter(|i| !self.is_done(*i)).count()
    }

    /// For a streamed fan-out: the draft must make the same recipients, in the same order, as the
    /// send resumed (their count and the digest of their fingerprints).
    pub(super) fn check(&self, count: usize, digest: &str) -> Result<(), DraftError> {
        if count == self.count && digest == self.digest {
            return Ok(());
        }
        Err(DraftError::new(
            "audience",
            format!(
                "the draft of history entry {} no longer makes the same {} requests (now {count}{}): its audience, profile or provider changed since, so Pushdeck cannot tell who already received it. Nothing was sent; send the draft again instead.",
                self.of,
                self.count,
                if count == self.count {
                    ", to other recipients"
                } else {
                    ""
                }
            ),
        ))
    }

    /// Does this resume skip this prepared index (reached already, or in doubt and not included)?
    pub(super) fn is_done(&self, index: usize) -> bool {
        self.done.contains(index)
            || (!self.include_in_doubt && self.in_doubt.binary_search(&index).is_ok())
    }

    /// The prepared indices to send: all but those done, once the draft is checked to make the
    /// same recipients as before (a changed profile could point the same index elsewhere).
    pub(super) fn pick(&self, fingerprints: &[String]) -> Result<Vec<usize>, DraftError> {
        if fingerprints != self.recipients.as_slice() {
            return Err(DraftError::new(
                "audience",
                format!(
                    "the draft of history entry {} no longer makes the same {} requests (now {}): its profile or provider changed since, so Pushdeck cannot tell who already received it. Nothing was sent; send the draft again instead.",
                    self.of,
                    self.recipients.len(),
                    fingerprints.len()
                ),
            ));
        }
        Ok((0..fingerprints.len())
            .filter(|i| !self.is_done(*i))
            .collect())
    }
}

/// Why recipients in doubt are not sent again, in words ("K recipients may already have it…").
pub fn in_doubt_words(k: usize) -> String {
    if k == 1 {
        return "1 recipient may already have it (the send was stopped while its request was on the wire)".into();
    }
    format!(
        "{k} recipients may already have it (the send was stopped while their request was on the wire)"
    )
}

/// One short fingerprint per request: its position, method, URL and recipient. A fan-out's
/// requests differ by URL (Web Push endpoint, APNs device) or recipient (FCM token, Telegram chat);
/// the position tells apart two that look alike. Hashed: a URL may hold a token.
pub(super) fn fingerprints(requests: &[PreparedRequest]) -> Vec<String> {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| fingerprint(i, &r.method, &r.url, r.recipient.as_deref()))
        .collect()
}

/// The fingerprint of the recipient at prepared index `i`.
pub(super) fn fingerprint(i: usize, method: &str, url: &str, recipient: Option<&str>) -> String {
    let mut who = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for part in [
        i.to_string().as_bytes(),
        b"\n",
        method.as_bytes(),
        b"\n",
        url.as_bytes(),
        b"\n",
        recipient.unwrap_or("").as_bytes(),
    ] {
        who.update(part);
    }
    hex(&who.finish().as_ref()[..8])
}

/// Lower-case hex, two digits a byte.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    text
}

pub(super) fn fingerprint_of_identity(i: usize, who: &Identity) -> String {
    fingerprint(i, &who.method, &who.url, who.recipient.as_deref())
}

/// One digest of a fan-out's fingerprints, in order: a million recipients in 64 characters.
pub(super) struct Digest(aws_lc_rs::digest::Context);

impl Default for Digest {
    fn default() -> Self {
        Self(aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256))
    }
}

impl Digest {
    pub fn add(&mut self, fingerprint: &str) {
        self.0.update(fingerprint.as_bytes());
        self.0.update(b"\n");
    }

    pub fn finish(self) -> String {
        hex(self.0.finish().as_ref())
    }
}

/// A send's history as it goes: its id from the start, and its journal.
#[derive(Default)]
pub(super) struct Recording {
    pub id: String,
    pub journal: Option<Journal>,
    /// Fingerprints of every prepared request of the draft.
    pub recipients: Vec<String>,
    /// The prepared index of each request sent, in the order sent.
    pub chosen: Vec<usize>,
    /// Prepared indices reached by the send this one resumes.
    pub carried: Reached,
    /// Prepared indices the send this one resumes left in doubt, and this one does not send to.
    pub carried_in_doubt: Vec<usize>,
    pub resumes: Option<String>,
    /// Result rows before the first request (a token exchange).
    pub offset: usize,
    /// A streamed fan-out: a row's index is its prepared index (after `offset`), the header
    /// carries the recipients' count and digest instead of their list, and the journal keeps a
    /// sample and the failures in full.
    pub streamed: Option<Streamed>,
}

/// What a streamed fan-out's recording adds.
#[derive(Default)]
pub(super) struct Streamed {
    pub count: usize,
    pub digest: String,
    pub source: String,
    /// Prepared indices reached by this send, as results land: one bit per recipient (125 KB
    /// for a million), so memory stays flat however many are reached.
    pub done: Mutex<Vec<u64>>,
    pub tally: Mutex<Tally>,
}

impl Streamed {
    /// The prepared indices this send reached, as runs read straight from the bits (a million
    /// reached in a row is one run, never a list of a million).
    pub fn reached(&self) -> Reached {
        self.done
            .lock()
            .map(|bits| Reached::from_bits(&bits))
            .unwrap_or_default()
    }
}

impl Recording {
    /// The journal's first line: what is sent, through what, to whom.
    pub fn header(
        &self,
        provider: &str,
        profile: &str,
        audience: String,
        draft: &std::sync::Arc<Draft>,
        total: usize,
    ) -> JournalHeader {
        JournalHeader {
            id: self.id.clone(),
            at: crate::clock::now_rfc3339(),
            provider: provider.to_string(),
            profile: profile.to_string(),
            audience,
            draft: std::sync::Arc::clone(draft),
            total,
            recipients: self.recipients.clone(),
            recipient_count: self.streamed.as_ref().map_or(0, |s| s.count),
            recipients_digest: self.streamed.as_ref().map(|s| s.digest.clone()),
            source: self.streamed.as_ref().map(|s| s.source.clone()),
            carried: self.carried.iter().collect(),
            carried_in_doubt: self.carried_in_doubt.clone(),
            resumes: self.resumes.clone(),
        }
    }

    /// The prepared index of a result row; `None` for the token exchange.
    pub fn request_of(&self, index: usize) -> Option<usize> {
        let i = index.checked_sub(self.offset)?;
        match self.streamed {
            Some(_) => Some(i),
            None => self.chosen.get(i).copied(),
        }
    }

    /// The request of result row `row` is about to go out: journaled first, so a kill from now
    /// until its result is recorded leaves it in doubt, not forgotten.
    pub fn started(&self, row: usize) {
        if let (Some(journal), Some(i)) = (&self.journal, self.request_of(row)) {
            journal.started(i);
        }
    }

    /// `true`: one turn of the send begins, its journal lines queued; `false`: the turn's lines
    /// handed to the kernel in one write (run.rs's `Hooks::turn`).
    pub fn turn(&self, begins: bool) {
        if let Some(journal) = &self.journal {
            if begins {
                journal.hold();
            } else {
                journal.release();
            }
        }
    }

    /// Those in doubt once the send finished: those it left alone (carried from the entry
    /// resumed) and not reached since, and those whose answer it stopped waiting for (each has
    /// its row in `results`: a fan-out's report keeps every failure).
    pub fn in_doubt_at_the_end(
        &self,
        done: &Reached,
        results: &[std::sync::Arc<SendResult>],
    ) -> Vec<usize> {
        let abandoned = results
            .iter()
            .filter(|r| r.exchange.is_abandoned())
            .filter_map(|r| self.request_of(r.index));
        let mut in_doubt: Vec<usize> = self
            .carried_in_doubt
            .iter()
            .copied()
            .chain(abandoned)
            .filter(|i| !done.contains(*i))
            .collect();
        in_doubt.sort_unstable();
        in_doubt.dedup();
        in_doubt
    }

    pub fn record(&self, r: &SendResult) {
        let request = self.request_of(r.index);
        let abandoned = r.exchange.is_abandoned();
        if let (Some(streamed), Some(i)) = (&self.streamed, request) {
            if let Ok(mut tally) = streamed.tally.lock() {
                tally.requests += 1;
                tally.accepted += usize::from(r.outcome.is_ok());
            }
            if r.outcome.is_ok()
                && let Ok(mut done) = streamed.done.lock()
            {
                if done.len() <= i / 64 {
                    done.resize(i / 64 + 1, 0);
                }
                done[i / 64] |= 1 << (i % 64);
            }
        }
        // An abandoned request keeps only its started mark in the journal: read after a kill, it
        // is in doubt, as it is in the finished entry.
        if let Some(journal) = self.journal.as_ref().filter(|_| !abandoned) {
            let request_ = &r.exchange.request;
            let fingerprint = match (&self.streamed, request) {
                (Some(_), Some(i)) if !request_.url.is_empty() => Some(fingerprint(
                    i,
                    &request_.method,
                    &request_.url,
                    request_.recipient.as_deref(),
                )),
                _ => None,
            };
            journal.record_finished(Finished {
                request,
                fingerprint: fingerprint.as_deref(),
                retried: &r.retried,
                exchange: &r.exchange,
                outcome: &r.outcome,
                compact: self.streamed.is_some(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_skips_the_done_and_refuses_changed_recipients() {
        let requests: Vec<_> = (0..4)
            .map(|i| PreparedRequest::new("POST", format!("https://push.test/{i}")))
            .collect();
        let prints = fingerprints(&requests);
        let from = ResumeFrom {
            of: "x".into(),
            recipients: prints.clone(),
            count: 4,
            digest: String::new(),
            done: [0, 2].into_iter().collect(),
            in_doubt: Vec::new(),
            include_in_doubt: false,
        };
        assert_eq!(from.pick(&prints).expect("same"), [1, 3]);
        let other = fingerprints(&requests[1..]);
        assert!(from.pick(&other).is_err());
    }

    /// A recipient in doubt (started, never answered) is skipped by default and kept in doubt in
    /// the new entry; asked to, the resume sends to it too.
    #[test]
    fn resume_skips_those_in_doubt_unless_asked_to_include_them() {
        let requests: Vec<_> = (0..5)
            .map(|i| PreparedRequest::new("POST", format!("https://push.test/{i}")))
            .collect();
        let entry = HistoryEntry {
            id: "20261204T000000000Z-a".into(),
            state: EntryState::Interrupted,
            recipients: fingerprints(&requests),
            done: [0, 1].into_iter().collect(),
            in_doubt: vec![3],
            ..HistoryEntry::default()
        };
        assert_eq!(
            entry.summary().summary,
            "interrupted: 2 of 5 done, 1 in doubt"
        );
        assert_eq!(entry.summary().remaining(), 2);
        let prints = fingerprints(&requests);
        let skip = ResumeFrom::of(&entry, false).expect("resumable");
        assert_eq!(skip.pick(&prints).expect("same"), [2, 4]);
        assert_eq!((skip.to_send(5), skip.left_in_doubt()), (2, &[3][..]));
        let include = ResumeFrom::of(&entry, true).expect("resumable");
        assert_eq!(include.pick(&prints).expect("same"), [2, 3, 4]);
        assert!(include.left_in_doubt().is_empty());
        // All reached but those in doubt: nothing to send unless they are included, and it says
        // why in words.
        let rest = HistoryEntry {
            done: [0, 1, 2, 4].into_iter().collect(),
            ..entry
        };
        let refused = ResumeFrom::of(&rest, false).expect_err("nothing to send");
        assert!(
            refused.contains("1 recipient may already have it")
                && refused.contains("--include-in-doubt"),
            "{refused}"
        );
        assert_eq!(
            ResumeFrom::of(&rest, true).expect("resumable").to_send(5),
            1
        );
    }

    #[test]
    fn a_streamed_send_keeps_who_it_reached_as_bits_and_lists_them_in_order() {
        let streamed = Streamed::default();
        let recording = Recording {
            streamed: Some(streamed),
            offset: 1,
            ..Recording::default()
        };
        for (row, ok) in [(3, true), (1, true), (2, false), (130, true), (0, true)] {
            let outcome = if ok {
                crate::outcome::Outcome::accepted("Sent")
            } else {
                crate::outcome::Outcome::refused("Gone")
            };
            recording.record(&SendResult {
                index: row,
                exchange: crate::http::Exchange::unsent(PreparedRequest::new(
                    "POST",
                    "http://x.test/",
                )),
                outcome,
                retried: Vec::new(),
            });
        }
        let streamed = recording.streamed.as_ref().expect("streamed");
        // Row 0 is the token exchange (offset 1): it reaches nobody.
        assert_eq!(streamed.reached(), [0, 2, 129]);
        let tally = *streamed.tally.lock().expect("tally");
        assert_eq!((tally.requests, tally.accepted), (4, 3));
    }
}
