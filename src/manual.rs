//! The shell completion scripts and the man page, derived from the clap definition in `cli` so
//! they say what `--help` says. Besides `cli` and `config`, only this module sees clap: what it
//! renders is the command line itself.

use std::io::Write;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Generator;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::Cli;
use crate::exit::ExitStatus;

pub use clap_complete::Shell;

/// The name the scripts complete and the page documents.
const BIN: &str = "jerahook";

/// Writes `shell`'s completion script for every command and option.
pub fn completions(shell: Shell, out: &mut impl Write) -> Result<()> {
    let mut command = Cli::command();
    command.set_bin_name(BIN);
    command.build();
    // `clap_complete::generate` panics when the writer fails (`| head`); this returns the error.
    shell
        .try_generate(&command, out)
        .with_context(|| format!("writing the {shell} completion script"))
}

/// Writes `jerahook(1)`: one page with the global options, a COMMANDS section giving each
/// command's synopsis, description and options, and the exit codes.
pub fn man_page(out: &mut impl Write) -> Result<()> {
    let command = Cli::command();
    let man = Man::new(command.clone());
    let mut page = Page::default();
    page.add(|w| man.render_title(w), Keep::Headings)?;
    page.add(|w| man.render_name_section(w), Keep::Headings)?;
    page.add(|w| man.render_synopsis_section(w), Keep::Headings)?;
    page.add(|w| man.render_description_section(w), Keep::Headings)?;
    page.add(|w| man.render_options_section(w), Keep::Headings)?;
    commands_section(&command, &mut page)?;
    page.add(exit_status_section, Keep::Headings)?;
    page.add(|w| man.render_version_section(w), Keep::Headings)?;
    out.write_all(page.text.as_bytes())
        .context("writing the man page")?;
    Ok(())
}

/// One subsection per command, in the order `--help` lists them. The commands come from the
/// definition before clap builds it, so the global options (under OPTIONS) are not repeated
/// under each, and clap's own `help` command is not among them.
fn commands_section(command: &clap::Command, page: &mut Page) -> Result<()> {
    page.add(
        |w| {
            let mut roff = Roff::new();
            roff.control("SH", ["COMMANDS"]);
            roff.text([roman(
                "Each command also takes the options under OPTIONS, and -h or --help for its help.",
            )]);
            roff.to_writer(w)
        },
        Keep::Headings,
    )?;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = format!("{BIN} {}", sub.get_name());
        let sub_man = Man::new(sub.clone().bin_name(&name).disable_help_flag(true));
        page.add(
            |w| {
                let mut roff = Roff::new();
                roff.control("SS", [name.as_str()]);
                roff.to_writer(w)
            },
            Keep::Headings,
        )?;
        // clap_mangen renders these as sections of a page of their own; here they are parts of
        // the command's subsection.
        page.add(|w| sub_man.render_synopsis_section(w), Keep::Body)?;
        page.add(|w| Roff::new().control("PP", []).to_writer(w), Keep::Body)?;
        page.add(|w| sub_man.render_description_section(w), Keep::Body)?;
        if sub.get_arguments().any(|arg| !arg.is_hide_set()) {
            page.add(|w| sub_man.render_options_section(w), Keep::Body)?;
        }
    }
    Ok(())
}

/// The roff text of the page, put together from separately rendered parts.
#[derive(Default)]
struct Page {
    text: String,
}

/// What of a rendered part goes on the page.
#[derive(PartialEq)]
enum Keep {
    /// All of it.
    Headings,
    /// All but its `.SH` lines.
    Body,
}

/// roff's preamble, which defines the `Aq` string: every rendered part starts with it, the
/// page needs it once.
const PREAMBLE: [&str; 2] = [".ie \\n(.g .ds Aq \\(aq", ".el .ds Aq '"];

impl Page {
    /// Appends what `render` writes, without the preamble after the first part.
    fn add(
        &mut self,
        render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
        keep: Keep,
    ) -> Result<()> {
        let mut part = Vec::new();
        render(&mut part)?;
        let part = String::from_utf8(part).context("the man page's roff is not UTF-8")?;
        let first = self.text.is_empty();
        for line in part.lines() {
            let repeated = !first && PREAMBLE.contains(&line);
            let heading = keep == Keep::Body && line.starts_with(".SH ");
            if !repeated && !heading {
                self.text.push_str(line);
                self.text.push('\n');
            }
        }
        Ok(())
    }
}

/// The exit codes, as `--help` and README list them.
fn exit_status_section(w: &mut Vec<u8>) -> std::io::Result<()> {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for status in ExitStatus::ALL {
        roff.control("TP", []);
        roff.text([bold(status.code().to_string())]);
        roff.text([roman(status.meaning())]);
    }
    roff.to_writer(w)
}
