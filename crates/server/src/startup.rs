//! The `ember-server` process: command line and config file, logging,
//! daemonizing, pidfile, the runtime, signals and the startup/shutdown log
//! lines that supervisors and test harnesses wait for.

use crate::config_file::{self, ConfigError, Directive};
use crate::logging::{self, LogLevel};
use crate::Server;
use ember_core::config::apply_directive;
use ember_core::{Config, Engine, REDIS_VERSION};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Directives that only appear in config files and that Ember accepts but does
/// not act on yet (logged as warnings instead of failing the start).
const FILE_ONLY_UNSUPPORTED: &[&str] = &["sentinel"];

fn cli() -> clap::Command {
    clap::Command::new("ember-server")
        .about("Ember: a Redis 7.0-compatible in-memory data server")
        .override_usage(
            "ember-server [/path/to/redis.conf] [options] [-]\n       \
             ember-server - (read config from stdin)\n       \
             ember-server -v or --version\n       \
             ember-server -h or --help",
        )
        .after_help(
            "Examples:\n       ember-server (run the server with default config)\n       \
             ember-server /etc/redis/redis.conf\n       ember-server --port 7777\n       \
             ember-server /etc/myredis.conf --loglevel verbose -\n       \
             ember-server /etc/myredis.conf --loglevel verbose\n\n\
             Options are redis.conf directives written as --name value.",
        )
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue)
                .help("Print version"),
        )
        .arg(
            clap::Arg::new("args")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true)
                .value_name("CONFIG AND OPTIONS"),
        )
}

fn version_line() -> String {
    format!("Ember server v={VERSION} redis_version={REDIS_VERSION} bits=64 build=rust")
}

/// Entry point of the `ember-server` binary; returns the process exit code.
pub fn main_with_args(argv: Vec<String>) -> i32 {
    // Only a leading -v/-h is ours; anything else is a redis-server style option list.
    let first = argv.get(1).map(String::as_str);
    if matches!(first, Some("-v" | "--version" | "-h" | "--help")) {
        let m = match cli().try_get_matches_from(&argv[..2]) {
            Ok(m) => m,
            Err(e) => {
                let _ = e.print();
                return 0;
            }
        };
        if m.get_flag("version") {
            println!("{}", version_line());
        }
        return 0;
    }
    let config = match load_config(&argv[1..]) {
        Ok(c) => c,
        Err(e) => {
            e.report();
            return 1;
        }
    };
    run(config)
}

/// Reads the config file (if any) and the `--name value` options into a Config.
pub fn load_config(args: &[String]) -> Result<Config, ConfigError> {
    let (path, extra) = config_file::args_to_config_text(args)?;
    let text = config_file::assemble_config(path.as_deref(), &extra)?;
    let mut config = Config::default();
    if let Some(p) = &path {
        if p != "-" {
            config.config_file = std::fs::canonicalize(p)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| p.clone());
        }
    }
    let mut deferred_warnings = Vec::new();
    let mut command_names = None;
    config_file::visit_config_bytes(&text, |d: Directive| {
        // ACL users, checked now and loaded when the engine is built.
        if d.name == "user" && !d.args.is_empty() {
            let user = ember_core::acl::file::check_config_user(&d.args, &config.acl_users)
                .map_err(|msg| ConfigError::at(&d, msg))?;
            config.acl_users.push(user);
            return Ok(());
        }
        if d.name == "rename-command" && d.args.len() == 2 {
            let known =
                command_names.get_or_insert_with(ember_core::acl::file::known_command_names);
            ember_core::acl::file::check_rename(known, &d.args[0], &d.args[1])
                .map_err(|msg| ConfigError::at(&d, msg))?;
            config
                .renamed_commands
                .push((d.args[0].clone(), d.args[1].clone()));
            return Ok(());
        }
        if d.name == "loadmodule" && !d.args.is_empty() {
            config
                .load_modules
                .push(String::from_utf8_lossy(&d.args[0]).into_owned());
            return Ok(());
        }
        if FILE_ONLY_UNSUPPORTED.contains(&d.name.as_str()) {
            deferred_warnings.push(format!(
                "Config directive '{}' is not supported by Ember yet; ignored",
                d.name
            ));
            return Ok(());
        }
        match apply_directive(&mut config, &d.name, &d.args) {
            Ok(()) => Ok(()),
            Err(msg) => Err(ConfigError::at(&d, msg)),
        }
    })?;
    // Redis checks that the log file opens only after the whole file is read.
    logging::init(&config.loglevel, logfile_path(&config), 'C').map_err(ConfigError::general)?;
    for w in deferred_warnings {
        warn!("{w}");
    }
    Ok(config)
}

fn logfile_path(config: &Config) -> Option<&Path> {
    if config.logfile.is_empty() {
        None
    } else {
        Some(Path::new(&config.logfile))
    }
}

/// Runs a configured server until SHUTDOWN or a signal; returns the exit code.
pub fn run(mut config: Config) -> i32 {
    let pid = std::process::id();
    logging::log_raw(
        'C',
        LogLevel::Warning,
        "oO0OoO0OoO0Oo Ember is starting oO0OoO0OoO0Oo",
    );
    if config.daemonize {
        if config.pidfile.is_empty() {
            config.pidfile = "/var/run/redis.pid".into();
        }
        if let Err(e) = daemonize() {
            eprintln!("Can't daemonize: {e}");
            return 1;
        }
        if config.logfile.is_empty() {
            // A daemon's stdout is /dev/null, as in Redis.
            let _ = logging::set_logfile(Some(Path::new("/dev/null")));
        }
    }
    let pid_after = std::process::id();
    let _ = pid;
    warn!(
        "Ember version={VERSION}, redis_version={REDIS_VERSION}, bits=64, pid={pid_after}, just started"
    );
    if config.config_file.is_empty() && config.port == 6379 {
        warn!("Warning: no config file specified, using the default config. In order to specify a config file use ember-server /path/to/redis.conf");
    } else {
        warn!("Configuration loaded");
    }
    logging::set_role('M');
    if !config.pidfile.is_empty() {
        if let Err(e) = std::fs::write(&config.pidfile, format!("{pid_after}\n")) {
            warn!("Failed to write PID file: {e}");
        }
    }
    let pidfile = config.pidfile.clone();
    let threads = config.io_threads.max(1) as usize;
    let runtime = if threads > 1 {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .event_interval(crate::listener::EVENT_INTERVAL)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .event_interval(crate::listener::EVENT_INTERVAL)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            warn!("Can't start the runtime: {e}");
            return 1;
        }
    };
    let code = runtime.block_on(serve(config));
    if !pidfile.is_empty() {
        let _ = std::fs::remove_file(&pidfile);
    }
    code
}

async fn serve(config: Config) -> i32 {
    let show_logo = config.always_show_logo;
    let port = config.port;
    let busy_poll = crate::poll::wanted(config.io_threads);
    let builder = ember_persistence::install(Engine::builder().config(config));
    let engine = ember_replication::install(builder)
        .config_hook(crate::oom::config_hook)
        .build();
    if crate::oom::apply(&engine).is_err() {
        warn!("Failed to set the initial oom_score_adj");
    }
    let mut server = match Server::bind(engine).await {
        Ok(s) => s,
        Err(e) => {
            info!("monotonic clock: POSIX clock_gettime");
            let kind = if e.port == 0 { "unix socket" } else { "TCP" };
            warn!("Warning: {e}");
            if e.port == 0 {
                warn!("Failed opening Unix socket: {}", e.error);
            } else {
                warn!("Failed listening on port {} ({kind}), aborting.", e.port);
            }
            return 1;
        }
    };
    info!("monotonic clock: POSIX clock_gettime");
    if show_logo {
        print_logo(server.port);
    } else {
        info!(
            "Running mode=standalone, port={}.",
            if port == 0 { server.port } else { port }
        );
    }
    warn!("Server initialized");
    // `user` lines or the `aclfile` that failed to load stop the start (Redis
    // loads them right after initializing, and exits on errors).
    let acl_error = server.engine.lock().acl.startup_error.clone();
    if let Some(err) = acl_error {
        for line in err.lines() {
            warn!("{line}");
        }
        return 1;
    }
    // A module cannot be loaded: Redis stops at the first that fails.
    let module = server.engine.lock().config.load_modules.first().cloned();
    if let Some(path) = module {
        warn!("Module {path} failed to load: Ember does not load Redis modules");
        warn!("Can't load module from {path}: server aborting");
        return 1;
    }
    let engine = server.engine.clone();
    // Redis sets jemalloc's background thread once the server is initialized.
    ember_core::cmd::memory::apply_background_thread(&engine.lock().config);
    let shutdown = server.shutdown.clone();
    // The dataset loads on a thread of its own while connections are
    // served: commands without the `loading` flag get -LOADING until it is
    // in. A failed load stops the server without saving.
    let load_failed = load_dataset(&engine, &shutdown);
    // Signals: SIGTERM and SIGINT shut down as SHUTDOWN would, with the
    // flags of shutdown-on-sigterm / -sigint; when the final save fails
    // (without `force`) the server keeps running, as Redis does.
    let sig_shutdown = shutdown.clone();
    let sig_engine = engine.clone();
    tokio::spawn(async move {
        use ember_core::engine::ShutdownRequest;
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            warn!("Received {name} scheduling shutdown...");
            let may_exit = {
                let mut eng = sig_engine.lock();
                let flags = if name == "SIGTERM" {
                    eng.config.shutdown_on_sigterm
                } else {
                    eng.config.shutdown_on_sigint
                };
                // Bits: 0 save, 1 nosave, 2 now, 3 force.
                eng.shutdown = Some(if flags & 2 != 0 {
                    ShutdownRequest::NoSave
                } else if flags & 1 != 0 {
                    ShutdownRequest::Save
                } else {
                    ShutdownRequest::Default
                });
                ember_persistence::prepare_shutdown(&mut eng, flags & 8 != 0)
            };
            if may_exit {
                break;
            }
            warn!("{name} received but errors trying to shut down the server, check the logs for more information");
        }
        sig_shutdown.notify_waiters();
        sig_shutdown.notify_one();
    });
    // Follow CONFIG SET loglevel / logfile.
    let watch_engine = engine.clone();
    tokio::spawn(async move {
        let mut level = String::new();
        loop {
            let current = watch_engine.lock().config.loglevel.clone();
            if current != level {
                let _ = logging::set_level(&current);
                level = current;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    server.busy_poll = busy_poll;
    server.run().await;
    if load_failed.load(std::sync::atomic::Ordering::SeqCst) {
        return 1;
    }
    warn!("User requested shutdown...");
    // Never save on shutdown while loading (Redis's prepareForShutdown).
    if engine.lock().loading {
        warn!("Ember is now ready to exit, bye bye...");
        return 0;
    }
    if let Err(e) = ember_persistence::aof::shutdown(&mut engine.lock()) {
        warn!("{e}");
    }
    if let Err(e) = ember_persistence::save_on_shutdown(&mut engine.lock()) {
        warn!("Error trying to save the DB, can't exit: {e}");
    }
    warn!("Ember is now ready to exit, bye bye...");
    0
}

fn print_logo(port: u16) {
    let pid = std::process::id();
    let logo = format!(
        "\n        (  )          Ember {VERSION} (Redis {REDIS_VERSION} compatible) 64 bit\n       (    )\n      ( (  ) )        Running in standalone mode\n       \\ \\/ /         Port: {port}\n        \\  /          PID: {pid}\n     ____\\/____\n"
    );
    println!("{logo}");
}

/// Forks into the background like Redis's daemonize(): the parent exits, the
/// child starts a new session with stdio on /dev/null. Must run before any
/// thread is started.
fn daemonize() -> std::io::Result<()> {
    // SAFETY: called before the runtime or any other thread exists, so fork()
    // duplicates a single-threaded process; the child only continues normal Rust code.
    unsafe {
        match libc::fork() {
            -1 => return Err(std::io::Error::last_os_error()),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if devnull >= 0 {
            libc::dup2(devnull, 0);
            libc::dup2(devnull, 1);
            libc::dup2(devnull, 2);
            if devnull > 2 {
                libc::close(devnull);
            }
        }
    }
    Ok(())
}

/// Loads the dataset at startup (the AOF when `appendonly yes`, else the
/// RDB file) on a blocking thread, the engine in the loading state from now
/// on (at once, without the loading state, when there is no file); logs "Ready to accept connections" once it is in. Errors are logged
/// by the loader; they set the returned flag and stop the server, as a
/// failed load stops Redis.
fn load_dataset(
    engine: &Arc<parking_lot::Mutex<Engine>>,
    shutdown: &Arc<tokio::sync::Notify>,
) -> Arc<std::sync::atomic::AtomicBool> {
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let has_data = ember_persistence::reload::has_data_to_load(&engine.lock().config);
    if !has_data {
        // Nothing to read: finish the start (AOF files, manifest) before the
        // first client is served, so nobody sees -LOADING for an empty load.
        return match ember_persistence::reload::load_at_startup(engine) {
            Ok(()) => {
                info!("Ready to accept connections");
                failed
            }
            Err(_) => {
                failed.store(true, std::sync::atomic::Ordering::SeqCst);
                shutdown.notify_one();
                failed
            }
        };
    }
    ember_persistence::reload::begin_loading(&mut engine.lock(), 0);
    let (load_engine, stop, flag) = (engine.clone(), shutdown.clone(), failed.clone());
    // A plain thread, not `spawn_blocking`: the runtime waits for its
    // blocking tasks when it is dropped, so SHUTDOWN during a long load
    // would only exit once the load is done. Redis exits at once.
    let spawned = std::thread::Builder::new()
        .name("load".into())
        .spawn(move || {
            let result = ember_persistence::reload::load_at_startup(&load_engine);
            ember_persistence::reload::end_loading(&mut load_engine.lock());
            match result {
                Ok(()) => info!("Ready to accept connections"),
                Err(_) => {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    stop.notify_waiters();
                    stop.notify_one();
                }
            }
        });
    if let Err(e) = spawned {
        warn!("Can't start the loading thread: {e}");
        failed.store(true, std::sync::atomic::Ordering::SeqCst);
        shutdown.notify_one();
    }
    failed
}
