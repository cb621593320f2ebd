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
