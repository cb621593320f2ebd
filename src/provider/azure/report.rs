//! The hub's XML answers: the test-send `NotificationOutcome` (providers.md §2.7) and the
//! `<Error><Code/><Detail/></Error>` body of a refusal (§2.6).

use quick_xml::events::Event;

/// One registration the test send tried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationResult {
    pub platform: String,
    pub handle: String,
    pub registration_id: String,
    pub outcome: String,
}

impl RegistrationResult {
    /// The hub's words for a delivery it handed to the platform's push service.
    pub fn succeeded(&self) -> bool {
        let o = self.outcome.to_ascii_lowercase();
        o.contains("successfully sent") || o == "success"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationOutcome {
    pub success: u64,
    pub failure: u64,
    pub results: Vec<RegistrationResult>,
}

/// Text content of each element, keyed by its local name, in document order.
fn elements(xml: &str) -> Result<Vec<(Vec<String>, String)>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<(Vec<String>, String)> = Vec::new();
    // Text split by entity references (`a&amp;b`) arrives in pieces: join them.
    let mut continuing = false;
    loop {
        let event = reader.read_event();
        let was_continuing = continuing;
        continuing = matches!(event, Ok(Event::Text(_)) | Ok(Event::GeneralRef(_)));
        match event {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Empty(e)) => {
                let mut p = path.clone();
                p.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                out.push((p, String::new()));
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t
                    .decode()
                    .ok()
                    .and_then(|d| quick_xml::escape::unescape(&d).ok().map(|u| u.into_owned()))
                    .unwrap_or_default();
                match out.last_mut() {
                    Some((p, last)) if was_continuing && *p == path => last.push_str(&text),
                    _ => out.push((path.clone(), text)),
                }
            }
            Ok(Event::GeneralRef(r)) => {
                // An entity reference inside text (`&amp;`): append its character to the last text.
                let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                let ch = match name.as_str() {
                    "amp" => "&".to_string(),
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    other => format!("&{other};"),
                };
                match out.last_mut() {
                    Some((p, text)) if was_continuing && *p == path => text.push_str(&ch),
                    _ => out.push((path.clone(), ch)),
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(out)
}

/// Parses a test send's outcome; `None` when the body is not one.
pub fn parse_outcome(xml: &str) -> Option<NotificationOutcome> {
    let elements = elements(xml).ok()?;
    if !elements
        .iter()
        .any(|(p, _)| p.first().is_some_and(|r| r == "NotificationOutcome"))
    {
        return None;
    }
    let mut outcome = NotificationOutcome::default();
    let mut current: Option<RegistrationResult> = None;
    for (path, text) in elements {
        let names: Vec<&str> = path.iter().map(String::as_str).collect();
        match names.as_slice() {
            ["NotificationOutcome", "Success"] => {
                outcome.success = text.trim().parse().unwrap_or(0)
            }
            ["NotificationOutcome", "Failure"] => {
                outcome.failure = text.trim().parse().unwrap_or(0)
            }
            [
                "NotificationOutcome",
                "Results",
                "RegistrationResult",
                field,
            ] => {
                let r = current.get_or_insert_with(RegistrationResult::default);
                let slot = match *field {
                    "ApplicationPlatform" => &mut r.platform,
                    "PnsHandle" => &mut r.handle,
                    "RegistrationId" => &mut r.registration_id,
                    "Outcome" => &mut r.outcome,
                    _ => continue,
                };
                // A field seen twice starts the next registration.
                if !slot.is_empty() {
                    if let Some(done) = current.take() {
                        outcome.results.push(done);
                    }
                    let mut next = RegistrationResult::default();
                    set(&mut next, field, text);
                    current = Some(next);
                } else {
                    slot.push_str(&text);
                }
            }
            _ => {}
        }
    }
    outcome.results.extend(current);
    Some(outcome)
}

fn set(r: &mut RegistrationResult, field: &str, text: String) {
    match field {
        "ApplicationPlatform" => r.platform = text,
        "PnsHandle" => r.handle = text,
        "RegistrationId" => r.registration_id = text,
        _ => r.outcome = text,
    }
}

/// `Detail` (or the whole text) of an `<Error>` body; empty when there is none.
pub fn error_detail(xml: &str) -> String {
    let Ok(elements) = elements(xml) else {
        return xml.trim().chars().take(300).collect();
    };
    let detail: String = elements
        .iter()
        .filter(|(p, _)| p.last().is_some_and(|n| n == "Detail"))
        .map(|(_, t)| t.as_str())
        .collect();
    if detail.is_empty() {
        elements
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(300)
            .collect()
    } else {
        detail
    }
}

/// The claim a 401 says is missing (`'Send' claim(s) are required…`).
pub fn missing_claim(detail: &str) -> Option<&str> {
    let end = detail.find("' claim")?;
    let start = detail[..end].rfind('\'')? + 1;
    Some(&detail[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTCOME: &str = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <Success>1</Success>
  <Failure>1</Failure>
  <Results>
    <RegistrationResult>
      <ApplicationPlatform>apple</ApplicationPlatform>
      <PnsHandle>ab12cd</PnsHandle>
      <RegistrationId>1234567890123456789-1</RegistrationId>
      <Outcome>The Notification was successfully sent to the Push Notification System</Outcome>
    </RegistrationResult>
    <RegistrationResult>
      <ApplicationPlatform>windows</ApplicationPlatform>
      <PnsHandle>https://db5.notify.windows.com/?token=a&amp;b</PnsHandle>
      <RegistrationId>1234567890123456789-2</RegistrationId>
      <Outcome>The Channel Uri is expired</Outcome>
    </RegistrationResult>
  </Results>
</NotificationOutcome>"#;

    #[test]
    fn parses_the_outcome_table() {
        let o = parse_outcome(OUTCOME).expect("outcome");
        assert_eq!((o.success, o.failure), (1, 1));
        assert_eq!(o.results.len(), 2);
        assert_eq!(o.results[0].platform, "apple");
        assert_eq!(o.results[0].handle, "ab12cd");
        assert!(o.results[0].succeeded());
        assert_eq!(
            o.results[1].handle,
            "https://db5.notify.windows.com/?token=a&b"
        );
        assert_eq!(o.results[1].registration_id, "1234567890123456789-2");
        assert_eq!(o.results[1].outcome, "The Channel Uri is expired");
        assert!(!o.results[1].succeeded());
    }

    #[test]
    fn no_matching_registrations() {
        let o = parse_outcome(r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>0</Success><Failure>0</Failure><Results i:nil="true"/></NotificationOutcome>"#)
            .expect("outcome");
        assert_eq!(o, NotificationOutcome::default());
        assert!(parse_outcome("<Error><Code>401</Code></Error>").is_none());
        assert!(parse_outcome("").is_none());
        assert!(parse_outcome("not xml <<").is_none());
    }

    #[test]
    fn error_details_and_claims() {
        let d = error_detail(
            "<Error><Code>401</Code><Detail>Unauthorized access. 'Send' claim(s) are required to perform this operation. TrackingId:abc</Detail></Error>",
        );
        assert!(d.starts_with("Unauthorized access."), "{d}");
        assert_eq!(missing_claim(&d), Some("Send"));
        assert_eq!(missing_claim("ExpiredToken: ."), None);
        assert_eq!(error_detail("plain words"), "plain words");
    }
}
