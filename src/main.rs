//! Argument parsing only: no subcommand opens the app, otherwise the command line runs.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a Web Push fan-out allocates and frees a request, an
/// exchange and a connection's buffers per recipient across threads (prepared on one, sent and
/// recorded on another), where glibc's malloc spent a sixth of the send's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Logs go to stderr, warnings only by default; PUSHDECK_LOG=debug turns them all on. Secrets
    // never reach a log: only redacted dumps are ever formatted. The TLS verifier's own error
    // line is off by default: the failed request's row says the same in words, with the fix.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PUSHDECK_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = pushdeck::cli::Cli::parse();
    let code = match cli.command {
        Some(pushdeck::cli::Command::Open { draft }) => {
            match pushdeck::cli::read_draft_for_app(&draft) {
                Ok(composed) => pushdeck::ui::run_app(Some((composed, draft.into()))),
                Err(code) => code,
            }
        }
        Some(command) => pushdeck::cli::run(command),
        None => pushdeck::ui::run_app(None),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
