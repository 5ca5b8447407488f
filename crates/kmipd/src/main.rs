//! kmipd: a KMIP server over mutual TLS.
//!
//! ```text
//! kmipd --config FILE [--port N] [--http-port N] [--data-dir DIR] [--validate]
//! kmipd migrate --from FILE --to FILE [--verify-only]
//! ```
//!
//! At start it prints one line per listener, `listening kmip 127.0.0.1:PORT` then
//! `listening http 127.0.0.1:PORT`, on standard output; logs go to standard error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kmip_server::{Config, Server};

/// jemalloc, not the system's malloc. With glibc's, the memory kmipd freed while it took
/// durable Creates as fast as it could (sled's log buffers and node copies) stayed with the
/// process: filling a sled store to a million keys left kmipd at 396 to 414 MiB, against the
/// 300 MB bound, and at 617 MiB with a single malloc arena; with jemalloc, 266 MiB, and the
/// fill ran no slower (`benches/million-keys.sh`, BENCHMARKS.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A KMIP server over mutual TLS, with a durable key store.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file. Relative paths in it resolve against its directory.
    #[arg(long, default_value = "config.toml")]
    config: PathBuf,
    /// Load and check the configuration, then exit.
    #[arg(long)]
    validate: bool,
    /// The KMIP port, overriding the file (0 picks a free one).
    #[arg(long)]
    port: Option<u16>,
    /// The HTTPS side-API port, overriding the file (0 picks a free one).
    #[arg(long)]
    http_port: Option<u16>,
    /// The data directory, overriding the file.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Copies the store one configuration names into the empty store another names (sled to
    /// PostgreSQL, or back), then compares the two by counts and digests. Stop kmipd first.
    Migrate {
        /// The configuration of the store to copy from.
        #[arg(long)]
        from: PathBuf,
        /// The configuration of the (empty) store to copy into.
        #[arg(long)]
        to: PathBuf,
        /// Only compare the two stores.
        #[arg(long)]
        verify_only: bool,
    },
}

/// `kmipd migrate`: one line per kind of record, then `verified` or the difference.
fn migrate(from: &std::path::Path, to: &std::path::Path, verify_only: bool) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .init();
    let (from, to) = match (Config::read(from), Config::read(to)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("kmipd migrate: {e}");
            return ExitCode::from(2);
        }
    };
    match kmip_server::migrate::between(&from, &to, verify_only) {
        Ok(tallies) => {
            for t in tallies {
                println!("{:?}: {} records, sha256 {}", t.listing, t.count, t.digest);
            }
            println!("verified: both stores hold the same records");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kmipd migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Migrate { from, to, verify_only }) = &args.command {
        return migrate(from, to, *verify_only);
    }
    let mut config = match Config::read(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kmipd: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = args.port {
        config.kmip.listen.set_port(port);
    }
    if let Some(port) = args.http_port {
        config.http.listen.set_port(port);
    }
    if let Some(dir) = args.data_dir {
        config.store.data_dir = dir;
    }
    if args.validate {
        println!("{}: ok", args.config.display());
        return ExitCode::SUCCESS;
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    if config.dev_credentials() {
        tracing::warn!(
            "the side API accepts the DEV credentials (dev-token, dev-ak/dev-sk): remove them from the config for real use"
        );
    }
    if config.store.root_key.passphrase_in_config() {
        tracing::warn!(
            "the store's root key comes from a passphrase written in the config: DEV only; use a key file, or an environment variable"
        );
    }
    if let Some(path) = &config.testing.clock_offset_file {
        tracing::warn!(
            path = %path.display(),
            "TESTING: the clock follows an offset file; whoever can write it can make keys rotate or expire"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kmipd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match Server::bind(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kmipd: {e}");
                return ExitCode::FAILURE;
            }
        };
        match server.kmip_addr() {
            Ok(addr) => println!("listening kmip {addr}"),
            Err(e) => {
                eprintln!("kmipd: {e}");
                return ExitCode::FAILURE;
            }
        }
        match server.http_addr() {
            Ok(addr) => println!("listening http {addr}"),
            Err(e) => {
                eprintln!("kmipd: {e}");
                return ExitCode::FAILURE;
            }
        }
        #[cfg(unix)]
        tokio::spawn(reload_on_sighup(server.tls()));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!("shutting down");
            let _ = stop.send(true);
        });
        server.run(stopped).await;
        ExitCode::SUCCESS
    })
}

/// On SIGHUP, reads the certificate, key, CA and CRL files again: new connections use them,
/// open ones carry on. A bad file leaves the old configuration in place.
#[cfg(unix)]
async fn reload_on_sighup(tls: std::sync::Arc<kmip_server::tls::TlsState>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return tracing::warn!("cannot listen for SIGHUP: certificates reload only on restart");
    };
    while hangups.recv().await.is_some() {
        match tls.reload() {
            Ok(()) => tracing::info!("SIGHUP: TLS certificates reloaded"),
            Err(e) => tracing::error!(error = %e, "SIGHUP: TLS reload failed; the old certificates stay"),
        }
    }
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return ctrl_c.await.unwrap_or_default(),
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await.unwrap_or_default();
}
