//! `pushdeck vapid …` and `pushdeck subscriptions …`: the Web Push helpers of the command line.

use serde_json::{Value, json};

use super::args::{SubscriptionsCommand, VapidCommand};
use super::context::{
    CliResult, Context, Failure, bad_input, persistent_keyring, read_draft, read_secret_from_stdin,
};
use super::exit::Exit;
use super::print::pretty;
use crate::draft::Draft;
use crate::profile::Profile;
use crate::provider::webpush::subscription::{Subscription, parse_many};
use crate::provider::webpush::vapid::VapidKey;
use crate::provider::webpush::{self, SERVICE_WORKER_SNIPPET};

fn webpush_profile(ctx: &Context, name: &str) -> Result<Profile, Failure> {
    let (profile, provider) = ctx.profile(name)?;
    if provider.info().id != "webpush" {
        return Err(bad_input(format!(
            "profile `{name}` is a {} profile; VAPID keys belong to webpush profiles",
            provider.info().name
        )));
    }
    Ok(profile)
}

fn store_key(ctx: &Context, name: &str, key: &VapidKey, force: bool) -> CliResult {
    let mut profile = webpush_profile(ctx, name)?;
    let keyring = persistent_keyring(
        "; a key kept nowhere would be lost. For scripts, set PUSHDECK_VAPID_PRIVATE_KEY and the profile's vapid_public_key instead",
    )?;
    let existing = keyring
        .get(&profile.name, "vapid_private_key")
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    if existing.is_some() && !force {
        return Err(bad_input(format!(
            "profile `{name}` already has a VAPID key; replacing it breaks every subscription made with it. Add --force to replace it"
        )));
    }
    let private = key.private_key_b64().map_err(bad_input)?;
    keyring
        .set(&profile.name, "vapid_private_key", &private)
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    profile
        .settings
        .insert("vapid_public_key".into(), key.public_key_b64());
    let mut store = ctx.profiles()?;
    store
        .upsert(profile)
        .map_err(|e| bad_input(format!("profiles: {e}")))?;
    eprintln!(
        "pushdeck: the private key is in the keyring; the public key below is the applicationServerKey your page subscribes with"
    );
    out!("{}", key.public_key_b64());
    Ok(Exit::Success)
}

pub fn vapid_command(ctx: &Context, cmd: VapidCommand) -> CliResult {
    match cmd {
        VapidCommand::Generate { profile, force } => {
            let key = VapidKey::generate().map_err(bad_input)?;
            store_key(ctx, &profile, &key, force)
        }
        VapidCommand::Import { profile, force } => {
            let text = read_secret_from_stdin("VAPID private key: ")?;
            let key = VapidKey::import(&text)
                .map_err(|e| bad_input(format!("vapid_private_key: {e}; nothing was stored")))?;
            store_key(ctx, &profile, &key, force)
        }
        VapidCommand::Export { profile, pem, yes } => export(ctx, &profile, pem, yes),
        VapidCommand::Show { profile, snippet } => {
            let profile = webpush_profile(ctx, &profile)?;
            if snippet {
                out!("{SERVICE_WORKER_SNIPPET}");
                return Ok(Exit::Success);
            }
            match profile.setting("vapid_public_key") {
                Some(public) => {
                    out!("{public}");
                    Ok(Exit::Success)
                }
                None => Err(bad_input(format!(
                    "profile `{}` has no VAPID public key; run `pushdeck vapid generate {}`",
                    profile.name, profile.name
                ))),
            }
        }
    }
}

/// `vapid export`: the private key on standard output, after a yes on a terminal or `--yes`.
fn export(ctx: &Context, name: &str, pem: bool, yes: bool) -> CliResult {
    webpush_profile(ctx, name)?;
    let loaded = ctx.load(name)?;
    let text = loaded.secrets.get("vapid_private_key").ok_or_else(|| {
        bad_input(format!(
            "profile `{name}` has no VAPID private key in the keyring or PUSHDECK_VAPID_PRIVATE_KEY; run `pushdeck vapid generate {name}` or `vapid import {name}`"
        ))
    })?;
    let key = VapidKey::import(text).map_err(|e| bad_input(format!("vapid_private_key: {e}")))?;
    if !yes && !confirm_export(name)? {
        eprintln!("pushdeck: nothing was printed");
        return Ok(Exit::BadInput);
    }
    if pem {
        out!("{}", key.private_key_pem().trim_end());
    } else {
        out!("{}", key.private_key_b64().map_err(bad_input)?);
    }
    Ok(Exit::Success)
}

/// Asks on the terminal; without one there is nobody to ask, so it refuses.
fn confirm_export(name: &str) -> Result<bool, Failure> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(bad_input(
            "vapid export prints the private key, and there is no terminal to confirm on; add --yes to print it",
        ));
    }
    eprint!(
        "Print the VAPID private key of `{name}`? Anyone who has it can send pushes as this site. [y/N] "
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| bad_input(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}

fn write_draft(path: &str, draft: &Draft) -> Result<(), Failure> {
    if path == "-" {
        return Err(bad_input(
            "draft: give a file path; standard input cannot be updated",
        ));
    }
    crate::store::write_atomic(
        std::path::Path::new(path),
        draft.to_json_pretty().as_bytes(),
    )
    .map_err(|e| bad_input(format!("draft: cannot write {path}: {e}")))
}

/// A relative `audience.subscriptions_file` is taken from the draft file's folder, and kept
/// absolute from then on (history and `pushdeck resume` read it from anywhere).
pub fn resolve_file(draft: &mut Draft, draft_path: &str) {
    let Some(Value::String(file)) = draft.audience.get(webpush::FILE_FIELD) else {
        return;
    };
    let file = std::path::Path::new(file.trim());
    if file.is_absolute() || draft_path == "-" {
        return;
    }
    let folder = std::path::Path::new(draft_path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let joined = std::path::absolute(folder.join(file)).unwrap_or_else(|_| folder.join(file));
    draft.audience.insert(
        webpush::FILE_FIELD.into(),
        Value::String(joined.display().to_string()),
    );
}

fn current(draft: &Draft) -> Result<Vec<Subscription>, Failure> {
    match draft.audience.get("subscriptions") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.is_empty() => Ok(Vec::new()),
        Some(_) => webpush::subscriptions(draft).map_err(|e| bad_input(format!("draft: {e}"))),
    }
}

fn set(draft: &mut Draft, subs: &[Subscription]) {
    draft.audience.insert(
        "subscriptions".into(),
        Value::Array(subs.iter().map(Subscription::to_value).collect()),
    );
}

pub fn subscriptions_command(cmd: SubscriptionsCommand) -> CliResult {
    match cmd {
        SubscriptionsCommand::Add {
            draft,
            files,
            label,
        } => add(&draft, &files, label.as_ref()),
        SubscriptionsCommand::List { draft, json } => list(&draft, json),
        SubscriptionsCommand::Remove { draft, which } => remove(&draft, &which),
    }
}

fn add(path: &str, files: &[String], label: Option<&String>) -> CliResult {
    let mut draft = read_draft(path)?;
    let mut subs = current(&draft)?;
    let before = subs.len();
    let mut rejected = 0;
    for file in files {
        let (name, text) = read_subscriptions(file)?;
        let (found, bad) = parse_many(&text);
        for r in &bad {
            eprintln!("pushdeck: {name}: {}: {} (left out)", r.place, r.reason);
        }
        rejected += bad.len();
        for mut s in found {
            if s.label.is_none() {
                s.label = label.cloned();
            }
            if !subs.iter().any(|o| o.endpoint == s.endpoint) {
                subs.push(s);
            }
        }
    }
    let added = subs.len() - before;
    set(&mut draft, &subs);
    write_draft(path, &draft)?;
    out!(
        "Added {added} subscription{} ({} in all){}",
        if added == 1 { "" } else { "s" },
        subs.len(),
        if rejected > 0 {
            format!("; {rejected} left out, see above")
        } else {
            String::new()
        }
    );
    Ok(if rejected > 0 {
        Exit::BadInput
    } else {
        Exit::Success
    })
}

/// The text of one FILE argument, `-` being standard input (e.g. values piped from `redis-cli`),
/// and the name to give it in messages.
fn read_subscriptions(file: &str) -> Result<(String, String), Failure> {
    if file == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|e| bad_input(format!("standard input: cannot read: {e}")))?;
        return Ok(("standard input".into(), text));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| bad_input(format!("{file}: cannot read: {e}")))?;
    Ok((file.to_string(), text))
}

fn list(path: &str, json: bool) -> CliResult {
    let subs = current(&read_draft(path)?)?;
    if json {
        let list: Vec<Value> = subs.iter().map(Subscription::to_value).collect();
        out!("{}", pretty(&json!({"subscriptions": list})));
    } else if subs.is_empty() {
        out!("No subscriptions.");
    } else {
        for s in &subs {
            out!("{:<28} {}", s.display_name(), s.endpoint);
        }
    }
    Ok(Exit::Success)
}

fn remove(path: &str, which: &[String]) -> CliResult {
    let mut draft = read_draft(path)?;
    let mut subs = current(&draft)?;
    let before = subs.len();
    subs.retain(|s| {
        !which
            .iter()
            .any(|w| *w == s.endpoint || s.label.as_deref() == Some(w.as_str()))
    });
    let removed = before - subs.len();
    if removed == 0 {
        return Err(bad_input("no subscription has that label or endpoint"));
    }
    set(&mut draft, &subs);
    write_draft(path, &draft)?;
    out!("Removed {removed} ({} left)", subs.len());
    Ok(Exit::Success)
}

/// After a send with `--prune-gone`: removes the subscriptions the push services called gone
/// (404/410) from the draft file. Results are in subscription order (Web Push has no token row).
pub fn prune_gone(
    path: &str,
    draft: &Draft,
    report: &crate::engine::SendReport,
) -> Result<usize, Failure> {
    let gone: std::collections::HashSet<usize> = report
        .results
        .iter()
        .filter(|r| r.outcome.gone)
        .map(|r| r.index)
        .collect();
    if gone.is_empty() {
        return Ok(0);
    }
    // Subscriptions kept in their own file: that file is rewritten (as a stream, temp+rename).
    if let Some(Value::String(file)) = draft.audience.get(webpush::FILE_FIELD) {
        let file = std::path::Path::new(file.trim());
        return crate::engine::Engine::prune_audience_file(file, report).map_err(bad_input);
    }
    let subs = current(draft)?;
    let kept: Vec<Subscription> = subs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(|(_, s)| s)
        .collect();
    let mut updated = draft.clone();
    set(&mut updated, &kept);
    write_draft(path, &updated)?;
    Ok(gone.len())
}
