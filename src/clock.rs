//! Wall-clock helpers. Providers never read the clock themselves: the engine passes `now` in.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn now_rfc3339() -> String {
    rfc3339(now())
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| {
        format!("`{text}` is not an RFC 3339 date-time such as 2026-12-01T09:00:00+01:00 ({e})")
    })
}

/// A monotonic instant for the app's own timers (debounces, cache ages) that tests can step.
///
/// `std::time::Instant::now()` plus this thread's offset, which is zero unless a test calls
/// [`advance`]. The UI runs its frames on one thread (a kittest test's own thread), so a window
/// test moves only its own app's clock, never the clock of tests running beside it.
pub fn instant() -> std::time::Instant {
    std::time::Instant::now() + OFFSET.with(std::cell::Cell::get)
}

/// Tests only: moves [`instant`] forward on this thread, as if `by` had passed.
pub fn advance(by: std::time::Duration) {
    OFFSET.with(|offset| offset.set(offset.get() + by));
}

thread_local! {
    static OFFSET: std::cell::Cell<std::time::Duration> = const { std::cell::Cell::new(std::time::Duration::ZERO) };
}
