//! A send made of requests in sequence (a Pushbullet file push: upload request, upload, push).
//! The provider builds each request from the answers before it; each is sent and recorded as its
//! own row, and a step that fails stops the chain with an outcome naming it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::SendJob;
use super::report::{EngineEvent, SendResult};
use crate::draft::DraftError;
use crate::http::{Body, Exchange, PreparedRequest, Transport, TransportError, TransportErrorKind};
use crate::provider::{FileNeed, LocalFile, PrepareContext};

/// A request body above this is kept in history and `--json` as its size only: the upload's
/// bytes are the user's file, already on their disk, and would make every history load slow.
const KEPT_BODY: usize = 64 * 1024;

/// What a stepped send needs beside the job.
pub(super) struct Steps<'a> {
    pub transport: &'a Transport,
    pub job: &'a SendJob,
    pub token: Option<&'a str>,
    pub files: &'a [LocalFile],
    /// Every step, in words (`Provider::steps`).
    pub names: &'a [String],
    /// Added to each row's index (a token exchange comes first).
    pub offset: usize,
}

impl Steps<'_> {
    /// Sends `first`, then each request the provider builds from the answers so far, until it
    /// says the send is complete or a step fails.
    pub async fn run(
        &self,
        first: PreparedRequest,
        cancel: &CancellationToken,
        emit: &(dyn Fn(EngineEvent) + Sync),
    ) -> Vec<Arc<SendResult>> {
        let provider = self.job.provider;
        let total = self.names.len();
        let mut done: Vec<Exchange> = Vec::new();
        let mut results = Vec::new();
        let mut next = Some(first);
        while let Some(mut request) = next.take() {
            // A later step comes from `next_step`: it goes the profile's way too.
            if request.network.is_none() {
                request.use_network(self.job.profile.network(&self.job.secrets));
            }
            let step = done.len();
            let exchange = if cancel.is_cancelled() {
                cancelled(request)
            } else {
                let kept = request.clone();
                tokio::select! {
                    _ = cancel.cancelled() => cancelled(kept),
                    exchange = self.transport.send(request, self.job.timeout) => exchange,
                }
            };
            let mut outcome = provider
                .interpret(&exchange)
                .without_secrets(&exchange.request.secrets);
            done.push(kept_small(exchange));
            if outcome.is_ok() {
                match provider.next_step(&self.context(), self.files, &done) {
                    Ok(request) => next = request,
                    Err(refusal) => outcome = refusal,
                }
            }
            let name = self
                .names
                .get(step)
                .cloned()
                .unwrap_or_else(|| format!("step {}", step + 1));
            let position = format!("Step {} of {}", step + 1, total.max(step + 1));
            outcome.summary = if outcome.is_ok() {
                format!("{position} ({name}): {}", outcome.summary)
            } else {
                let later = if step + 1 < total {
                    "; the later steps were not sent"
                } else {
                    ""
                };
                format!("{position} ({name}) failed: {}{later}", outcome.summary)
            };
            let result = Arc::new(SendResult {
                index: self.offset + step,
                exchange: done[step].clone(),
                outcome,
                retried: Vec::new(),
            });
            emit(EngineEvent::Result(result.clone()));
            results.push(result);
        }
        results
    }

    fn context(&self) -> PrepareContext<'_> {
        PrepareContext {
            draft: &self.job.draft,
            profile: &self.job.profile,
            secrets: &self.job.secrets,
            now: crate::clock::now(),
            idempotency_key: &self.job.idempotency_key,
            token: self.token,
            dry_run: false,
        }
    }
}

/// The exchange as kept: a body over `KEPT_BODY` is replaced by its size.
fn kept_small(mut exchange: Exchange) -> Exchange {
    let size = exchange.request.body.len();
    if size > KEPT_BODY {
        exchange.request.body = Body::Text(format!(
            "({size} bytes sent: the file and its form fields, not kept in history)"
        ));
    }
    exchange
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

/// The local files the draft sends, read by the store on a blocking thread (up to 25 MB must
/// not stall the runtime the window's other work shares).
pub(super) async fn read_files(needs: Vec<FileNeed>) -> Result<Vec<LocalFile>, DraftError> {
    if needs.is_empty() {
        return Ok(Vec::new());
    }
    let read = move || {
        needs
            .into_iter()
            .map(|need| {
                crate::store::read_attachment(&need.path, need.max_bytes)
                    .map(|bytes| LocalFile {
                        path: need.path.clone(),
                        bytes,
                    })
                    .map_err(|e| DraftError::new(need.field, e.to_string()))
            })
            .collect()
    };
    tokio::task::spawn_blocking(read).await.unwrap_or_else(|e| {
        Err(DraftError::new(
            "options",
            format!("the file could not be read: {e}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_upload_is_kept_as_its_size_and_a_small_body_whole() {
        let mut big = PreparedRequest::new("POST", "https://upload.example/1");
        big.body = Body::Bytes(vec![7u8; KEPT_BODY + 1].into());
        let kept = kept_small(Exchange::unsent(big));
        assert_eq!(
            kept.request.body.as_text(),
            Some(
                format!(
                    "({} bytes sent: the file and its form fields, not kept in history)",
                    KEPT_BODY + 1
                )
                .as_str()
            )
        );
        let mut small = PreparedRequest::new("POST", "https://upload.example/1");
        small.body = Body::Bytes(vec![7u8; 10].into());
        assert_eq!(kept_small(Exchange::unsent(small)).request.body.len(), 10);
    }
}
