//! `assay completions SHELL` and `assay man`: generated from the clap definitions, so they
//! always match the commands.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{exit, Cli};

#[derive(Args)]
#[command(after_help = "\
Examples:
  assay completions bash > /etc/bash_completion.d/assay
  assay completions zsh > \"${fpath[1]}/_assay\"
  assay completions fish > ~/.config/fish/completions/assay.fish
  assay completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
#[command(after_help = "\
Examples:
  assay man | man -l -                      # read it now
  assay man --dir /usr/local/share/man/man1 # assay.1 and assay-<command>.1")]
pub struct ManArgs {
    /// Write assay.1 and one page per command (assay-scan.1, …) into DIR instead of printing
    /// assay.1
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs) -> u8 {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "assay", &mut out);
    write(None, &out)
}

pub fn man(args: ManArgs) -> u8 {
    let command = Cli::command();
    let Some(dir) = args.dir else {
        return match render(&command) {
            Ok(page) => write(None, &page),
            Err(e) => fail(e),
        };
    };
    let mut pages = vec![("assay.1".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("assay-{}", sub.get_name());
        pages.push((format!("{name}.1"), sub.clone().name(name)));
    }
    for (file, cmd) in pages {
        match render(&cmd) {
            Ok(page) => {
                let code = write(Some(dir.join(file)), &page);
                if code != exit::OK {
                    return code;
                }
            }
            Err(e) => return fail(e),
        }
    }
    exit::OK
}

fn render(command: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    Ok(page)
}

fn write(path: Option<PathBuf>, bytes: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(bytes);
    match super::write_output(path.as_deref(), &text) {
        Ok(()) => exit::OK,
        Err(e) => fail(format!(
            "cannot write {}: {e}",
            path.map(|p| p.display().to_string())
                .unwrap_or_else(|| "stdout".into())
        )),
    }
}

fn fail(e: impl std::fmt::Display) -> u8 {
    super::error(e);
    exit::ERROR
}
