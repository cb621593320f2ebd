//! Removing the recipients a send found gone (a push service's 404/410) from the audience file
//! it read them from: the CLI's `--prune-gone` and the window's "Remove N gone from the file"
//! both come here, and the store rewrites the file (a temporary file renamed over it).

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use serde_json::Value;

use super::{Engine, SendReport};
use crate::store::audience_file;

impl Engine {
    /// Rewrites `path` without the recipients `report` found gone (by their position in the
    /// file), in the same shape, atomically; returns how many were removed. Nothing is removed
    /// when one of those positions no longer holds the subscription the send reached there (the
    /// file was edited or pruned since), so a late click can never drop the wrong subscriber.
    pub fn prune_audience_file(path: &Path, report: &SendReport) -> Result<usize, String> {
        let gone: HashMap<usize, &str> = report
            .results
            .iter()
            .filter(|r| r.outcome.gone)
            .map(|r| (r.index, r.exchange.request.url.as_str()))
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        let mut changed = None;
        audience_file::for_each_item(path, &mut |place, item| match gone.get(&place.index) {
            Some(sent) if !same_endpoint(&item, sent) => {
                changed = Some(place);
                ControlFlow::Break(())
            }
            _ => ControlFlow::Continue(()),
        })
        .map_err(|e| format!("{}: not pruned: {e}", path.display()))?;
        if let Some(place) = changed {
            return Err(format!(
                "{}: not pruned: {place} is no longer the subscription the push service called gone (the file changed since the send). Nothing was removed; send again to find the gone ones.",
                path.display()
            ));
        }
        audience_file::rewrite_without(path, &|i| gone.contains_key(&i))
            .map_err(|e| format!("{}: not pruned: {e}", path.display()))
    }
}

/// Whether a file item is the subscription a request went to: the same endpoint path (a
/// profile's base URL override may have sent it to another origin).
fn same_endpoint(item: &Value, sent: &str) -> bool {
    let path_of = |url: &str| {
        url::Url::parse(url)
            .ok()
            .map(|u| format!("{}?{}", u.path(), u.query().unwrap_or("")))
    };
    let endpoint = item.get("endpoint").and_then(Value::as_str);
    match (endpoint.and_then(path_of), path_of(sent)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SendResult;
    use crate::http::{Exchange, PreparedRequest};
    use crate::outcome::Outcome;
    use std::sync::Arc;

    fn result(index: usize, url: &str, gone: bool) -> Arc<SendResult> {
        let mut outcome = Outcome::refused("Gone");
        outcome.gone = gone;
        Arc::new(SendResult {
            index,
            exchange: Exchange::unsent(PreparedRequest::new("POST", url)),
            outcome,
            retried: Vec::new(),
        })
    }

    #[test]
    fn only_the_gone_positions_go_and_a_changed_file_is_left_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("subs.jsonl");
        let line = |id: &str| format!("{{\"endpoint\":\"https://push.example/p/{id}\"}}\n");
        std::fs::write(&path, [line("a"), line("b"), line("c")].concat()).expect("write");
        let report = SendReport {
            results: vec![
                result(0, "https://push.example/p/a", false),
                // Sent through a base URL override: the same endpoint path.
                result(1, "http://127.0.0.1:9/p/b", true),
            ],
            ..SendReport::default()
        };
        assert_eq!(Engine::prune_audience_file(&path, &report), Ok(1));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            [line("a"), line("c")].concat()
        );
        // A second click: position 1 is now another subscriber, so nothing is removed.
        let e = Engine::prune_audience_file(&path, &report).expect_err("refused");
        assert!(
            e.contains("line 2") && e.contains("Nothing was removed"),
            "{e}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            [line("a"), line("c")].concat()
        );
    }
}
