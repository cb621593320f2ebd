//! Providers whose credential is one token: its form, before the read-only call (Telegram
//! `getMe`, Pushbullet `users/me`, Courier's message log, ntfy's account) tries it.

use super::{Finding, secret};
use crate::profile::{Profile, Secrets};

fn token_chars(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Telegram: `<bot id>:<about 35 characters>`, as @BotFather gives it (Telegram documents no
/// exact length: older tokens have 34).
pub fn telegram(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let token = match secret(profile, secrets, "bot_token", "bot token") {
        Ok(t) => t.trim(),
        Err(f) => return vec![f],
    };
    let ok = token.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && (30..=50).contains(&rest.len())
            && token_chars(rest)
    });
    vec![if ok {
        Finding::ok("The bot token has Telegram's form (bot id, colon, about 35 characters).")
    } else {
        Finding::fail("The bot token is not in Telegram's form <digits>:<about 35 letters, digits, - or _>: Telegram will not know it.")
            .with_detail("copy the whole token @BotFather sent (e.g. 123456789:AA…), with nothing before or after")
    }]
}

/// Pushbullet: `o.` and 32 letters and digits.
pub fn pushbullet(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let token = match secret(profile, secrets, "access_token", "access token") {
        Ok(t) => t.trim(),
        Err(f) => return vec![f],
    };
    let ok = token
        .strip_prefix("o.")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    vec![if ok {
        Finding::ok("The access token has Pushbullet's form (o. and 32 characters).")
    } else {
        Finding::fail("The access token is not in Pushbullet's form o.<32 letters and digits>.")
            .with_detail("create one at pushbullet.com > Settings > Account > Create Access Token")
    }]
}

/// Courier: a workspace key, `pk_prod_…` or `pk_test_…`.
pub fn courier(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let token = match secret(profile, secrets, "auth_token", "auth token") {
        Ok(t) => t.trim(),
        Err(f) => return vec![f],
    };
    let rest = |prefix: &str| {
        token
            .strip_prefix(prefix)
            .filter(|r| !r.is_empty() && token_chars(r))
    };
    vec![if rest("pk_prod_").is_some() {
        Finding::ok("The auth token is a production workspace key (pk_prod_…).")
    } else if rest("pk_test_").is_some() {
        Finding::ok(
            "The auth token is a test environment key (pk_test_…): sends use the test environment's settings.",
        )
    } else if token.contains(char::is_whitespace) {
        Finding::fail("The auth token contains spaces: it was copied with something around it.")
    } else {
        Finding::warn("The auth token is not a pk_prod_… or pk_test_… workspace key.")
            .with_detail("Courier's Settings > API Keys lists the workspace's keys")
    }]
}

/// ntfy: optional; an access token is `tk_` and 29 letters and digits.
pub fn ntfy(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let _ = profile;
    let Some(token) = secrets.get("access_token").map(str::trim) else {
        return vec![Finding::ok(
            "No access token: publishing is anonymous, so the server's health is checked.",
        )];
    };
    let ok = token
        .strip_prefix("tk_")
        .is_some_and(|rest| rest.len() == 29 && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    vec![if ok {
        Finding::ok("The access token has ntfy's form (tk_ and 29 characters).")
    } else {
        Finding::fail("The access token is not in ntfy's form tk_<29 letters and digits>.")
            .with_detail("create one under Account > Access tokens (or `ntfy token add`)")
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    fn run(check: fn(&Profile, &Secrets) -> Vec<Finding>, field: &str, value: &str) -> Finding {
        let mut s = Secrets::default();
        s.insert(field, value.into());
        let f = check(&Profile::new("p", "x"), &s);
        assert_eq!(f.len(), 1, "{f:?}");
        f[0].clone()
    }

    #[test]
    fn a_telegram_token_out_of_form_is_named() {
        let good = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-";
        assert_eq!(run(telegram, "bot_token", good).level, Level::Ok);
        for bad in [
            "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-",
            "123456789:short",
            "bot123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-",
        ] {
            let f = run(telegram, "bot_token", bad);
            assert!(
                f.level == Level::Fail && f.text.contains("<digits>:<about 35"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_pushbullet_token_out_of_form_is_named() {
        assert_eq!(
            run(
                pushbullet,
                "access_token",
                "o.abcdefghijklmnopqrstuvwxyz012345"
            )
            .level,
            Level::Ok
        );
        let f = run(
            pushbullet,
            "access_token",
            "abcdefghijklmnopqrstuvwxyz012345",
        );
        assert!(f.level == Level::Fail && f.text.contains("o.<32"));
    }

    #[test]
    fn a_courier_key_of_no_known_kind_is_named() {
        assert_eq!(
            run(courier, "auth_token", "pk_prod_ABC123").level,
            Level::Ok
        );
        assert!(
            run(courier, "auth_token", "pk_test_ABC123")
                .text
                .contains("test environment")
        );
        assert_eq!(run(courier, "auth_token", "sk_live_123").level, Level::Warn);
        assert_eq!(
            run(courier, "auth_token", "Bearer pk_prod_1").level,
            Level::Fail
        );
    }

    #[test]
    fn an_ntfy_token_out_of_form_is_named() {
        assert_eq!(
            run(ntfy, "access_token", "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2").level,
            Level::Ok
        );
        let f = run(ntfy, "access_token", "mypassword");
        assert!(f.level == Level::Fail && f.text.contains("tk_<29"));
        let none = ntfy(&Profile::new("p", "ntfy"), &Secrets::default());
        assert!(none[0].level == Level::Ok && none[0].text.contains("anonymous"));
    }

    #[test]
    fn a_missing_token_stops_the_check() {
        let f = telegram(&Profile::new("p", "telegram"), &Secrets::default());
        assert!(f[0].stops && f[0].text.contains("No bot token"));
    }
}
