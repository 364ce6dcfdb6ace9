//! Terminal behaviour: the progress bar (only on a terminal, never quiet or in CI), `--help`
//! examples for every command, shell completions and man pages from the clap definitions.

mod common;

use std::process::Command;

const COMMANDS: &[&str] = &["scan", "diff", "completions", "man"];

fn assay_bin() -> &'static str {
    env!("CARGO_BIN_EXE_assay")
}

/// Runs `assay ARGS` under a pseudo-terminal (util-linux `script`); returns everything the
/// terminal showed (stdout and stderr together).
fn on_terminal(args: &str, ci: bool) -> String {
    let script = common::require_tool("script");
    let mut cmd = Command::new(script);
    cmd.args(["-qec", &format!("'{}' {args}", assay_bin()), "/dev/null"])
        .current_dir(common::repo())
        .env_remove("CI")
        .env("TERM", "xterm");
    if ci {
        cmd.env("CI", "true");
    }
    let out = cmd.output().expect("run script");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn progress_bar_only_on_a_terminal_and_never_quiet_or_in_ci() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sbom = dir.path().join("s.json");
    let args = format!("scan samples -o spdx-json='{}'", sbom.display());

    let shown = on_terminal(&args, false);
    assert!(
        shown.contains("scanning"),
        "no progress bar on a terminal:\n{shown}"
    );
    assert!(shown.contains("files"), "{shown}");

    assert!(
        !on_terminal(&args, true).contains("scanning"),
        "bar shown with CI set"
    );
    assert!(
        !on_terminal(&format!("{args} -q"), false).contains("scanning"),
        "bar shown with -q"
    );

    // Not a terminal: stderr carries the problems only.
    let out = common::assay(&["scan", "samples", "-o", &format!("json={}", sbom.display())]);
    let err = common::stderr(&out);
    assert!(!err.contains("scanning"), "{err}");
    assert!(err.lines().all(|l| l.starts_with("assay: ")), "{err}");
}

#[test]
fn every_command_has_help_with_examples() {
    for cmd in COMMANDS {
        let out = common::assay(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        let help = common::stdout(&out);
        assert!(
            help.contains("Examples:"),
            "{cmd} --help has no examples:\n{help}"
        );
        assert!(help.contains(&format!("assay {cmd}")), "{cmd}:\n{help}");
    }
    let top = common::stdout(&common::assay(&["--help"]));
    for cmd in COMMANDS {
        assert!(top.contains(cmd), "{cmd} missing in --help:\n{top}");
    }
}

#[test]
fn completions_for_every_shell_name_every_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = common::assay(&["completions", shell]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            common::stderr(&out)
        );
        let script = common::stdout(&out);
        for cmd in COMMANDS {
            assert!(script.contains(cmd), "{shell} completions lack {cmd}");
        }
        assert!(
            script.contains("fail-on"),
            "{shell} completions lack diff's flags"
        );
    }
    let out = common::assay(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_load_in_bash() {
    let bash = common::require_tool("bash");
    let out = common::assay(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("assay.bash");
    std::fs::write(&file, &out.stdout).expect("write");
    let check = Command::new(bash)
        .arg("-c")
        .arg(format!("source '{}' && complete -p assay", file.display()))
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("assay"));
}

#[test]
fn man_pages_render_for_assay_and_every_command() {
    let out = common::assay(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = common::stdout(&out);
    assert!(page.contains(".TH assay 1"), "{page}");
    assert!(page.contains("diff"), "{page}");

    let dir = tempfile::tempdir().expect("tempdir");
    let out = common::assay(&["man", "--dir", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    for cmd in COMMANDS {
        let path = dir.path().join(format!("assay-{cmd}.1"));
        let page = std::fs::read_to_string(&path).expect("page written");
        assert!(
            page.contains(&format!(".TH assay-{cmd} 1")),
            "{}",
            path.display()
        );
        assert!(
            page.contains("Examples"),
            "{} lacks the examples",
            path.display()
        );
    }
    // `man` itself renders the page, when installed.
    if let Some(man) = which("man") {
        let rendered = Command::new(man)
            .arg("-l")
            .arg(dir.path().join("assay-diff.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("man");
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("--fail-on"), "{text}");
    }
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
