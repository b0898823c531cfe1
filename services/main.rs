//! `gba-grants`: parse the command line and run it.

use std::time::Duration;

use clap::Parser;

/// mimalloc instead of the system allocator: a call allocates and frees
/// many small buffers (headers, frames, rows, messages), and glibc's
/// malloc took a fifth of the server's CPU on a point read (BENCHMARKS.md).
/// Built without transparent huge pages (`no_thp`): with them, an idle
/// watcher's memory was 1.4–1.9 times a bare tonic server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = gba_grants::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("gba-grants: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(gba_grants::cli::run(cli));
    // Whatever is still running after a drain (a call stuck on the
    // database) is not waited for: the exit stays within the grace period.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("gba-grants: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
