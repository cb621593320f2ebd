//! `pushdeck profile …` and `pushdeck secret …`: profiles' settings in their file, their secrets in
//! the keyring.

use serde_json::{Value, json};

use super::args::{ProfileCommand, SecretCommand};
use super::context::{
    CliResult, Context, Failure, bad_input, persistent_keyring, read_secret_from_stdin,
};
use super::exit::Exit;
use super::print::pretty;
use crate::http;
use crate::profile::{self, Environment, Profile};
use crate::provider::{self, Provider};
use crate::store::{ProfileStore, SecretStore};

pub fn profile_command(ctx: &Context, cmd: ProfileCommand) -> CliResult {
    let mut store = ctx.profiles()?;
    match cmd {
        ProfileCommand::Add {
            name,
            provider,
            base_url,
            set,
            environment,
            confirm_broadcast,
        } => add(
            &mut store,
            &name,
            &provider,
            base_url,
            &set,
            environment,
            confirm_broadcast,
        ),
        ProfileCommand::List { json } => list(&store, json),
        ProfileCommand::Remove { name } => remove(&mut store, &name),
    }
}

fn add(
    store: &mut ProfileStore,
    name: &str,
    id: &str,
    base_url: Option<String>,
    set: &[String],
    environment: Option<String>,
    confirm_broadcast: Option<bool>,
) -> CliResult {
    let provider = provider::find(id).ok_or_else(|| {
        let ids: Vec<&str> = provider::all().iter().map(|p| p.info().id).collect();
        bad_input(format!(
            "--provider: unknown provider `{id}`; this build supports: {}",
            ids.join(", ")
        ))
    })?;
    let mut profile = store
        .get(name)
        .cloned()
        .unwrap_or_else(|| Profile::new(name, id));
    if profile.provider != id {
        return Err(bad_input(format!(
            "profile `{name}` already exists for {}; remove it first or pick another name",
            profile.provider
        )));
    }
    if let Some(url) = base_url {
        profile.base_url = if url.trim().is_empty() {
            None
        } else {
            Some(http::check_base_url(&url).map_err(|e| bad_input(format!("--base-url: {e}")))?)
        };
    }
    for (k, v) in parse_settings(provider, set)? {
        if v.is_empty() {
            profile.settings.remove(&k);
        } else {
            profile.settings.insert(k, v);
        }
    }
    set_environment(&mut profile, id, environment)?;
    if let Some(c) = confirm_broadcast {
        profile.confirm_broadcast = c;
    }
    store
        .upsert(profile)
        .map_err(|e| bad_input(e.to_string()))?;
    out!("Saved profile {name} ({}).", provider.info().name);
    let missing = provider.info().secrets.iter().filter(|f| f.required);
    for field in missing.map(|f| f.key) {
        out!("Store its {field} with: pushdeck secret set {name} {field}");
    }
    Ok(Exit::Success)
}

/// The profile's badge: `--environment`, or for APNs its sandbox/production setting.
fn set_environment(
    profile: &mut Profile,
    id: &str,
    environment: Option<String>,
) -> Result<(), Failure> {
    if id == "apns" && environment.is_none() {
        match profile.setting("environment") {
            Some("production") => profile.environment = Environment::Prod,
            Some("sandbox") => profile.environment = Environment::Dev,
            Some(other) => {
                return Err(bad_input(format!(
                    "--set environment: `{other}` is not sandbox or production"
                )));
            }
            None => {}
        }
    }
    if let Some(env) = environment {
        profile.environment = Environment::parse(&env).ok_or_else(|| {
            bad_input(format!(
                "--environment: `{env}` is not dev, staging or prod"
            ))
        })?;
    }
    Ok(())
}

fn parse_settings(
    provider: &dyn Provider,
    pairs: &[String],
) -> Result<Vec<(String, String)>, Failure> {
    let known: Vec<&str> = provider
        .info()
        .settings
        .iter()
        .map(|f| f.key)
        .chain(profile::NETWORK_SETTINGS)
        .collect();
    pairs
        .iter()
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad_input(format!("--set {pair}: expected KEY=VALUE")))?;
            let k = k.trim();
            if provider.info().secret_keys().any(|f| f == k) {
                return Err(bad_input(format!("--set {k}: this is a secret; store it with `pushdeck secret set PROFILE {k}` so it stays out of files and shell history")));
            }
            if !known.contains(&k) {
                return Err(bad_input(format!("--set {k}: unknown setting for {}; expected one of: {}", provider.info().id, known.join(", "))));
            }
            if let Some(Err(e)) = Profile::check_network_setting(k, v) {
                return Err(bad_input(format!("--set {k}: {e}")));
            }
            Ok((k.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn list(store: &ProfileStore, json: bool) -> CliResult {
    let profiles: Vec<&Profile> = store.list().collect();
    if json {
        let list: Vec<Value> = profiles
            .iter()
            .map(|p| json!({"name": p.name, "provider": p.provider, "base_url": p.base_url, "settings": p.settings, "environment": p.environment, "confirm_broadcast": p.confirm_broadcast}))
            .collect();
        out!("{}", pretty(&json!({"profiles": list})));
    } else if profiles.is_empty() {
        out!("No profiles yet. Create one with: pushdeck profile add NAME --provider ID");
    } else {
        for p in profiles {
            let settings: Vec<String> =
                p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out!(
                "{:<20} {:<11} {:<8} {}{}",
                p.name,
                p.provider,
                p.environment.label(),
                settings.join(" "),
                p.base_url
                    .as_deref()
                    .map(|u| format!(" base_url={u}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(Exit::Success)
}

fn remove(store: &mut ProfileStore, name: &str) -> CliResult {
    let Some(profile) = store.get(name).cloned() else {
        return Err(bad_input(format!("profile: unknown profile `{name}`")));
    };
    let mut failures = Vec::new();
    if let Some(provider) = provider::find(&profile.provider) {
        let keyring = SecretStore::open_os_keyring();
        for field in provider.info().secret_keys() {
            if let Err(e) = keyring.delete(name, field) {
                failures.push(format!("{field}: {e}"));
            }
        }
    }
    store.remove(name).map_err(|e| bad_input(e.to_string()))?;
    out!("Removed profile {name}.");
    if !failures.is_empty() {
        eprintln!(
            "pushdeck: warning: some secrets could not be deleted from the keyring: {}",
            failures.join("; ")
        );
        return Ok(Exit::Refused);
    }
    Ok(Exit::Success)
}

pub fn secret_command(ctx: &Context, cmd: SecretCommand) -> CliResult {
    let (profile_name, field) = match &cmd {
        SecretCommand::Set { profile, field } | SecretCommand::Delete { profile, field } => {
            (profile.clone(), field.clone())
        }
    };
    let (profile, provider) = ctx.profile(&profile_name)?;
    if !provider.info().secret_keys().any(|f| f == field) {
        let known: Vec<&str> = provider.info().secret_keys().collect();
        return Err(bad_input(format!(
            "{field}: not a secret field of {}; expected one of: {}",
            provider.info().id,
            known.join(", ")
        )));
    }
    let keyring = persistent_keyring(&format!(
        ". For scripts, set PUSHDECK_{} in the environment instead.",
        field.to_ascii_uppercase()
    ))?;
    match cmd {
        SecretCommand::Set { .. } => {
            let value = read_secret_from_stdin(&format!("{} for {}: ", field, profile.name))?;
            let network = profile::NETWORK_SECRETS.contains(&field.as_str());
            if !network {
                provider.validate_secret(&field, &value)
            } else {
                Ok(())
            }
            .map_err(|e| bad_input(format!("{field}: {e}; nothing was stored")))?;
            keyring
                .set(&profile.name, &field, &value)
                .map_err(|e| bad_input(format!("keyring: {e}")))?;
            out!("Stored {field} for {} in the keyring.", profile.name);
        }
        SecretCommand::Delete { .. } => {
            let deleted = keyring
                .delete(&profile.name, &field)
                .map_err(|e| bad_input(format!("keyring: {e}")))?;
            if deleted {
                out!("Deleted {field} of {}.", profile.name);
            } else {
                out!("No {field} was stored for {}.", profile.name);
            }
        }
    }
    Ok(Exit::Success)
}
