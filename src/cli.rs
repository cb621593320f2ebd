//! The command line front end (CONTRACT.md). Argument handling and printing only: every action is a
//! call into the engine or the store.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::draft::Draft;
use crate::engine::{Engine, EngineEvent, MAX_CONCURRENCY, SendJob, SendReport, SendResult};
use crate::http::{self, Exchange, dump};
use crate::outcome::{Outcome, Verdict};
use crate::provider::{self, Call, FieldKind, Provider};
use crate::store::{Environment, HistoryStore, Paths, Profile, ProfileStore, SecretStore};

/// Prints a line to standard output; a closed pipe (`pushdeck … | head`) ends output quietly
/// instead of panicking like `println!`.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod webpush;

macro_rules! out_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser, Debug)]
#[command(
    name = "pushdeck",
    version,
    about = "Compose and send push notifications, and see exactly what went over the wire. With no command, opens the app."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Send a draft through its profile.
    Send {
        /// Draft file, or - for standard input.
        draft: String,
        /// Build and validate every request, send nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
        /// Web Push: afterwards, remove the subscriptions the push services called gone (404/410)
        /// from the draft file.
        #[arg(long)]
        prune_gone: bool,
    },
    /// Print the exact HTTP request(s) `send` would make, without any network.
    Preview {
        draft: String,
        #[command(flatten)]
        out: Output,
        /// One runnable curl command per request.
        #[arg(long)]
        curl: bool,
    },
    /// Test a profile's credentials with the provider's cheapest read-only call.
    Check {
        profile: String,
        #[command(flatten)]
        out: Output,
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Create, list or remove profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Store or delete a secret in the OS keyring.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Past sends with their (redacted) dumps.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Telegram bot helpers: the chats that wrote to the bot, its webhook, a deep link.
    #[command(subcommand)]
    Telegram(TelegramCommand),
    /// Courier follow-ups.
    #[command(subcommand)]
    Courier(CourierCommand),
    /// Web Push VAPID keys: generate, import, show.
    #[command(subcommand)]
    Vapid(webpush::VapidCommand),
    /// Web Push subscriptions in a draft: add from files, list, remove.
    #[command(subcommand)]
    Subscriptions(webpush::SubscriptionsCommand),
    /// Open the app with a draft in the composer.
    Open {
        /// Draft file, or - for standard input.
        draft: String,
    },
    /// The providers this build supports.
    Providers {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CourierCommand {
    /// Look a sent message up (GET /messages/{id}): its status and each channel's attempt.
    Delivery {
        profile: String,
        /// The requestId (single recipient) or message id a send printed.
        message_id: String,
        #[command(flatten)]
        out: Output,
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
}

#[derive(Args, Debug, Clone, Copy)]
pub struct Output {
    /// One JSON document on standard output.
    #[arg(long)]
    json: bool,
    /// Show secrets instead of masking them.
    #[arg(long)]
    reveal: bool,
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Create or update a profile's non-secret settings.
    Add {
        name: String,
        #[arg(long)]
        provider: String,
        /// Replace the provider's API root (plain http only to loopback).
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// dev, staging or prod: shown as a badge before sending.
        #[arg(long)]
        environment: Option<String>,
        /// Ask before broadcasts (true/false).
        #[arg(long)]
        confirm_broadcast: Option<bool>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile and its secrets.
    Remove { name: String },
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Read a secret from standard input (no echo on a terminal) and store it in the keyring.
    Set {
        profile: String,
        field: String,
    },
    Delete {
        profile: String,
        field: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TelegramCommand {
    /// List the chats in the bot's recent updates (getUpdates, read-only): id, type, name and the
    /// /start payload of a deep link.
    Chats {
        profile: String,
        #[command(flatten)]
        out: Output,
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Show the bot's webhook (getWebhookInfo); remove it (--delete --yes) or set one (--set URL).
    Webhook {
        profile: String,
        /// Remove the webhook: its URL stops receiving the bot's updates.
        #[arg(long, conflicts_with = "set")]
        delete: bool,
        /// Confirm --delete.
        #[arg(long)]
        yes: bool,
        /// Set the webhook to this https:// URL.
        #[arg(long, value_name = "URL")]
        set: Option<String>,
        #[command(flatten)]
        out: Output,
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Print a deep link https://t.me/<bot>?start=<token> with a new random token (or --token).
    Link {
        profile: String,
        /// Use this start token (1-64 of A-Z a-z 0-9 _ -) instead of a random one.
        #[arg(long)]
        token: Option<String>,
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
}

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    List {
        #[arg(long)]
        json: bool,
    },
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

/// A failure to report: one line on stderr and an exit status.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

type CliResult = Result<i32, Failure>;

/// Reads a draft for `pushdeck open`: the exit status on failure, after saying why.
pub fn read_draft_for_app(path: &str) -> Result<Draft, i32> {
    read_draft(path).map_err(|f| {
        eprintln!("pushdeck: {}", f.message);
        f.code
    })
}

/// Runs a CLI command and returns the process exit status.
pub fn run(command: Command) -> i32 {
    match execute(command) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("pushdeck: {}", failure.message);
            failure.code
        }
    }
}

struct Context {
    paths: Paths,
}

impl Context {
    fn new() -> Result<Self, Failure> {
        Ok(Self {
            paths: Paths::from_env().map_err(bad_input)?,
        })
    }

    fn profiles(&self) -> Result<ProfileStore, Failure> {
        let store =
            ProfileStore::open(self.paths.profiles_file()).map_err(|e| bad_input(e.to_string()))?;
        if let Some(w) = &store.warning {
            eprintln!("pushdeck: warning: {w}");
        }
        Ok(store)
    }

    fn profile(&self, name: &str) -> Result<(Profile, &'static dyn Provider), Failure> {
        let store = self.profiles()?;
        let profile = store.get(name).cloned().ok_or_else(|| {
            bad_input(format!("profile: unknown profile `{name}`; create it with `pushdeck profile add {name} --provider …` (see `pushdeck profile list`)"))
        })?;
        let provider = provider::find(&profile.provider).ok_or_else(|| {
            bad_input(format!(
                "profile `{name}`: provider `{}` is not supported by this build",
                profile.provider
            ))
        })?;
        Ok((profile, provider))
    }

    fn engine(&self) -> Result<Engine, Failure> {
        Engine::new(HistoryStore::new(self.paths.history_dir())).map_err(|e| Failure {
            code: 3,
            message: e.to_string(),
        })
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: 3,
            message: format!("could not start the async runtime: {e}"),
        })
}

fn read_draft(path: &str) -> Result<Draft, Failure> {
    let text = if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| bad_input(format!("draft: cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(PathBuf::from(path))
            .map_err(|e| bad_input(format!("draft: cannot read {path}: {e}")))?
    };
    Draft::from_json(&text).map_err(|e| bad_input(format!("draft: {e}")))
}

fn timeout(seconds: f64) -> Result<Duration, Failure> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(bad_input("--timeout: must be between 0 and 3600 seconds"))
    }
}

fn execute(command: Command) -> CliResult {
    let ctx = Context::new()?;
    match command {
        Command::Send {
            draft,
            dry_run,
            out,
            timeout: t,
            prune_gone,
        } => send(&ctx, &draft, dry_run, out, timeout(t)?, prune_gone),
        Command::Vapid(cmd) => webpush::vapid_command(&ctx, cmd),
        Command::Subscriptions(cmd) => webpush::subscriptions_command(cmd),
        Command::Preview { draft, out, curl } => preview(&ctx, &draft, out, curl),
        Command::Check {
            profile,
            out,
            timeout: t,
        } => check(&ctx, &profile, out, timeout(t)?),
        Command::Courier(CourierCommand::Delivery {
            profile,
            message_id,
            out,
            timeout: t,
        }) => courier_delivery(&ctx, &profile, &message_id, out, timeout(t)?),
        Command::Profile(cmd) => profile_command(&ctx, cmd),
        Command::Secret(cmd) => secret_command(&ctx, cmd),
        Command::History(cmd) => history_command(&ctx, cmd),
        Command::Telegram(cmd) => telegram_command(&ctx, cmd),
        Command::Providers { json } => providers(json),
        // `main` opens the window for this one; here it only checks the draft.
        Command::Open { draft } => read_draft(&draft).map(|_| 0),
    }
}

/// Resolves the draft's profile and secrets into a job. Bad input here means nothing is sent.
fn job(
    ctx: &Context,
    draft: std::sync::Arc<Draft>,
    dry_run: bool,
    timeout: Duration,
) -> Result<SendJob, Failure> {
    if draft.profile.trim().is_empty() {
        return Err(bad_input("draft: profile: is required"));
    }
    let (profile, provider) = ctx.profile(&draft.profile)?;
    let keyring = SecretStore::open_os_keyring();
    let secrets = keyring
        .load(&profile.name, provider.info().secret_keys())
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    Ok(SendJob {
        provider,
        draft,
        profile,
        secrets,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        dry_run,
        timeout,
        concurrency: MAX_CONCURRENCY,
    })
}

fn preview(ctx: &Context, path: &str, out: Output, curl: bool) -> CliResult {
    // Not a dry run: the preview shows what `send` makes (a server-side dry run such as Azure's
    // test mode would change the request).
    let job = job(
        ctx,
        std::sync::Arc::new(read_draft(path)?),
        false,
        crate::engine::DEFAULT_TIMEOUT,
    )?;
    let prepared = Engine::prepare(&job).map_err(|e| bad_input(e.to_string()))?;
    for w in &prepared.warnings {
        eprintln!("pushdeck: note: {w}");
    }
    let mut stdout = std::io::stdout().lock();
    if curl {
        for request in &prepared.requests {
            let _ = writeln!(stdout, "{}", http::to_curl(request, out.reveal));
        }
    } else if out.json {
        let results: Vec<Value> = prepared
            .requests
            .iter()
            .map(|r| {
                let shown = if out.reveal { r.clone() } else { r.redacted() };
                json!({
                    "recipient": shown.recipient,
                    "request": dump::request_json(&shown),
                    "response": Value::Null,
                    "outcome": {"ok": true, "verdict": "not_sent", "summary": "Preview: not sent"},
                })
            })
            .collect();
        let _ = writeln!(
            stdout,
            "{}",
            pretty(&json!({"results": results, "warnings": prepared.warnings}))
        );
    } else {
        for (i, request) in prepared.requests.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(stdout);
            }
            let shown = if out.reveal {
                request.clone()
            } else {
                request.redacted()
            };
            let _ = write!(stdout, "{}", dump::request_text(&shown));
        }
    }
    Ok(0)
}

fn send(
    ctx: &Context,
    path: &str,
    dry_run: bool,
    out: Output,
    timeout: Duration,
    prune_gone: bool,
) -> CliResult {
    let draft = read_draft(path)?;
    let draft = std::sync::Arc::new(draft);
    let job = job(ctx, draft.clone(), dry_run, timeout)?;
    // The engine validates before touching the network (`EngineEvent::Invalid` below): bad input
    // exits 2 with nothing sent, and a costly fan-out is built only once.
    let engine = ctx.engine()?;
    let rt = runtime()?;
    let total = std::sync::atomic::AtomicUsize::new(0);
    let invalid = std::sync::Mutex::new(None);
    let interactive = !out.json && std::io::stderr().is_terminal();
    let report = rt.block_on(engine.send(job, CancellationToken::new(), &|event| {
        if let EngineEvent::Invalid(e) = &event
            && let Ok(mut slot) = invalid.lock()
        {
            *slot = Some(e.to_string());
        }
        if let EngineEvent::Started { total: n, warnings } = &event {
            total.store(*n, std::sync::atomic::Ordering::Relaxed);
            for w in warnings {
                eprintln!("pushdeck: note: {w}");
            }
        }
        if interactive && let EngineEvent::Result(r) = &event {
            eprint!(
                "\r{} of {} done",
                r.index + 1,
                total.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
    }));
    if interactive {
        eprint!("\r");
    }
    if let Some(e) = invalid.into_inner().ok().flatten() {
        return Err(bad_input(e));
    }
    print_report(&report, out);
    if let Some(e) = &report.history_error {
        eprintln!("pushdeck: warning: {e}");
    }
    if prune_gone {
        let removed = webpush::prune_gone(path, &draft, &report)?;
        if removed > 0 {
            eprintln!("pushdeck: removed {removed} gone subscription(s) from {path}");
        }
    }
    Ok(report.exit_code())
}

fn outcome_json(outcome: &Outcome) -> Value {
    let mut v = json!({
        "ok": outcome.is_ok() || outcome.verdict == Verdict::NotSent,
        "verdict": outcome.verdict,
        "summary": outcome.summary,
    });
    if let Some(id) = &outcome.message_id {
        v["message_id"] = json!(id);
    }
    if let Some(h) = &outcome.hint {
        v["hint"] = json!(h);
    }
    if let Some(s) = outcome.retry_after {
        v["retry_after"] = json!(s);
    }
    if !outcome.items.is_empty() {
        v["items"] = json!(outcome.items);
    }
    if outcome.gone {
        v["gone"] = json!(true);
    }
    v
}

fn result_json(result: &SendResult, reveal: bool) -> Value {
    let exchange = if reveal {
        result.exchange.clone()
    } else {
        result.exchange.redacted()
    };
    json!({
        "recipient": exchange.request.recipient,
        "request": dump::request_json(&exchange.request),
        "response": exchange.response.as_ref().map(|r| dump::response_json(r, exchange.elapsed_ms)),
        "outcome": outcome_json(&result.outcome),
    })
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn status_line(exchange: &Exchange) -> String {
    match &exchange.response {
        Some(r) => format!(
            " ({} {} in {:.0} ms)",
            r.status, r.reason, exchange.elapsed_ms
        ),
        None => String::new(),
    }
}

fn print_report(report: &SendReport, out: Output) {
    if out.json {
        let results: Vec<Value> = report
            .results
            .iter()
            .map(|r| result_json(r, out.reveal))
            .collect();
        let mut doc = json!({"results": results});
        if !report.warnings.is_empty() {
            doc["warnings"] = json!(report.warnings);
        }
        if let Some(id) = &report.history_id {
            doc["history_id"] = json!(id);
        }
        out!("{}", pretty(&doc));
        return;
    }
    for r in &report.results {
        let mark = match r.outcome.verdict {
            Verdict::Accepted => "✓",
            Verdict::NotSent => "·",
            _ => "✗",
        };
        let who = r
            .exchange
            .request
            .redacted()
            .recipient
            .map(|w| format!("{w}: "))
            .unwrap_or_default();
        out!(
            "{mark} {who}{}{}",
            r.outcome.summary,
            status_line(&r.exchange)
        );
        if let Some(h) = &r.outcome.hint {
            out!("  → {h}");
        }
        // Per-recipient rows a provider reports (Azure's test-send outcome).
        for item in &r.outcome.items {
            out!("  · {}: {}", item.value, item.label);
        }
    }
    if report.results.len() > 1 {
        let ok = report.results.iter().filter(|r| r.outcome.is_ok()).count();
        out!("{ok} of {} accepted", report.results.len());
    }
    if let Some(id) = &report.history_id {
        out!("Saved to history as {id} (pushdeck history show {id})");
    }
}

fn check(ctx: &Context, name: &str, out: Output, timeout: Duration) -> CliResult {
    let (profile, provider) = ctx.profile(name)?;
    let keyring = SecretStore::open_os_keyring();
    let secrets = keyring
        .load(&profile.name, provider.info().secret_keys())
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    let engine = ctx.engine()?;
    let rt = runtime()?;
    // Missing settings or secrets are bad input, found before any network.
    let result = rt
        .block_on(engine.call(provider, &profile, &secrets, Call::Check, timeout))
        .map_err(|e| bad_input(e.to_string()))?;
    if out.json {
        out!(
            "{}",
            pretty(&json!({"results": [result_json(&result, out.reveal)]}))
        );
    } else {
        let mark = if result.outcome.is_ok() { "✓" } else { "✗" };
        out!(
            "{mark} {}: {}{}",
            profile.name,
            result.outcome.summary,
            status_line(&result.exchange)
        );
        if let Some(h) = &result.outcome.hint {
            out!("  → {h}");
        }
    }
    Ok(SendReport {
        results: vec![result],
        ..Default::default()
    }
    .exit_code())
}

fn parse_settings(
    provider: &dyn Provider,
    pairs: &[String],
) -> Result<Vec<(String, String)>, Failure> {
    let known: Vec<&str> = provider.info().settings.iter().map(|f| f.key).collect();
    pairs
        .iter()
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad_input(format!("--set {pair}: expected KEY=VALUE")))?;
            let k = k.trim();
            if provider.info().secrets.iter().any(|f| f.key == k) {
                return Err(bad_input(format!("--set {k}: this is a secret; store it with `pushdeck secret set PROFILE {k}` so it stays out of files and shell history")));
            }
            if !known.contains(&k) {
                return Err(bad_input(format!("--set {k}: unknown setting for {}; expected one of: {}", provider.info().id, known.join(", "))));
            }
            Ok((k.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn courier_delivery(
    ctx: &Context,
    name: &str,
    message_id: &str,
    out: Output,
    timeout: Duration,
) -> CliResult {
    let (profile, provider) = ctx.profile(name)?;
    if provider.info().id != "courier" {
        return Err(bad_input(format!(
            "profile `{name}` is a {} profile; `courier delivery` needs a Courier profile",
            provider.info().name
        )));
    }
    let keyring = SecretStore::open_os_keyring();
    let secrets = keyring
        .load(&profile.name, provider.info().secret_keys())
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    let call = Call::action(
        crate::provider::courier::DELIVERY,
        json!({ "message_id": message_id }),
    );
    let engine = ctx.engine()?;
    let result = runtime()?
        .block_on(engine.call(provider, &profile, &secrets, call, timeout))
        .map_err(|e| bad_input(e.to_string()))?;
    if out.json {
        let mut row = result_json(&result, out.reveal);
        row["outcome"]["channels"] = json!(
            result
                .outcome
                .items
                .iter()
                .map(|i| i.label.clone())
                .collect::<Vec<_>>()
        );
        out!("{}", pretty(&json!({ "results": [row] })));
    } else {
        let mark = if result.outcome.is_ok() { "✓" } else { "✗" };
        out!(
            "{mark} {}{}",
            result.outcome.summary,
            status_line(&result.exchange)
        );
        for item in &result.outcome.items {
            out!("  {}", item.label);
        }
        if let Some(h) = &result.outcome.hint {
            out!("  → {h}");
        }
    }
    Ok(SendReport {
        results: vec![result],
        ..Default::default()
    }
    .exit_code())
}

fn profile_command(ctx: &Context, cmd: ProfileCommand) -> CliResult {
    let mut store = ctx.profiles()?;
    match cmd {
        ProfileCommand::Add {
            name,
            provider: id,
            base_url,
            set,
            environment,
            confirm_broadcast,
        } => {
            let provider = provider::find(&id).ok_or_else(|| {
                let ids: Vec<&str> = provider::all().iter().map(|p| p.info().id).collect();
                bad_input(format!(
                    "--provider: unknown provider `{id}`; this build supports: {}",
                    ids.join(", ")
                ))
            })?;
            let mut profile = store
                .get(&name)
                .cloned()
                .unwrap_or_else(|| Profile::new(&name, &id));
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
                    Some(
                        http::check_base_url(&url)
                            .map_err(|e| bad_input(format!("--base-url: {e}")))?,
                    )
                };
            }
            for (k, v) in parse_settings(provider, &set)? {
                if v.is_empty() {
                    profile.settings.remove(&k);
                } else {
                    profile.settings.insert(k, v);
                }
            }
            // APNs: the sandbox/production setting is also the profile's badge, unless given.
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
            if let Some(c) = confirm_broadcast {
                profile.confirm_broadcast = c;
            }
            store
                .upsert(profile)
                .map_err(|e| bad_input(e.to_string()))?;
            out!("Saved profile {name} ({}).", provider.info().name);
            let missing: Vec<&str> = provider
                .info()
                .secrets
                .iter()
                .filter(|f| f.required)
                .map(|f| f.key)
                .collect();
            for field in missing {
                out!("Store its {field} with: pushdeck secret set {name} {field}");
            }
            Ok(0)
        }
        ProfileCommand::List { json } => {
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
            Ok(0)
        }
        ProfileCommand::Remove { name } => {
            let Some(profile) = store.get(&name).cloned() else {
                return Err(bad_input(format!("profile: unknown profile `{name}`")));
            };
            let mut failures = Vec::new();
            if let Some(provider) = provider::find(&profile.provider) {
                let keyring = SecretStore::open_os_keyring();
                for field in provider.info().secrets {
                    if let Err(e) = keyring.delete(&name, field.key) {
                        failures.push(format!("{}: {e}", field.key));
                    }
                }
            }
            store.remove(&name).map_err(|e| bad_input(e.to_string()))?;
            out!("Removed profile {name}.");
            if !failures.is_empty() {
                eprintln!(
                    "pushdeck: warning: some secrets could not be deleted from the keyring: {}",
                    failures.join("; ")
                );
                return Ok(1);
            }
            Ok(0)
        }
    }
}

fn read_secret_from_stdin(prompt: &str) -> Result<String, Failure> {
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| bad_input(format!("cannot read the secret: {e}")))?
    } else {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| bad_input(format!("cannot read standard input: {e}")))?;
        s
    };
    let value = value.trim_end_matches(['\r', '\n']).to_string();
    if value.trim().is_empty() {
        return Err(bad_input("the secret is empty; nothing was stored"));
    }
    Ok(value)
}

/// The OS keyring, or bad input when none answers: a secret kept only in this process's memory
/// would be lost at exit. `advice` follows "Nothing was stored".
fn persistent_keyring(advice: &str) -> Result<SecretStore, Failure> {
    let keyring = SecretStore::open_os_keyring();
    match &keyring.status {
        crate::store::KeyringStatus::SessionOnly(reason) => Err(bad_input(format!(
            "no keyring: {reason}. Nothing was stored{advice}"
        ))),
        crate::store::KeyringStatus::Available => Ok(keyring),
    }
}

fn secret_command(ctx: &Context, cmd: SecretCommand) -> CliResult {
    let (profile_name, field) = match &cmd {
        SecretCommand::Set { profile, field } | SecretCommand::Delete { profile, field } => {
            (profile.clone(), field.clone())
        }
    };
    let (profile, provider) = ctx.profile(&profile_name)?;
    if !provider.info().secrets.iter().any(|f| f.key == field) {
        let known: Vec<&str> = provider.info().secrets.iter().map(|f| f.key).collect();
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
            provider
                .validate_secret(&field, &value)
                .map_err(|e| bad_input(format!("{field}: {e}; nothing was stored")))?;
            keyring
                .set(&profile.name, &field, &value)
                .map_err(|e| bad_input(format!("keyring: {e}")))?;
            out!("Stored {field} for {} in the keyring.", profile.name);
            Ok(0)
        }
        SecretCommand::Delete { .. } => {
            let deleted = keyring
                .delete(&profile.name, &field)
                .map_err(|e| bad_input(format!("keyring: {e}")))?;
            out!(
                "{}",
                if deleted {
                    format!("Deleted {field} of {}.", profile.name)
                } else {
                    format!("No {field} was stored for {}.", profile.name)
                }
            );
            Ok(0)
        }
    }
}

fn history_command(ctx: &Context, cmd: HistoryCommand) -> CliResult {
    let history = HistoryStore::new(ctx.paths.history_dir());
    match cmd {
        HistoryCommand::List { json } => {
            let list = history.list();
            if json {
                out!("{}", pretty(&json!({"history": list})));
            } else if list.is_empty() {
                out!("No sends yet.");
            } else {
                for s in list {
                    out!(
                        "{}  {}  {:<12} {:<16} {}",
                        s.id,
                        if s.ok { "✓" } else { "✗" },
                        s.provider,
                        s.profile,
                        s.summary
                    );
                }
            }
            Ok(0)
        }
        HistoryCommand::Show { id, json } => {
            let entry = history
                .get(&id)
                .map_err(|e| bad_input(e.to_string()))?
                .ok_or_else(|| {
                    bad_input(format!(
                        "history: no entry `{id}` (see `pushdeck history list`)"
                    ))
                })?;
            if json {
                let results: Vec<Value> = entry
                    .results
                    .iter()
                    .map(|r| json!({
                        "recipient": r.exchange.request.recipient,
                        "request": dump::request_json(&r.exchange.request),
                        "response": r.exchange.response.as_ref().map(|resp| dump::response_json(resp, r.exchange.elapsed_ms)),
                        "outcome": outcome_json(&r.outcome),
                    }))
                    .collect();
                out!(
                    "{}",
                    pretty(
                        &json!({"id": entry.id, "at": entry.at, "provider": entry.provider, "profile": entry.profile, "audience": entry.audience, "draft": entry.draft, "results": results})
                    )
                );
            } else {
                out!(
                    "{} · {} · profile {} · to {}",
                    entry.at,
                    entry.provider,
                    entry.profile,
                    entry.audience
                );
                for r in &entry.results {
                    out!("\n== {}", r.outcome.summary);
                    out_raw!("{}", dump::exchange_text(&r.exchange));
                }
            }
            Ok(0)
        }
    }
}

fn kind_name(kind: FieldKind) -> String {
    match kind {
        FieldKind::Choice(options) => options.join("|"),
        FieldKind::Text => "text".into(),
        FieldKind::List => "list".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Bool => "bool".into(),
        FieldKind::Json => "json".into(),
        FieldKind::JsonList => "json list".into(),
    }
}

fn providers(as_json: bool) -> CliResult {
    if as_json {
        let list: Vec<Value> = provider::all()
            .iter()
            .map(|p| {
                let i = p.info();
                let fields = |fs: &[provider::FieldSpec]| -> Vec<Value> {
                    fs.iter().map(|f| json!({"key": f.key, "label": f.label, "hint": f.hint, "kind": kind_name(f.kind), "required": f.required})).collect()
                };
                json!({"id": i.id, "name": i.name, "default_base_url": i.default_base_url, "settings": fields(i.settings), "secrets": fields(i.secrets), "audience": fields(i.audience), "options": fields(i.options)})
            })
            .collect();
        out!("{}", pretty(&json!({"providers": list})));
        return Ok(0);
    }
    for p in provider::all() {
        let i = p.info();
        let keys =
            |fs: &[provider::FieldSpec]| fs.iter().map(|f| f.key).collect::<Vec<_>>().join(", ");
        out!("{} ({})", i.id, i.name);
        out!("  settings: {}", keys(i.settings));
        out!("  secrets:  {}", keys(i.secrets));
        out!("  audience: {}", keys(i.audience));
        out!(
            "  options:  {}, {}",
            crate::draft::COMMON_OPTIONS.join(", "),
            keys(i.options)
        );
        out!("  API root: {}", i.default_base_url);
    }
    Ok(0)
}

/// One Bot API call for `pushdeck telegram …`, sent and recorded like any exchange (token masked).
fn telegram_call(
    ctx: &Context,
    name: &str,
    method: &str,
    body: Option<Value>,
    timeout: Duration,
) -> Result<std::sync::Arc<SendResult>, Failure> {
    let (profile, provider) = ctx.profile(name)?;
    if provider.info().id != "telegram" {
        return Err(bad_input(format!(
            "profile: `{name}` is a {} profile, not a Telegram one",
            provider.info().name
        )));
    }
    let keyring = SecretStore::open_os_keyring();
    let secrets = keyring
        .load(&profile.name, provider.info().secret_keys())
        .map_err(|e| bad_input(format!("keyring: {e}")))?;
    let engine = ctx.engine()?;
    let call = Call::action(method, body.unwrap_or(Value::Null));
    runtime()?
        .block_on(engine.call(provider, &profile, &secrets, call, timeout))
        .map_err(|e| bad_input(e.to_string()))
}

fn print_failure(result: &std::sync::Arc<SendResult>, out: Output) -> i32 {
    if out.json {
        out!(
            "{}",
            pretty(&json!({"results": [result_json(result, out.reveal)]}))
        );
    } else {
        out!(
            "✗ {}{}",
            result.outcome.summary,
            status_line(&result.exchange)
        );
        if let Some(h) = &result.outcome.hint {
            out!("  → {h}");
        }
    }
    SendReport {
        results: vec![result.clone()],
        ..Default::default()
    }
    .exit_code()
}

fn telegram_command(ctx: &Context, cmd: TelegramCommand) -> CliResult {
    use crate::provider::telegram;
    match cmd {
        TelegramCommand::Chats {
            profile,
            out,
            timeout: t,
        } => {
            let result = telegram_call(ctx, &profile, "getUpdates", None, timeout(t)?)?;
            let updates = match telegram::reply(&result.exchange) {
                Ok(v) => v,
                Err(_) => return Ok(print_failure(&result, out)),
            };
            let chats = telegram::discover_chats(&updates);
            if out.json {
                let list: Vec<Value> = chats
                    .iter()
                    .map(|c| json!({"id": c.id, "type": c.kind, "name": c.name, "start_payload": c.start_payload}))
                    .collect();
                out!(
                    "{}",
                    pretty(&json!({"results": [result_json(&result, out.reveal)], "chats": list}))
                );
            } else if chats.is_empty() {
                out!(
                    "No chats in the bot's recent updates: ask people to press Start (or add the bot to the group or channel), then look again."
                );
            } else {
                for c in &chats {
                    let start = c
                        .start_payload
                        .as_ref()
                        .map(|p| format!("  start={p}"))
                        .unwrap_or_default();
                    out!("{}\t{}\t{}{start}", c.id, c.kind, c.name);
                }
            }
            Ok(0)
        }
        TelegramCommand::Webhook {
            profile,
            delete,
            yes,
            set,
            out,
            timeout: t,
        } => {
            let t = timeout(t)?;
            if delete && !yes {
                return Err(bad_input(format!(
                    "--delete: {} Add --yes to remove it.",
                    telegram::DELETE_WEBHOOK_WARNING
                )));
            }
            let change = if delete {
                Some(("deleteWebhook", json!({"drop_pending_updates": false})))
            } else if let Some(url) = &set {
                let url = telegram::check_webhook_url(url)
                    .map_err(|e| bad_input(format!("--set: {}", e.message)))?;
                Some(("setWebhook", json!({"url": url})))
            } else {
                None
            };
            if let Some((method, body)) = change {
                let result = telegram_call(ctx, &profile, method, Some(body), t)?;
                if telegram::reply(&result.exchange).is_err() {
                    return Ok(print_failure(&result, out));
                }
                if !out.json {
                    let said = result
                        .exchange
                        .response
                        .as_ref()
                        .and_then(|r| r.json())
                        .and_then(|b| {
                            b.get("description")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .unwrap_or_else(|| "Done".into());
                    out!("✓ {said}");
                }
            }
            let result = telegram_call(ctx, &profile, "getWebhookInfo", None, t)?;
            let info = match telegram::reply(&result.exchange) {
                Ok(v) => v,
                Err(_) => return Ok(print_failure(&result, out)),
            };
            if out.json {
                out!(
                    "{}",
                    pretty(
                        &json!({"results": [result_json(&result, out.reveal)], "webhook": info})
                    )
                );
            } else {
                for line in telegram::webhook_summary(&info) {
                    out!("{line}");
                }
            }
            Ok(0)
        }
        TelegramCommand::Link {
            profile,
            token,
            timeout: t,
        } => {
            let token = match token {
                Some(tok) => {
                    let ok = (1..=64).contains(&tok.len())
                        && tok
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !ok {
                        return Err(bad_input(
                            "--token: must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                        ));
                    }
                    tok
                }
                None => telegram::start_token(*uuid::Uuid::new_v4().as_bytes()),
            };
            let result = telegram_call(ctx, &profile, "getMe", None, timeout(t)?)?;
            let me = match telegram::reply(&result.exchange) {
                Ok(v) => v,
                Err(_) => {
                    return Ok(print_failure(
                        &result,
                        Output {
                            json: false,
                            reveal: false,
                        },
                    ));
                }
            };
            let Some((_, username)) = telegram::bot_identity(&me) else {
                return Err(Failure {
                    code: 1,
                    message: "getMe did not name the bot; check the base URL".into(),
                });
            };
            out!("{}", telegram::deep_link(&username, &token));
            eprintln!(
                "pushdeck: note: whoever opens it starts the bot with `/start {token}`; `pushdeck telegram chats {profile}` then shows their chat with start={token}"
            );
            Ok(0)
        }
    }
}
