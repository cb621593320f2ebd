//! The exit statuses of CONTRACT.md, by name.

use std::sync::Arc;

use crate::engine::{SendReport, SendResult};

/// How a command ended, as the process exit status says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done (or, for a send, accepted).
    Success,
    /// The provider (or the keyring) said no to at least one request.
    Refused,
    /// The command, its arguments, a draft or a profile was unusable: nothing was sent.
    BadInput,
    /// At least one request got no answer (network, TLS, timeout).
    TransportFailure,
    /// Stopped by the user (Ctrl-C).
    Interrupted,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::Refused => 1,
            Exit::BadInput => 2,
            Exit::TransportFailure => 3,
            Exit::Interrupted => 130,
        }
    }

    /// A finished send's status: the engine's reading of its verdicts, named here. The engine
    /// answers 0, 1 or 3; anything else it might say is counted as a failure to deliver.
    pub fn of_report(report: &SendReport) -> Exit {
        match report.exit_code() {
            0 => Exit::Success,
            1 => Exit::Refused,
            2 => Exit::BadInput,
            130 => Exit::Interrupted,
            _ => Exit::TransportFailure,
        }
    }

    /// The status of a command that made one request.
    pub fn of_result(result: Arc<SendResult>) -> Exit {
        Exit::of_report(&SendReport {
            results: vec![result],
            ..Default::default()
        })
    }
}
