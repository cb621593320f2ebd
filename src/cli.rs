//! The command line front end (CONTRACT.md). Argument handling and printing only: every action is a
//! call into the engine or the store.
//!
//! Layout: `args` defines the commands; `context` loads profiles, secrets, drafts and the engine;
//! `print` and `exit` say how a command ends; one module per command group does the work.

// First: its `out!` macros serve every module below.
#[macro_use]
mod print;

mod apns;
mod args;
mod campaign;
mod check;
mod context;
mod conventions;
mod courier;
mod exit;
mod history;
mod lookup;
mod profile;
mod progress;
mod providers;
mod resume;
mod send;
mod telegram;
mod webpush;

pub use args::{
    Cli, Command, CourierCommand, HistoryCommand, Output, ProfileCommand, SecretCommand,
    SubscriptionsCommand, TelegramCommand, VapidCommand,
};
pub use context::Failure;
pub use exit::Exit;

use context::{CliResult, Context, timeout};

/// Reads a draft or a campaign file for `pushdeck open`: the exit status on failure, after
/// saying why.
pub fn read_draft_for_app(path: &str) -> Result<crate::campaign::Composed, i32> {
    context::read_composed(path).map_err(|f| {
        eprintln!("pushdeck: {}", f.message);
        f.code.code()
    })
}

/// Runs a CLI command and returns the process exit status.
pub fn run(command: Command) -> i32 {
    match execute(command) {
        Ok(exit) => exit.code(),
        Err(failure) => {
            eprintln!("pushdeck: {}", failure.message);
            failure.code.code()
        }
    }
}

fn execute(command: Command) -> CliResult {
    // These two only describe the command line: no profile, folder or keyring needed.
    match &command {
        Command::Completions { shell } => return conventions::completions(*shell),
        Command::Man { dir } => return conventions::man(dir.as_deref()),
        _ => {}
    }
    let ctx = Context::new()?;
    match command {
        Command::Send {
            draft,
            only,
            dry_run,
            out,
            timeout: t,
            prune_gone,
        } => send::send(&ctx, &draft, &only, dry_run, out, timeout(t)?, prune_gone),
        Command::Preview {
            draft,
            only,
            out,
            curl,
        } => send::preview(&ctx, &draft, &only, out, curl),
        Command::Check {
            profile,
            draft,
            out,
            timeout: t,
        } => check::check(&ctx, &profile, draft.as_deref(), out, timeout(t)?),
        Command::Lookup {
            profile,
            kind,
            out,
            timeout: t,
        } => lookup::lookup(&ctx, &profile, kind.as_deref(), out, timeout(t)?),
        Command::Resume {
            history_id,
            yes,
            include_in_doubt,
            out,
            timeout: t,
        } => resume::resume(
            &ctx,
            &history_id,
            args::ResumeChoice {
                yes,
                include_in_doubt,
            },
            out,
            timeout(t)?,
        ),
        Command::Profile(cmd) => profile::profile_command(&ctx, cmd),
        Command::Secret(cmd) => profile::secret_command(&ctx, cmd),
        Command::History(cmd) => history::history_command(&ctx, cmd),
        Command::Telegram(cmd) => telegram::telegram_command(&ctx, cmd),
        Command::Courier(cmd) => courier::courier_command(&ctx, cmd),
        Command::Apns(cmd) => apns::apns_command(&ctx, cmd),
        Command::Vapid(cmd) => webpush::vapid_command(&ctx, cmd),
        Command::Subscriptions(cmd) => webpush::subscriptions_command(cmd),
        Command::Providers { json } => providers::providers(json),
        // `main` opens the window for this one; here it only checks the draft.
        Command::Open { draft } => context::read_composed(&draft).map(|_| Exit::Success),
        Command::Completions { .. } | Command::Man { .. } => Ok(Exit::Success),
    }
}
