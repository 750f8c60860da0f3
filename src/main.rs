//! `tessera-server`: starts a Tessera server.
//!
//! Start-up order: configuration (exit 1 with a message naming file and line on error),
//! transparent huge pages off, daemonize, logging, locked-memory limit, pid file, the snapshot to
//! load (opened now, read once the executors run), then one executor per shard until shutdown.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::RwLock;
use std::time::Instant;

use tessera::commands::build_table;
use tessera::config::Config;
use tessera::server::doorbell::Doorbell;
use tessera::server::shared::{install, Shared};
use tessera::server::{expiry, idle_clients, net, process, runtime, signals};
use tessera::storage::clock::UnixMillis;

#[global_allocator]
static GLOBAL: tessera::server::allocator::CountingMimalloc =
    tessera::server::allocator::CountingMimalloc;

/// Locked memory each executor's rings need; glommio registers its I/O buffers.
const MEMLOCK_PER_SHARD: u64 = 1 << 20;

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("{msg}");
    tracing::error!("{msg}");
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match tessera::config::load_from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(e.exit_code());
        }
    };
    if config.flag(tessera::config::Id::DisableThp) {
        process::disable_transparent_huge_pages();
    }
    if config.daemonize() {
        if let Err(e) = process::daemonize() {
            fail(e);
        }
    }
    let logfile = config
        .logfile_path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if let Err(e) = process::init_logging(&logfile, config.loglevel()) {
        fail(e);
    }
    let cpus: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let cpus = if cpus.is_empty() { vec![0] } else { cpus };
    let nr = config.threads().max(1);
    if let Err(e) = process::raise_memlock_limit(MEMLOCK_PER_SHARD * nr as u64) {
        fail(e);
    }
    let pidfile: Option<PathBuf> = config.pidfile().or_else(|| {
        config
            .daemonize()
            .then(|| PathBuf::from("/var/run/tessera.pid"))
    });
    if let Some(p) = &pidfile {
        if let Err(e) = process::write_pidfile(p) {
            tracing::warn!("{e}");
        }
    }
    if let Err(e) = tessera::persistence::load::prepare(&config) {
        fail(e);
    }
    let shared = install(shared_state(config, nr));
    let (bind, port) = {
        let c = shared.config.read().expect("config lock");
        (c.bind().to_vec(), c.port())
    };
    tracing::info!(
        port,
        shards = nr,
        pid = std::process::id(),
        "Tessera {} starting",
        env!("CARGO_PKG_VERSION")
    );
    signals::block_stop_signals();
    signals::spawn_waiter();
    let listeners = net::listener::listen_all(&bind, port).unwrap_or_else(|e| fail(e));
    let listeners: Vec<std::os::fd::RawFd> = listeners
        .into_iter()
        .map(std::os::fd::IntoRawFd::into_raw_fd)
        .collect();
    let r = runtime::run_shards(shared, &cpus, move |id| {
        let listeners = listeners.clone();
        async move {
            let listeners = listeners.iter().map(|&fd| dup_listener(fd)).collect();
            glommio::spawn_local(expiry::run()).detach();
            glommio::spawn_local(idle_clients::run()).detach();
            tessera::persistence::on_shard_start(id);
            if id == tessera::replication::inbox::APPLIER_SHARD {
                glommio::spawn_local(tessera::replication::applier::run()).detach();
            }
            net::driver::run(listeners).await;
        }
    });
    if let Some(p) = &pidfile {
        process::remove_pidfile(p);
    }
    if let Err(e) = r {
        fail(e);
    }
    tracing::info!("Tessera is now ready to exit, bye bye...");
}

/// An executor's own handle on a shared listening socket.
fn dup_listener(fd: std::os::fd::RawFd) -> std::os::fd::OwnedFd {
    // SAFETY: `fd` is a listening socket that stays open for the life of the process.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    borrowed
        .try_clone_to_owned()
        .unwrap_or_else(|e| fail(format!("dup of the listening socket: {e}")))
}

fn shared_state(config: Config, nr: usize) -> Shared {
    Shared {
        databases: config.databases(),
        port: config.port(),
        config: RwLock::new(config),
        table: build_table(),
        nr_shards: nr,
        doorbells: (0..nr)
            .map(|_| Doorbell::new().unwrap_or_else(|e| fail(format!("eventfd: {e}"))))
            .collect(),
        run_id: Shared::random_run_id(),
        started: Instant::now(),
        started_wall: UnixMillis::now(),
        next_client_id: AtomicU64::new(1),
        shutting_down: AtomicBool::new(false),
        last_save: AtomicU64::new(UnixMillis::now().as_secs()),
        clients: AtomicU64::new(0),
    }
}
