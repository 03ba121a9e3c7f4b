//! The `jerahook` binary: parse the command line, run, map the outcome to an exit code.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use jerahook::cli::Cli;
use jerahook::config::Config;
use jerahook::exit::ExitStatus;
use jerahook::render::{self, Style};
use jerahook::run::run;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match Config::from_cli(cli).and_then(run) {
        Ok(status) => status.into(),
        // The reader went away (`| head`): not a failure of ours.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = render::error(
                &mut io::stderr(),
                &format!("{error:#}"),
                Style { color: false },
            );
            ExitStatus::Error.into()
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
