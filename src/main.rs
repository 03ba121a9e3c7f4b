//! The `jerahook` binary: parse the command line, run, map the outcome to an exit code.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use jerahook::cli::{Cli, Command};
use jerahook::config::Config;
use jerahook::exit::ExitStatus;
use jerahook::render::{self, Style};
use jerahook::run::run;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Listen(_)) {
        return_freed_memory_at_once();
    }
    match Config::from_cli(cli).and_then(run) {
        Ok(status) => status.into(),
        // The reader went away (`| head`): not a failure of ours, but what was judged before
        // it left still decides (an invalid payload already printed is not a pass).
        Err(error) if is_broken_pipe(&error) => jerahook::run::status_so_far().into(),
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

/// `listen` runs for days and may take a burst of large bodies: the allocator commits memory
/// only as it is used and hands freed pages back to the system at once instead of caching
/// them, so memory returns to its resting level after the burst. Short commands keep the
/// faster defaults.
fn return_freed_memory_at_once() {
    // Options of mimalloc 3's `mimalloc.h`; the crate names no constants for them.
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets two allocator options by value, before any other thread is started.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}
