//! `tessera-server`: starts a Tessera server.

use mimalloc::MiMalloc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::RwLock;
use std::time::Instant;

use tessera::commands::build_table;
use tessera::config::Config;
use tessera::server::doorbell::Doorbell;
use tessera::server::shared::{install, Shared};
use tessera::server::{expiry, net, runtime, signals};
use tessera::storage::clock::UnixMillis;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn parse_args() -> Config {
    let mut c = Config::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--port" => c.port = args[i + 1].parse().expect("port"),
            "--threads" => c.threads = args[i + 1].parse().expect("threads"),
            "--bind" => c.bind = vec![args[i + 1].clone()],
            _ => {}
        }
        i += 2;
    }
    c
}

fn main() {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let config = parse_args();
    let lim = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit with a valid struct; failure is tolerated (checked by glommio later).
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &lim) };
    let cpus: Vec<usize> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let cpus = if cpus.is_empty() { vec![0] } else { cpus };
    let nr = if config.threads == 0 {
        cpus.len()
    } else {
        config.threads
    };
    let shared = install(Shared {
        databases: config.databases,
        port: config.port,
        config: RwLock::new(config),
        table: build_table(),
        nr_shards: nr,
        doorbells: (0..nr).map(|_| Doorbell::new().expect("eventfd")).collect(),
        run_id: Shared::random_run_id(),
        started: Instant::now(),
        started_wall: UnixMillis::now(),
        next_client_id: AtomicU64::new(1),
        shutting_down: AtomicBool::new(false),
        last_save: AtomicU64::new(UnixMillis::now().as_secs()),
        clients: AtomicU64::new(0),
    });
    let (bind, port) = {
        let c = shared.config.read().unwrap();
        (c.bind.clone(), c.port)
    };
    tracing::info!(port, shards = nr, "Tessera starting");
    signals::block_stop_signals();
    signals::spawn_waiter();
    let r = runtime::run_shards(shared, &cpus, move |_id| {
        let bind = bind.clone();
        async move {
            let listeners = match net::listener::listen_all(&bind, port) {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!("{e}");
                    std::process::exit(1);
                }
            };
            glommio::spawn_local(expiry::run()).detach();
            net::driver::run(listeners).await;
        }
    });
    if let Err(e) = r {
        tracing::error!("{e}");
        std::process::exit(1);
    }
    tracing::info!("Tessera is now ready to exit, bye bye...");
}
