//! A chat list streamed through `Provider::fan_out`: each chat's request is the one `prepare`
//! builds for it, and its identity is that request's own, so a resume finds the same
//! fingerprints either way.

use serde_json::json;

use super::{draft, prepare, with_context};
use crate::provider::Provider;
use crate::provider::telegram::Telegram;

#[test]
fn a_chat_list_streams_one_request_per_chat_as_prepare_builds_it() {
    let d = draft(
        json!({"profile": "acme-bot", "message": {"title": "Release", "body": "2.0 & more"},
        "audience": {"chat_ids": [42, "@acme_news", "-1001234567890"]}}),
    );
    assert!(Telegram.fan_out_source(&d).is_some());
    let whole = prepare(&d).expect("prepares");
    let fan_out = with_context(&d, |ctx| Telegram.fan_out(ctx))
        .expect("streams")
        .expect("builds");
    for (i, item) in [json!(42), json!("@acme_news"), json!("-1001234567890")]
        .iter()
        .enumerate()
    {
        let one = fan_out.prepare_one(item).expect("one");
        let sent = &whole.requests[i];
        assert_eq!((&one.url, &one.recipient), (&sent.url, &sent.recipient));
        assert_eq!(one.body, sent.body);
        assert!(one.secrets == sent.secrets, "the token is masked in each");
        let who = fan_out.identify(item).expect("identifies");
        assert_eq!((who.url, who.recipient), (one.url, one.recipient));
    }
    assert!(fan_out.identify(&json!("not a chat")).is_err());
    assert!(fan_out.identify(&json!(" ")).is_err());
}

#[test]
fn a_chat_listed_twice_is_refused_before_streaming_and_short_lists_do_not_stream() {
    let twice = draft(json!({"profile": "acme-bot", "message": {"body": "hi"},
        "audience": {"chat_ids": [42, 7, 42]}}));
    let Some(Err(e)) = with_context(&twice, |ctx| Telegram.fan_out(ctx)) else {
        panic!("refused");
    };
    assert_eq!(e.field, "audience.chat_ids[2]");
    let one = draft(json!({"profile": "acme-bot", "message": {"body": "hi"},
        "audience": {"chat_ids": [42]}}));
    assert!(Telegram.fan_out_source(&one).is_none());
    let blank = draft(json!({"profile": "acme-bot", "message": {"body": "hi"},
        "audience": {"chat_ids": [42, " ", 7]}}));
    assert!(
        Telegram.fan_out_source(&blank).is_none(),
        "blank lines keep the whole-list path"
    );
}
