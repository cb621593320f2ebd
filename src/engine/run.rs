//! Sends a batch of requests with bounded concurrency and pacing, retrying those the provider
//! asks to retry after a wait; cancelled requests are recorded as such, never dropped.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};

use tokio_util::sync::CancellationToken;

use super::report::{EngineEvent, SendResult};
use crate::http::{Exchange, Lane, PreparedRequest, Transport, TransportError, TransportErrorKind};
use crate::outcome::Outcome;

/// Longest wait honoured from a Retry-After before giving up on a retry.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// How `run` sends a batch.
#[derive(Debug, Clone)]
pub(super) struct RunPlan {
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_per_second: Option<f64>,
    /// Retries per request when the provider answers with a wait (Retry-After / retry_after).
    pub retries: u32,
    /// Added to each result's index (a token exchange comes first).
    pub index_offset: usize,
    /// When set and cancelled, no further request starts but those in flight finish or time out
    /// (the CLI's first Ctrl-C); `run`'s `cancel` abandons those in flight too.
    pub stop_starting: Option<CancellationToken>,
    /// Each request in flight keeps a connection of its own between requests (see
    /// `crate::http::Lane`): for streamed fan-outs, whose requests are many and alike.
    pub lanes: bool,
}

/// Judges one exchange (the provider's `interpret`, or its `interpret_call`).
pub(super) type Interpret = Arc<dyn Fn(&Exchange) -> Outcome + Send + Sync>;

/// One request for `run_stream`: built, or why it could not be (a fan-out's recipient whose key
/// does not work), by its index.
pub(super) enum Item {
    // Boxed: a request is large beside a failure, and items queue in bounded channels.
    Ready(usize, Box<PreparedRequest>),
    Failed(usize, String),
}

/// Where `run` reports: each result as it lands, and (before it is handed to the transport)
/// the result row of each request about to go out, so the journal can mark it started.
#[derive(Clone, Copy)]
pub(super) struct Hooks<'a> {
    pub emit: &'a (dyn Fn(EngineEvent) + Sync),
    pub started: &'a (dyn Fn(usize) + Sync),
    /// `true` as one turn of the loop begins, `false` once its results and started marks are
    /// all reported, before any of its requests goes out and before the loop waits: the journal
    /// writes the turn's lines in one `write` then.
    pub turn: &'a (dyn Fn(bool) + Sync),
}

impl<'a> Hooks<'a> {
    /// Results and started marks only; no turns.
    pub fn new(
        emit: &'a (dyn Fn(EngineEvent) + Sync),
        started: &'a (dyn Fn(usize) + Sync),
    ) -> Self {
        Self {
            emit,
            started,
            turn: &|_| {},
        }
    }
}

/// Sends `requests` as `plan` says, emitting each result as it lands; results in request order.
pub(super) async fn run(
    transport: &Transport,
    requests: Vec<PreparedRequest>,
    plan: &RunPlan,
    cancel: &CancellationToken,
    hooks: Hooks<'_>,
    interpret: Interpret,
) -> Vec<Arc<SendResult>> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let all = requests
        .into_iter()
        .enumerate()
        .map(|(index, request)| Item::Ready(index, Box::new(request)))
        .collect();
    // The channel has room for this one batch: this cannot fail.
    let _ = tx.try_send(all);
    drop(tx);
    let results = std::sync::Mutex::new(Vec::new());
    let collect = |event: EngineEvent| {
        if let EngineEvent::Result(r) = &event
            && let Ok(mut results) = results.lock()
        {
            results.push(r.clone());
        }
        (hooks.emit)(event);
    };
    let hooks = Hooks {
        emit: &collect,
        ..hooks
    };
    run_stream(transport, rx, plan, cancel, hooks, interpret).await;
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|r| r.index);
    results
}

/// Sends the requests `items` yields (in batches) as `plan` says, at most `concurrency` in flight,
/// emitting each result as it lands. A batch is taken only as the window has room, so a producer
/// feeding `items` through a bounded channel is held back (a million recipients are never all
/// built); batches, not single items, so a producer waiting for room is woken once per batch.
/// Once stopped, every item still received gets its "not started" row.
pub(super) async fn run_stream(
    transport: &Transport,
    mut items: tokio::sync::mpsc::Receiver<Vec<Item>>,
    plan: &RunPlan,
    cancel: &CancellationToken,
    hooks: Hooks<'_>,
    interpret: Interpret,
) {
    let Hooks {
        emit,
        started,
        turn,
    } = hooks;
    let window = plan.concurrency.max(1);
    let pace = plan
        .max_per_second
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(1.0 / r));
    let next_start = Arc::new(tokio::sync::Mutex::new(tokio::time::Instant::now()));
    // The requests in flight, polled by this task itself: a finished request is noticed where
    // its answer is read, with no task of its own to schedule and no wake-up across threads.
    let mut tasks = FuturesUnordered::new();
    let mut open = true;
    let mut batch = std::collections::VecDeque::new();
    let mut starting = Vec::with_capacity(window);
    // Lanes between requests; a request takes one and gives it back with its result.
    let mut idle_lanes: Vec<Lane> = Vec::new();
    // A result awaited at the end of the previous turn, settled in this one.
    let mut landed = None;
    let finish = |landed: Landed, idle_lanes: &mut Vec<Lane>| {
        let (index, exchange, outcome, retried) = match landed {
            Ok((done, lane)) => {
                idle_lanes.extend(lane);
                done
            }
            // A request whose sending panicked still gets its row: the request, and what
            // happened.
            Err(lost) => {
                let (index, request) = *lost;
                let exchange = panicked(request);
                let outcome = Outcome::from_transport(&exchange)
                    .unwrap_or_else(|| Outcome::refused("Pushdeck failed while sending"))
                    .with_hint(
                        "The request may or may not have arrived: check the provider before sending again, and report this.",
                    );
                (index, exchange, outcome, Vec::new())
            }
        };
        emit(EngineEvent::Result(Arc::new(SendResult {
            index: index + plan.index_offset,
            exchange,
            outcome,
            retried,
        })));
    };
    loop {
        // One turn: every result that has landed is reported, then as many requests as the
        // window has room for are marked started; the journal writes all of it at once at the
        // end of the turn, and only then do those requests go out. A finished request keeps its
        // place in the window until its result is written: a kill leaves at most `concurrency`
        // requests answered but unrecorded.
        turn(true);
        if let Some(one) = landed.take() {
            finish(one, &mut idle_lanes);
        }
        while let Some(Some(one)) = tasks.next().now_or_never() {
            finish(one, &mut idle_lanes);
        }
        while tasks.len() + starting.len() < window {
            let item = match batch.pop_front() {
                Some(item) => item,
                None if open => match items.try_recv() {
                    Ok(more) => {
                        batch.extend(more);
                        continue;
                    }
                    Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                    Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                },
                None => break,
            };
            match item {
                Item::Failed(index, why) => {
                    let mut exchange = Exchange::unsent(PreparedRequest::new("", ""));
                    exchange.error = None;
                    emit(EngineEvent::Result(Arc::new(SendResult {
                        index: index + plan.index_offset,
                        exchange,
                        outcome: Outcome::refused(format!("Not sent: {why}"))
                            .with_hint("Fix or remove this recipient, then resume the send."),
                        retried: Vec::new(),
                    })));
                }
                Item::Ready(index, request) => {
                    // Marked before it can go out: a kill from here on leaves it in doubt,
                    // never forgotten. (A request stopped before it starts still gets its
                    // "not started" row.)
                    started(index + plan.index_offset);
                    starting.push((index, request));
                }
            }
        }
        turn(false);
        for (index, request) in starting.drain(..) {
            let one = OneRequest {
                transport: transport.clone(),
                cancel: cancel.clone(),
                stop: plan.stop_starting.clone().unwrap_or_else(|| cancel.clone()),
                next_start: next_start.clone(),
                pace,
                timeout: plan.timeout,
                retries: plan.retries,
                interpret: interpret.clone(),
            };
            let kept = head_of(&request);
            let lane = plan.lanes.then(|| idle_lanes.pop().unwrap_or_default());
            let sending = AssertUnwindSafe(one.send(index, *request, lane)).catch_unwind();
            tasks.push(sending.map(move |result| result.map_err(|_| Box::new((index, kept)))));
        }
        // Wait for a result, or (with room in the window and nothing queued) for more items.
        if tasks.len() < window && open {
            tokio::select! {
                biased;
                Some(one) = tasks.next(), if !tasks.is_empty() => {
                    landed = Some(one);
                }
                received = items.recv() => match received {
                    Some(more) => batch.extend(more),
                    None => open = false,
                },
            }
        } else if !tasks.is_empty() {
            landed = tasks.next().await;
        } else {
            // Nothing in flight and nothing more to come (the window had room for all of it).
            break;
        }
    }
}

/// What one request ends with: its index, last exchange, outcome and retried attempts.
type Done = (usize, Exchange, Outcome, Vec<Exchange>);

/// A request in flight that landed: its result and lane, or (it panicked) its index and what is
/// known of it.
type Landed = Result<(Done, Option<Lane>), Box<(usize, PreparedRequest)>>;

/// Everything one request's task needs.
struct OneRequest {
    transport: Transport,
    cancel: CancellationToken,
    /// No (re)start once cancelled; `cancel` cancels this too in effect.
    stop: CancellationToken,
    next_start: Arc<tokio::sync::Mutex<tokio::time::Instant>>,
    pace: Option<Duration>,
    timeout: Duration,
    retries: u32,
    interpret: Interpret,
}

impl OneRequest {
    /// Sends one request (on `lane` when given), retrying as the provider asks; gives the lane
    /// back with the result.
    async fn send(
        self,
        index: usize,
        request: PreparedRequest,
        mut lane: Option<Lane>,
    ) -> (Done, Option<Lane>) {
        // No request takes longer than the timeout in all, retries and waits included.
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut retried = Vec::new();
        // The transport records the Content-Length it sent; a retry must not send it twice.
        let own_length = request.header_value("content-length").is_some();
        let mut request = request;
        loop {
            self.wait_for_slot().await;
            // The request moves into the transport (no copy per send); it comes back in the
            // exchange, answered or not.
            let exchange = if self.cancel.is_cancelled() || self.stop.is_cancelled() {
                not_started(request)
            } else {
                match self
                    .transport
                    .send_unless(request, self.timeout, &self.cancel, lane.as_mut())
                    .await
                {
                    Ok(exchange) => exchange,
                    Err(unanswered) => abandoned(unanswered.request),
                }
            };
            // Whatever a provider quotes from the answer, a secret of the request never
            // reaches the words shown and kept.
            let outcome = (self.interpret)(&exchange).without_secrets(&exchange.request.secrets);
            let wait = retry_wait(outcome.retry_after, tokio::time::Instant::now(), deadline);
            match wait {
                Some(wait)
                    if (retried.len() as u32) < self.retries
                        && !self.cancel.is_cancelled()
                        && !self.stop.is_cancelled() =>
                {
                    request = exchange.request.clone();
                    if !own_length {
                        request
                            .headers
                            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-length"));
                    }
                    retried.push(exchange);
                    tokio::select! {
                        _ = self.cancel.cancelled() => {}
                        _ = self.stop.cancelled() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                _ => return ((index, exchange, outcome, retried), lane),
            }
        }
    }

    /// Reserves a start slot, then waits for it: starts stay `pace` apart.
    async fn wait_for_slot(&self) {
        let Some(pace) = self.pace else {
            return;
        };
        let slot = {
            let mut next = self.next_start.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + pace;
            slot
        };
        tokio::select! {
            _ = self.cancel.cancelled() => {}
            _ = self.stop.cancelled() => {}
            _ = tokio::time::sleep_until(slot) => {}
        }
    }
}

/// The wait before a retry the provider asked for (`Retry-After` as seconds, or an HTTP-date
/// already turned into seconds), if it is worth waiting: within `MAX_RETRY_WAIT` and before the
/// request's deadline.
fn retry_wait(
    retry_after: Option<u64>,
    now: tokio::time::Instant,
    deadline: tokio::time::Instant,
) -> Option<Duration> {
    retry_after
        .map(Duration::from_secs)
        .filter(|w| *w <= MAX_RETRY_WAIT)
        .filter(|w| now + *w < deadline)
}

/// What a result row needs of a request if its task fails: where it went, for whom, and the
/// secrets to mask in it (the URL may hold a token).
fn head_of(request: &PreparedRequest) -> PreparedRequest {
    let mut head = PreparedRequest::new(&request.method, request.url.clone());
    head.recipient = request.recipient.clone();
    head.secrets = request.secrets.clone();
    head
}

/// Stopped while the transport had it: it may have reached the server (in doubt).
fn abandoned(request: PreparedRequest) -> Exchange {
    failed(
        request,
        TransportErrorKind::Abandoned,
        "Cancelled while waiting for the answer: it may have arrived, so this recipient is in doubt.",
        "abandoned by the user while waiting for the answer",
    )
}

fn not_started(request: PreparedRequest) -> Exchange {
    failed(
        request,
        TransportErrorKind::Cancelled,
        "Not sent: the send was stopped before this request started.",
        "stopped by the user before it started",
    )
}

fn panicked(request: PreparedRequest) -> Exchange {
    failed(
        request,
        TransportErrorKind::Other,
        "Pushdeck failed while sending this request.",
        "the send task panicked",
    )
}

fn failed(
    request: PreparedRequest,
    kind: TransportErrorKind,
    message: &str,
    detail: &str,
) -> Exchange {
    let mut exchange = Exchange::unsent(request);
    exchange.error = Some(TransportError {
        kind,
        message: message.into(),
        detail: detail.into(),
    });
    exchange
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Body, ResponseDump};
    use std::time::SystemTime;

    fn limited(retry_after: &str) -> ResponseDump {
        ResponseDump {
            status: 429,
            reason: "Too Many Requests".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("Retry-After".into(), retry_after.into())],
            body: Body::Text(String::new()),
            truncated: false,
        }
    }

    /// The wait `run` would take for this `Retry-After`, with 2 minutes left to the deadline.
    fn wait_for(retry_after: &str, now: SystemTime) -> Option<Duration> {
        let start = tokio::time::Instant::now();
        let seconds = limited(retry_after).retry_after_at(now);
        retry_wait(seconds, start, start + Duration::from_secs(120))
    }

    #[test]
    fn retry_after_in_seconds_is_waited() {
        let now = SystemTime::now();
        assert_eq!(wait_for("7", now), Some(Duration::from_secs(7)));
        assert_eq!(wait_for("3600", now), None, "beyond the longest wait");
        assert_eq!(wait_for("soon", now), None, "unreadable: no retry");
    }

    #[test]
    fn retry_after_as_an_http_date_is_waited_until_that_date() {
        // Fri, 04 Dec 2026 18:00:00 GMT
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_407_200);
        assert_eq!(
            wait_for("Fri, 04 Dec 2026 18:00:20 GMT", now),
            Some(Duration::from_secs(20))
        );
        // A date already past: retry now.
        assert_eq!(
            wait_for("Fri, 04 Dec 2026 17:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Far off, beyond the longest wait: no retry, the refusal stands.
        assert_eq!(wait_for("Sat, 05 Dec 2026 18:00:00 GMT", now), None);
        // The obsolete forms HTTP still accepts (RFC 850, asctime).
        assert_eq!(
            wait_for("Friday, 04-Dec-26 18:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            wait_for("Fri Dec  4 18:00:05 2026", now),
            Some(Duration::from_secs(5))
        );
    }

    /// A provider's `interpret` that panics must not lose the request: it becomes a failed row
    /// that says what happened, and the other requests still get theirs.
    #[tokio::test]
    async fn a_panicking_task_becomes_a_failed_row_with_a_message() {
        let transport = Transport::new(Duration::from_secs(2)).expect("transport");
        // Port 9 on localhost (discard) refuses at once: no network needed.
        let requests = (0..3)
            .map(|i| PreparedRequest::new("POST", format!("http://127.0.0.1:9/{i}")))
            .collect();
        let plan = RunPlan {
            timeout: Duration::from_secs(5),
            concurrency: 2,
            max_per_second: None,
            retries: 0,
            index_offset: 0,
            stop_starting: None,
            lanes: false,
        };
        let interpret: Interpret = Arc::new(|exchange: &Exchange| {
            if exchange.request.url.ends_with("/1") {
                panic!("a provider bug");
            }
            Outcome::refused("not reached")
        });
        let seen = std::sync::Mutex::new(Vec::new());
        let emit = |event: EngineEvent| {
            if let EngineEvent::Result(r) = event {
                seen.lock().expect("lock").push(r.index);
            }
        };
        let results = run(
            &transport,
            requests,
            &plan,
            &CancellationToken::new(),
            Hooks::new(&emit, &|_| {}),
            interpret,
        )
        .await;
        assert_eq!(results.len(), 3, "no row is lost");
        let row = &results[1];
        assert_eq!(row.index, 1);
        assert!(row.exchange.request.url.ends_with("/1"));
        assert!(!row.outcome.is_ok());
        let error = row.exchange.error.as_ref().expect("an error");
        assert_eq!(error.detail, "the send task panicked");
        assert!(
            error.message.contains("failed while sending"),
            "{}",
            error.message
        );
        assert!(
            row.outcome
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("may or may not have arrived")),
            "{:?}",
            row.outcome
        );
        assert_eq!(results[0].outcome.summary, "not reached");
        let mut seen = seen.into_inner().expect("lock");
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2], "the panicked row is emitted too");
    }
}
