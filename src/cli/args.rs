//! Every argument of the command line (CONTRACT.md): the doc comments are the `--help` text.

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand};

/// The end of `pushdeck --help` (and of the man page): what scripts need beyond the arguments.
const AFTER_LONG_HELP: &str = "\
Exit status:
  0    Everything asked for was done (for a send: every request accepted).
  1    The provider (or the keyring) refused at least one request.
  2    The command, its arguments, a draft or a profile was unusable: nothing was sent.
  3    At least one request got no answer (network, TLS, timeout).
  130  Stopped by Ctrl-C: requests not yet started were not sent; the partial result is
       printed and kept in history. A second Ctrl-C stops waiting for the requests already
       sent: they may have arrived, so they are kept as in doubt (resume skips them).

Environment:
  PUSHDECK_CONFIG_DIR  Folder for settings and profiles (default: the platform's config folder).
  PUSHDECK_DATA_DIR    Folder for drafts and history (default: the platform's data folder).
  PUSHDECK_CACHE_DIR   Folder for cached tokens (default: the platform's cache folder).
  PUSHDECK_<FIELD>     A profile's secret FIELD when the keyring has none, e.g. PUSHDECK_API_KEY
                       or PUSHDECK_BOT_TOKEN (`pushdeck providers` lists each provider's fields).
  PUSHDECK_LOG         Log filter for standard error, e.g. `debug` (default: `warn`).

Examples:
  Create a OneSignal profile, store its key and send a draft:
    pushdeck profile add shop --provider onesignal --set app_id=YOUR-APP-ID
    pushdeck secret set shop api_key
    pushdeck send drafts/flash-sale.json

  See the exact HTTP request a draft makes, as curl, without sending:
    pushdeck preview drafts/flash-sale.json --curl";

/// `--provider`'s values: the ids of the registry, so the list never drifts from the build.
fn provider_ids() -> PossibleValuesParser {
    PossibleValuesParser::new(
        crate::provider::all()
            .iter()
            .map(|p| PossibleValue::new(p.info().id).help(p.info().name)),
    )
}

#[derive(Parser, Debug)]
#[command(
    name = "pushdeck",
    version,
    about = "Compose and send push notifications, and see exactly what went over the wire. With no command, opens the app.",
    after_long_help = AFTER_LONG_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Send a draft through its profile, or a campaign (one message, several targets) through
    /// every target's profile at once.
    Send {
        /// Draft or campaign file, or - for standard input.
        draft: String,
        /// Campaign: send only the target(s) with this profile (repeatable).
        #[arg(long, value_name = "PROFILE")]
        only: Vec<String>,
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
        /// Draft or campaign file, or - for standard input.
        draft: String,
        /// Campaign: show only the target(s) with this profile (repeatable).
        #[arg(long, value_name = "PROFILE")]
        only: Vec<String>,
        #[command(flatten)]
        out: Output,
        /// One runnable curl command per request.
        #[arg(long)]
        curl: bool,
    },
    /// Diagnose a profile's credentials: local findings (key format, ids, rights), then the
    /// provider's cheapest read-only call; exit 0 only when no finding is ✗.
    Check {
        /// The profile to test.
        profile: String,
        /// Also check what this draft's audience names against the profile (e.g. that SNS topic
        /// ARNs are in the profile's region); `-` reads it from standard input.
        #[arg(long, value_name = "DRAFT")]
        draft: Option<String>,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Load what a profile's audience can name, as the window's Load buttons do (OneSignal
    /// `segments`, Pushbullet `devices` and `channels`, SNS `topics`, Telegram `chats`…): one line per item, the
    /// value, a tab, its label. Without KIND, lists the lookups the profile's provider offers.
    Lookup {
        /// The profile to look up with.
        profile: String,
        /// Which lookup (see `pushdeck lookup PROFILE`).
        kind: Option<String>,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Finish an interrupted send (or one with failures): send its draft again, only to the
    /// recipients with no recorded success, never twice to one that succeeded. Recipients in
    /// doubt (their request was on the wire when the send was stopped, so they may already have
    /// it) are skipped unless --include-in-doubt. Recorded as a new history entry that links the
    /// original. On a terminal it asks first unless --yes. A campaign's id resumes each of its
    /// targets that has recipients not reached.
    Resume {
        /// The history entry to resume (`pushdeck history list` shows "interrupted: N of M done,
        /// K in doubt").
        history_id: String,
        /// Do not ask first.
        #[arg(long)]
        yes: bool,
        /// Send to the recipients in doubt too (their request went out but the send was stopped
        /// before the answer was read: they may get the message twice).
        #[arg(long)]
        include_in_doubt: bool,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
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
    /// Stand in for a provider: a local server that speaks PROVIDER's API as the provider does,
    /// so a backend (or `pushdeck send`) can be pointed at it. Prints what to configure, then one
    /// line per request: what the provider would have said of it (✓/⚠/✗) and its answer. Every
    /// request is kept in history (`pushdeck history list`); Ctrl-C stops (exit 130).
    #[command(after_long_help = SINK_HELP)]
    Sink(SinkArgs),
    /// Telegram bot helpers: the chats that wrote to the bot, its webhook, a deep link.
    #[command(subcommand)]
    Telegram(TelegramCommand),
    /// Courier follow-ups.
    #[command(subcommand)]
    Courier(CourierCommand),
    /// APNs helpers: iOS 18 broadcast channels (list, create, show, delete).
    #[command(subcommand)]
    Apns(ApnsCommand),
    /// Web Push VAPID keys: generate, import, show.
    #[command(subcommand)]
    Vapid(VapidCommand),
    /// Web Push subscriptions in a draft: add from files, list, remove.
    #[command(subcommand)]
    Subscriptions(SubscriptionsCommand),
    /// Open the app with a draft in the composer, or a campaign in its panel.
    Open {
        /// Draft or campaign file, or - for standard input.
        draft: String,
    },
    /// The providers this build supports.
    Providers {
        /// One JSON document on standard output, with every field of every provider.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script, e.g. `pushdeck completions bash >
    /// ~/.local/share/bash-completion/completions/pushdeck`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `pushdeck man | man -l -`.
    Man {
        /// Write pushdeck.1 and one page per subcommand (pushdeck-send.1…) into this folder
        /// instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

const SINK_HELP: &str = "\
Examples:
  Receive what a backend publishes to ntfy, and see each request checked:
    pushdeck sink ntfy
    (then point the backend at the Base URL it prints, e.g. http://127.0.0.1:8630)

  Check tokens against a profile's, on any free port, one JSON object per line:
    pushdeck sink ntfy --profile alerts --port 0 --json

  Rehearse the provider's errors (the answer can also change while it runs, in the window):
    pushdeck sink ntfy --answer rate-limited
    pushdeck sink --list

  Serve over TLS with Pushdeck's local CA (its certificate file is printed), or listen
  beyond this computer (a warning says so):
    pushdeck sink ntfy --tls
    pushdeck sink ntfy --listen 0.0.0.0:8630";

/// `pushdeck sink`'s arguments.
#[derive(Args, Debug, Clone)]
pub struct SinkArgs {
    /// The provider to imitate (`pushdeck sink --list` shows which).
    #[arg(required_unless_present = "list")]
    pub provider: Option<String>,
    /// List the imitated providers and their rehearsals (with PROVIDER: its rehearsals only).
    #[arg(long, visible_alias = "rehearsals")]
    pub list: bool,
    /// Port on 127.0.0.1 (default: one per provider, ntfy 8630; 0 picks a free one, printed).
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
    /// Listen on this address instead (`0.0.0.0:8630`, `192.168.1.5`): reachable beyond this
    /// computer, which a warning line says.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Verify credentials (tokens, signatures) against this profile's; without one they are
    /// read and their shape checked, but not verified.
    #[arg(long, value_name = "P")]
    pub profile: Option<String>,
    /// Answer every request with this rehearsal of the provider's errors (see --list).
    #[arg(long, value_name = "NAME")]
    pub answer: Option<String>,
    /// Serve over TLS with a certificate from Pushdeck's local CA (always so for APNs).
    #[arg(long)]
    pub tls: bool,
    #[command(flatten)]
    pub out: Output,
}

/// How a command prints its results.
#[derive(Args, Debug, Clone, Copy)]
pub struct Output {
    /// One JSON document on standard output.
    #[arg(long)]
    pub json: bool,
    /// Show secrets instead of masking them.
    #[arg(long)]
    pub reveal: bool,
}

impl Output {
    /// Plain text, secrets masked.
    pub const TEXT: Output = Output {
        json: false,
        reveal: false,
    };
}

#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// Create or update a profile's non-secret settings.
    Add {
        /// The profile's name.
        name: String,
        /// The provider it sends through (`pushdeck providers` shows each one's settings).
        #[arg(long, value_parser = provider_ids())]
        provider: String,
        /// Replace the provider's API root (plain http only to loopback).
        #[arg(long)]
        base_url: Option<String>,
        /// A setting of the provider; an empty VALUE removes it. Repeatable. `pushdeck providers`
        /// lists each provider's settings, e.g. OneSignal's `app_id` and `key_kind` (`app`: an App
        /// API key, `Key …` on api.onesignal.com; `legacy`: a legacy REST API key, `Basic <key>`
        /// on onesignal.com/api/v1; unset: from the key's form).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// dev, staging or prod (also development, stage, production): shown as a badge before
        /// sending.
        #[arg(long)]
        environment: Option<String>,
        /// Ask before broadcasts (true/false).
        #[arg(long)]
        confirm_broadcast: Option<bool>,
    },
    /// List the profiles.
    List {
        /// One JSON document on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Remove a profile and its secrets.
    Remove {
        /// The profile to remove.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Read a secret from standard input (no echo on a terminal) and store it in the keyring.
    /// A binary file (an APNs `.p12`: `secret set PROFILE certificate < cert.p12`) is kept as
    /// base64.
    Set {
        /// The profile the secret belongs to.
        profile: String,
        /// The secret field (see `pushdeck providers`).
        field: String,
    },
    /// Delete a secret from the keyring.
    Delete {
        /// The profile the secret belongs to.
        profile: String,
        /// The secret field.
        field: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum HistoryCommand {
    /// List past sends, newest first, then the sessions of `pushdeck sink`.
    List {
        /// One JSON document on standard output.
        #[arg(long)]
        json: bool,
    },
    /// List the calls made beside sending (checks, lookups, Telegram's webhook, Courier's
    /// delivery status…), newest first, with their (redacted) exchanges in --json.
    Calls {
        /// One JSON document on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Show one send (or one `pushdeck sink` session) with its (redacted) exchanges.
    Show {
        /// The id `history list` or a send printed.
        id: String,
        /// One JSON document on standard output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TelegramCommand {
    /// List the chats in the bot's recent updates (getUpdates, read-only): id, type, name and the
    /// /start payload of a deep link. One read shows the oldest 100 pending updates; when there are
    /// more, it says so, and --newest reads the newest instead.
    Chats {
        /// A Telegram profile.
        profile: String,
        /// Read the newest 100 updates (getUpdates with offset -100). This confirms every older
        /// update: Telegram forgets them for every program reading this bot.
        #[arg(long)]
        newest: bool,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Show the bot's webhook (getWebhookInfo); remove it (--delete --yes) or set one (--set URL).
    Webhook {
        /// A Telegram profile.
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
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Print a deep link https://t.me/<bot>?start=<token> with a new random token (or --token).
    Link {
        /// A Telegram profile.
        profile: String,
        /// Use this start token (1-64 of A-Z a-z 0-9 _ -) instead of a random one.
        #[arg(long)]
        token: Option<String>,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
}

#[derive(Subcommand, Debug)]
pub enum CourierCommand {
    /// Look a sent message up (GET /messages/{id}): its status and each channel's attempt.
    Delivery {
        /// A Courier profile.
        profile: String,
        /// The requestId (single recipient) or message id a send printed.
        message_id: String,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
}

#[derive(Subcommand, Debug)]
pub enum VapidCommand {
    /// Make a P-256 key pair: the private key goes to the keyring, the public key into the
    /// profile and onto standard output (the page's applicationServerKey).
    Generate {
        /// A Web Push profile.
        profile: String,
        /// Replace an existing key: every subscription made with the old key stops working.
        #[arg(long)]
        force: bool,
    },
    /// Store an existing private key read from standard input and derive the public key: the
    /// base64url 32-byte scalar, or PEM as openssl writes it: PKCS#8 (`PRIVATE KEY`) or SEC1
    /// (`EC PRIVATE KEY`), with or without a leading `EC PARAMETERS` block.
    Import {
        /// A Web Push profile.
        profile: String,
        /// Replace an existing key: every subscription made with the old key stops working.
        #[arg(long)]
        force: bool,
    },
    /// Print the private key on standard output: base64url of the 32-byte scalar (what `vapid
    /// import` and the web-push libraries read), or PKCS#8 PEM with --pem. On a terminal it asks
    /// first; without a terminal it needs --yes.
    Export {
        /// A Web Push profile.
        profile: String,
        /// Print PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) instead of base64url.
        #[arg(long)]
        pem: bool,
        /// Print it without asking (needed when standard input is not a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Print the public key (applicationServerKey) of a profile.
    Show {
        /// A Web Push profile.
        profile: String,
        /// Print a service worker that shows the payloads as Pushdeck sends them.
        #[arg(long)]
        snippet: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SubscriptionsCommand {
    /// Add subscriptions from files (a JSON array, one object per line, or one object) to a
    /// draft's audience; unusable ones are listed with the reason and left out.
    Add {
        /// The draft file to update.
        draft: String,
        /// Files of subscriptions (PushSubscription JSON), - for standard input (e.g.
        /// `redis-cli --raw SORT subscriptions BY nosort GET 'sub:*' | pushdeck subscriptions add
        /// draft.json -`).
        #[arg(required = true)]
        files: Vec<String>,
        /// Name them: one label for every subscription of these files that has none.
        #[arg(long)]
        label: Option<String>,
    },
    /// List a draft's subscriptions.
    List {
        /// Draft file, or - for standard input.
        draft: String,
        /// One JSON document on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Remove subscriptions by label or endpoint.
    Remove {
        /// The draft file to update.
        draft: String,
        /// Labels or endpoints of the subscriptions to remove.
        #[arg(required = true)]
        which: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApnsCommand {
    /// iOS 18 broadcast channels: one Live Activity update reaches every device subscribed to a
    /// channel (send one with `audience.channel_id` in a draft).
    #[command(subcommand)]
    Channels(ChannelsCommand),
}

#[derive(Subcommand, Debug)]
pub enum ChannelsCommand {
    /// List the app's channels in the profile's environment, one id per line.
    List {
        /// An APNs profile.
        profile: String,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Create a channel for Live Activity updates and print its id (base64).
    Create {
        /// An APNs profile.
        profile: String,
        /// no-storage: only devices online now get an update (for frequent updates);
        /// most-recent-message: APNs keeps the latest for devices that come online later.
        #[arg(long, default_value = "no-storage", value_name = "POLICY")]
        storage_policy: String,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Show one channel's storage policy and push type.
    Show {
        /// An APNs profile.
        profile: String,
        /// The channel id (base64).
        channel_id: String,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
    /// Delete a channel: its subscribers get no more updates through it. Needs --yes.
    Delete {
        /// An APNs profile.
        profile: String,
        /// The channel id (base64).
        channel_id: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        out: Output,
        /// No request waits longer than this in total.
        #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
        timeout: f64,
    },
}

/// What the user chose for `pushdeck resume`.
#[derive(Debug, Clone, Copy)]
pub struct ResumeChoice {
    /// Do not ask first.
    pub yes: bool,
    /// Send to the recipients in doubt too.
    pub include_in_doubt: bool,
}
