//! For `scripts/bench-app`: with `PUSHDECK_BENCH_LOG=FILE`, one line per frame (`<unix ns> frame
//! <n>`) so a script can time exec → first frame and count frames while idle. Off by default,
//! and then it costs one branch per frame.

use std::io::Write;

pub struct FrameLog {
    file: std::fs::File,
    frames: u64,
}

impl FrameLog {
    pub fn from_env() -> Option<FrameLog> {
        let path = std::env::var_os("PUSHDECK_BENCH_LOG")?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(FrameLog { file, frames: 0 })
    }

    pub fn frame(&mut self) {
        self.frames += 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let _ = writeln!(self.file, "{now} frame {}", self.frames);
    }
}
