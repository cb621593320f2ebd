//! The command line's conventions (issue #22): shell completions and the man page come from the
//! parser's own definitions, every argument explains itself, `--help` ends with exit codes,
//! environment and examples, and the desktop entry and AppStream metadata validate.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command as Process;

use crate::support::{Sandbox, assert_exit_output, stdout};
use clap::{CommandFactory, Parser};

fn pushdeck(args: &[&str]) -> std::process::Output {
    Sandbox::new().run(args)
}

/// Runs BASH_SCRIPT in a real bash with the completion script sourced; its standard output.
fn in_bash_with_completions(script: &str) -> String {
    let completions = pushdeck(&["completions", "bash"]);
    assert_exit_output(&completions, 0);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("pushdeck.bash");
    std::fs::write(&file, &completions.stdout).expect("write the completion script");
    let out = Process::new("bash")
        .arg("--norc")
        .arg("--noprofile")
        .arg("-c")
        .arg(format!("source {}\n{script}", file.display()))
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bash_completes_se_to_send_and_secret() {
    // As bash does on Tab: the function `complete -p` names, called with COMP_WORDS set.
    let words = in_bash_with_completions(
        r#"
spec=$(complete -p pushdeck)
fn=$(sed -n 's/.*-F \([^ ]*\) .*/\1/p' <<<"$spec")
[[ -n $fn ]] || { echo "no completion function in: $spec" >&2; exit 1; }
COMP_WORDS=(pushdeck se)
COMP_CWORD=1
COMP_LINE="pushdeck se"
COMP_POINT=${#COMP_LINE}
"$fn" pushdeck se pushdeck
printf '%s\n' "${COMPREPLY[@]}"
"#,
    );
    let got: BTreeSet<&str> = words.split_whitespace().collect();
    assert_eq!(got, BTreeSet::from(["secret", "send"]), "{words}");

    // And the provider ids after `profile add NAME --provider`.
    let words = in_bash_with_completions(
        r#"
COMP_WORDS=(pushdeck profile add shop --provider t)
COMP_CWORD=5
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_pushdeck pushdeck t --provider
printf '%s\n' "${COMPREPLY[@]}"
"#,
    );
    assert_eq!(words.split_whitespace().collect::<Vec<_>>(), ["telegram"]);
}

#[test]
fn every_shell_gets_a_completion_script() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef pushdeck"),
        ("fish", "complete -c pushdeck"),
        ("elvish", "edit:completion:arg-completer[pushdeck]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = pushdeck(&["completions", shell]);
        assert_exit_output(&out, 0);
        let script = stdout(&out);
        assert!(
            script.contains(marker),
            "{shell}: no `{marker}` in\n{script}"
        );
        assert!(script.contains("subscriptions"), "{shell}: {script}");
    }
    let out = pushdeck(&["completions", "tcsh"]);
    assert_exit_output(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}

/// Walks the whole command tree: every command has a description, every argument help text.
#[test]
fn every_command_and_argument_has_help() {
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if command.get_about().is_none() && command.get_long_about().is_none() {
            missing.push(format!("command `{path}`"));
        }
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("argument `{id}` of `{path}`"));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut command = pushdeck::cli::Cli::command();
    command.build();
    let mut missing = Vec::new();
    walk(&command, "pushdeck", &mut missing);
    assert!(missing.is_empty(), "without help text: {missing:#?}");

    // `--provider` lists exactly the registry's ids.
    let add = command
        .find_subcommand("profile")
        .and_then(|p| p.find_subcommand("add"))
        .expect("profile add");
    let provider = add
        .get_arguments()
        .find(|a| a.get_id() == "provider")
        .expect("--provider");
    let offered: Vec<String> = provider
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_string())
        .collect();
    let registry: Vec<String> = pushdeck::provider::all()
        .iter()
        .map(|p| p.info().id.to_string())
        .collect();
    assert_eq!(offered, registry);
    let out = pushdeck(&["profile", "add", "--help"]);
    for id in &registry {
        assert!(stdout(&out).contains(id.as_str()), "{id} not in --help");
    }
}

#[test]
fn help_ends_with_exit_codes_environment_and_examples() {
    let out = pushdeck(&["--help"]);
    assert_exit_output(&out, 0);
    let help = stdout(&out);
    let tail = help
        .split_once("Exit status:")
        .map(|(_, t)| t)
        .unwrap_or_else(|| panic!("no exit status section:\n{help}"));
    for code in ["0 ", "1 ", "2 ", "3 ", "130 "] {
        assert!(tail.contains(&format!("\n  {code}")), "exit {code}: {tail}");
    }
    // Every variable the program reads is named.
    for var in [
        "PUSHDECK_CONFIG_DIR",
        "PUSHDECK_DATA_DIR",
        "PUSHDECK_CACHE_DIR",
        "PUSHDECK_<FIELD>",
        "PUSHDECK_LOG",
    ] {
        assert!(tail.contains(var), "{var} missing: {tail}");
    }
    let examples = tail.split_once("Examples:").expect("examples").1;
    assert!(
        examples.matches("\n    pushdeck ").count() >= 2,
        "{examples}"
    );
    // The examples are runnable as written: their commands parse.
    for line in examples.lines().map(str::trim) {
        let Some(args) = line.strip_prefix("pushdeck ") else {
            continue;
        };
        let argv = std::iter::once("pushdeck").chain(args.split_whitespace());
        assert!(
            pushdeck::cli::Cli::try_parse_from(argv).is_ok(),
            "example does not parse: {line}"
        );
    }
}

#[test]
fn man_page_is_generated_from_the_same_definitions() {
    let out = pushdeck(&["man"]);
    assert_exit_output(&out, 0);
    let page = stdout(&out);
    assert!(page.contains(".TH pushdeck 1"), "{page}");
    assert!(page.contains("pushdeck\\-send(1)"), "{page}");
    assert!(page.contains("Exit status:"), "{page}");

    let dir = tempfile::tempdir().expect("tempdir");
    let dir_arg = dir.path().to_string_lossy().into_owned();
    let out = pushdeck(&["man", "--dir", &dir_arg]);
    assert_exit_output(&out, 0);
    let send = std::fs::read_to_string(dir.path().join("pushdeck-send.1")).expect("send page");
    assert!(send.contains("\\-\\-dry\\-run"), "{send}");
    assert!(dir.path().join("pushdeck-profile-add.1").is_file());

    let out = pushdeck(&["man", "--dir", "/nonexistent/pushdeck-man"]);
    assert_exit_output(&out, 2);
}

/// The app id the window gives Wayland (`with_app_id` in src/ui/mod.rs).
fn app_id() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/ui/mod.rs")).expect("src/ui/mod.rs");
    let start = source.find(".with_app_id(\"").expect("with_app_id") + ".with_app_id(\"".len();
    source[start..]
        .split('"')
        .next()
        .expect("app id")
        .to_string()
}

fn validate(tool: &str, args: &[&str], package: &str) {
    let out = Process::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{tool} could not run ({e}): install the Debian package {package} (scripts/test does)"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn desktop_entry_and_appstream_metadata_validate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let id = app_id();
    let desktop = root.join(format!("assets/{id}.desktop"));
    let desktop_text = std::fs::read_to_string(&desktop)
        .unwrap_or_else(|e| panic!("no desktop entry named after the app id {id}: {e}"));
    assert!(
        desktop_text.contains(&format!("\nIcon={id}\n")),
        "{desktop_text}"
    );
    assert!(desktop_text.contains("\nExec=pushdeck "), "{desktop_text}");
    validate(
        "desktop-file-validate",
        &[&desktop.to_string_lossy()],
        "desktop-file-utils",
    );

    let metainfo: Vec<_> = std::fs::read_dir(root.join("assets"))
        .expect("assets")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".metainfo.xml"))
        .collect();
    assert_eq!(metainfo.len(), 1, "{metainfo:?}");
    let text = std::fs::read_to_string(&metainfo[0]).expect("metainfo");
    assert!(
        text.contains(&format!(
            "<launchable type=\"desktop-id\">{id}.desktop</launchable>"
        )),
        "{text}"
    );
    validate(
        "appstreamcli",
        &["validate", "--no-net", &metainfo[0].to_string_lossy()],
        "appstream",
    );

    // The icon set the package installs, each PNG the size its folder says.
    for size in [32u32, 48, 64, 128, 256] {
        let png = std::fs::read(root.join(format!("assets/icons/{size}x{size}/{id}.png")))
            .unwrap_or_else(|e| panic!("{size}px icon: {e}"));
        let image = image::load_from_memory(&png).expect("a PNG");
        assert_eq!((image.width(), image.height()), (size, size));
    }
    // The window icon decodes with eframe's own loader (a failure would leave egui's logo).
    let window_icon = eframe::icon_data::from_png_bytes(include_bytes!(
        "../../assets/icons/256x256/pushdeck.png"
    ))
    .expect("the window icon decodes");
    assert_eq!((window_icon.width, window_icon.height), (256, 256));
}
