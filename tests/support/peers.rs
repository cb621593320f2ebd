//! The independent implementations `scripts/install-peers` puts in target/peers
//! (`PUSHDECK_PEERS_DIR` overrides): a Python venv (pywebpush, py_vapid, http_ece, apprise) and npm
//! packages (web-push, web-push-testing). Tests that need them skip with the reason printed when
//! they are missing, unless `PUSHDECK_REQUIRE_PEERS` is set (scripts/test sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::{stderr, stdout};

pub struct Peers {
    pub dir: PathBuf,
}

impl Peers {
    /// The installed peers when every file of `needs` (relative to the peers folder, e.g.
    /// `node/node_modules/web-push/package.json`) is there; else None, with the reason printed.
    pub fn find(needs: &[&str]) -> Option<Self> {
        let dir = std::env::var_os("PUSHDECK_PEERS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers"));
        let peers = Self { dir };
        let missing: Vec<PathBuf> = std::iter::once(peers.python())
            .chain(needs.iter().map(|n| peers.dir.join(n)))
            .filter(|p| !p.exists())
            .collect();
        if missing.is_empty() {
            return Some(peers);
        }
        let required = std::env::var_os("PUSHDECK_REQUIRE_PEERS").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "PUSHDECK_REQUIRE_PEERS is set but the peers are missing ({missing:?}): run scripts/install-peers"
        );
        eprintln!(
            "SKIPPED: the peers are not installed ({missing:?}); run scripts/install-peers (set PUSHDECK_REQUIRE_PEERS=1 to make this a failure)"
        );
        None
    }

    pub fn python(&self) -> PathBuf {
        self.dir.join("venv/bin/python")
    }

    pub fn node_modules(&self) -> PathBuf {
        self.dir.join("node/node_modules")
    }

    /// Runs a Python snippet in the peers' venv: its output, whatever the exit status.
    pub fn python_output(&self, code: &str, args: &[&str]) -> Output {
        Command::new(self.python())
            .arg("-c")
            .arg(code)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("the peers' python runs")
    }

    /// Runs a Python snippet that must succeed: its standard output.
    pub fn python_snippet(&self, code: &str, args: &[&str]) -> String {
        let output = self.python_output(code, args);
        assert!(
            output.status.success(),
            "python snippet failed:\n{}\n{}",
            stderr(&output),
            stdout(&output)
        );
        stdout(&output)
    }

    /// Runs a Node snippet with the peers' node_modules: its output, whatever the exit status.
    pub fn node_output(&self, code: &str, args: &[&str]) -> Output {
        Command::new("node")
            .arg("-e")
            .arg(code)
            .arg("--")
            .args(args)
            .env("NODE_PATH", self.node_modules())
            .stdin(Stdio::null())
            .output()
            .expect("node runs")
    }
}
