//! `pushdeck completions` and `pushdeck man`: generated from the same clap definitions as the
//! parser, so they never disagree with what the parser accepts.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::args::Cli;
use super::context::{CliResult, Failure, bad_input};
use super::exit::Exit;
use crate::store::write_atomic;

/// Prints SHELL's completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> CliResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "pushdeck", &mut script);
    let _ = std::io::stdout().lock().write_all(&script);
    Ok(Exit::Success)
}

/// Prints pushdeck(1), or writes it and a page per subcommand (pushdeck-send.1…) into `dir`.
pub fn man(dir: Option<&Path>) -> CliResult {
    let command = Cli::command();
    let Some(dir) = dir else {
        let page = render(clap_mangen::Man::new(command))?;
        let _ = std::io::stdout().lock().write_all(&page);
        return Ok(Exit::Success);
    };
    if !dir.is_dir() {
        return Err(bad_input(format!(
            "--dir: {} is not a folder; create it first",
            dir.display()
        )));
    }
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut written = 0;
    write_pages(&command, dir, &mut written)?;
    eprintln!(
        "pushdeck: wrote {written} manual pages to {}",
        dir.display()
    );
    Ok(Exit::Success)
}

fn write_pages(command: &clap::Command, dir: &Path, written: &mut usize) -> Result<(), Failure> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    let man = clap_mangen::Man::new(command.clone());
    let path = dir.join(man.get_filename());
    write_atomic(&path, &render(man)?)
        .map_err(|e| bad_input(format!("could not write {}: {e}", path.display())))?;
    *written += 1;
    Ok(())
}

fn render(man: clap_mangen::Man) -> Result<Vec<u8>, Failure> {
    let mut page = Vec::new();
    man.render(&mut page)
        .map_err(|e| bad_input(format!("could not render the manual page: {e}")))?;
    Ok(page)
}
