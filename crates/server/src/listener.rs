//! Listening sockets (TCP and unix), the accept loop and the periodic server cron.

use crate::conn::{serve, ConnInfo};
use ember_core::{Config, Engine};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;

/// A bound server, ready to run.
pub struct Server {
    pub engine: Arc<Mutex<Engine>>,
    listeners: Vec<TcpListener>,
    /// Listeners that replace `listeners` after CONFIG SET port or bind.
    rebinds: tokio::sync::mpsc::UnboundedReceiver<Vec<std::net::TcpListener>>,
    unix: Option<UnixListener>,
    /// The TCP port actually bound (useful with `port 0`).
    pub port: u16,
    pub shutdown: Arc<Notify>,
    /// Poll the sockets instead of sleeping while loaded (`poll.rs`); only
    /// for a single-threaded runtime.
    pub busy_poll: bool,
}

/// Why binding failed, with the address for Redis-style log lines.
#[derive(Debug)]
pub struct BindError {
    pub addr: String,
    pub port: u16,
    pub error: std::io::Error,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Could not create server TCP listening socket {}:{}: bind: {}",
            self.addr,
            self.port,
            crate::logging::os_error_text(&self.error)
        )
    }
}

impl Server {
    /// Binds every address of `bind` on `port` (an address prefixed by `-` may
    /// be unavailable, as in Redis), plus `unixsocket` if set. With port 0, all
    /// addresses share the port the first one was given.
    pub async fn bind(mut engine: Engine) -> Result<Server, BindError> {
        let config: Config = engine.config.clone();
        // CONFIG SET port / bind hand new listeners to `run` (rebind.rs).
        let (std_listeners, port) = if config.port != 0 || config.unixsocket.is_empty() {
            crate::rebind::bind_tcp(&config.bind, config.port, config.tcp_backlog)?
        } else {
            (Vec::new(), 0)
        };
        let (tx, rebinds) = tokio::sync::mpsc::unbounded_channel();
        engine
            .ext
            .insert(crate::rebind::Rebind::new(tx, &std_listeners, port));
        engine.config_hooks.push(crate::rebind::config_hook);
        let mut listeners = Vec::new();
        for l in std_listeners {
            let fail = |error| BindError {
                addr: String::new(),
                port,
                error,
            };
            listeners.push(TcpListener::from_std(l).map_err(fail)?);
        }
        let unix = if config.unixsocket.is_empty() {
            None
        } else {
            let _ = std::fs::remove_file(&config.unixsocket);
            let fail = |error| BindError {
                addr: config.unixsocket.clone(),
                port: 0,
                error,
            };
            let l = UnixListener::bind(&config.unixsocket).map_err(fail)?;
            if config.unixsocketperm != 0 {
                use std::os::unix::fs::PermissionsExt;
                let perm = std::fs::Permissions::from_mode(config.unixsocketperm);
                std::fs::set_permissions(&config.unixsocket, perm).map_err(fail)?;
            }
            Some(l)
        };
        Ok(Server {
            engine: Arc::new(Mutex::new(engine)),
            listeners,
            rebinds,
            unix,
            port,
            shutdown: Arc::new(Notify::new()),
            busy_poll: false,
        })
    }

    /// Serves until SHUTDOWN (or the shutdown notifier) fires.
    pub async fn run(self) {
        let gate = Arc::new(Gate {
            engine: self.engine.clone(),
            shutdown: self.shutdown.clone(),
            connected: AtomicUsize::new(0),
        });
        // The TCP accept loops, replaced whole when CONFIG SET port or bind
        // brings new listeners (the old sockets close with their tasks).
        let accept_gate = gate.clone();
        let mut rebinds = self.rebinds;
        let first = self.listeners;
        tokio::spawn(async move {
            let mut tasks: Vec<_> = first
                .into_iter()
                .map(|l| tokio::spawn(accept_tcp(l, accept_gate.clone())))
                .collect();
            while let Some(fresh) = rebinds.recv().await {
                for t in tasks.drain(..) {
                    t.abort();
                }
                for l in fresh {
                    match TcpListener::from_std(l) {
                        Ok(l) => tasks.push(tokio::spawn(accept_tcp(l, accept_gate.clone()))),
                        Err(e) => tracing::warn!("Can't use a new listener: {e}"),
                    }
                }
            }
        });
        if let Some(unix) = self.unix {
            let gate = gate.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = unix.accept().await else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    let path = gate.engine.lock().config.unixsocket.clone();
                    use std::os::fd::AsRawFd;
                    let info = ConnInfo {
                        local: true,
                        addr: format!("{path}:0"),
                        laddr: format!("{path}:0"),
                        fd: stream.as_raw_fd() as i64,
                    };
                    gate.clone().admit(stream, info).await;
                }
            });
        }
        crate::replica_link::spawn_flusher(self.engine.clone());
        crate::replica_link::start_replica_link(self.engine.clone(), self.port);
        crate::background::spawn(&self.engine);
        let cron_engine = self.engine.clone();
        tokio::spawn(async move {
            loop {
                let hz = cron_engine.lock().config.hz.clamp(1, 500);
                tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
                cron_engine.lock().cron();
            }
        });
        if self.busy_poll {
            tokio::spawn(crate::poll::run());
        }
        self.shutdown.notified().await;
    }
}

/// Accepts TCP connections from `listener` until the task is aborted.
async fn accept_tcp(listener: TcpListener, gate: Arc<Gate>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let keepalive = gate.engine.lock().config.tcp_keepalive;
        if keepalive > 0 {
            let ka = socket2::TcpKeepalive::new().with_time(Duration::from_secs(keepalive));
            let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&ka);
        }
        // Redis trusts exactly 127.0.0.1 and ::1 (not all of 127/8).
        let local = match peer.ip() {
            std::net::IpAddr::V4(a) => a == std::net::Ipv4Addr::LOCALHOST,
            std::net::IpAddr::V6(a) => a == std::net::Ipv6Addr::LOCALHOST,
        };
        let info = ConnInfo {
            local,
            addr: peer.to_string(),
            laddr: stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            fd: raw_fd(&stream),
        };
        gate.clone().admit(stream, info).await;
    }
}

/// Admission control shared by all listeners (maxclients) and the task spawner.
struct Gate {
    engine: Arc<Mutex<Engine>>,
    shutdown: Arc<Notify>,
    connected: AtomicUsize,
}

impl Gate {
    async fn admit<S>(self: Arc<Self>, mut stream: S, info: ConnInfo)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let maxclients = self.engine.lock().config.maxclients as usize;
        if self.connected.load(Ordering::Relaxed) >= maxclients {
            self.engine.lock().stats.rejected_connections += 1;
            let _ = stream
                .write_all(b"-ERR max number of clients reached\r\n")
                .await;
            return;
        }
        self.connected.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            serve(stream, self.engine.clone(), info, self.shutdown.clone()).await;
            self.connected.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

fn raw_fd(s: &tokio::net::TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    s.as_raw_fd() as i64
}

/// A server running on its own thread and runtime, for embedding and tests.
pub struct ServerHandle {
    pub port: u16,
    pub engine: Arc<Mutex<Engine>>,
    shutdown: Arc<Notify>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        self.shutdown.notify_waiters();
        self.shutdown.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Tasks the runtime runs between two polls of the sockets (tokio's default
/// is 61). A reply waits for the next poll (conn.rs yields before writing),
/// so this bounds a burst of replies: Redis answers every ready client of an
/// event-loop turn before it sleeps, and a client that finds a thousand
/// replies in one epoll_wait does less work per reply than one woken for
/// every 61 (1000 clients, RPUSH -P 16: 1.36M -> 1.51M rps, Redis 1.46M).
pub(crate) const EVENT_INTERVAL: u32 = 1024;

/// Starts a server for `engine` on a background thread with its own tokio
/// runtime; returns once it is listening.
pub fn start_background(engine: Engine) -> std::io::Result<ServerHandle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("ember-server".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .event_interval(EVENT_INTERVAL)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match Server::bind(engine).await {
                    Ok(server) => {
                        let _ = tx.send(Ok((
                            server.port,
                            server.engine.clone(),
                            server.shutdown.clone(),
                        )));
                        server.run().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(std::io::Error::new(e.error.kind(), e.to_string())));
                    }
                }
            });
        })?;
    let (port, engine, shutdown) = rx
        .recv()
        .map_err(|_| std::io::Error::other("server thread died"))??;
    Ok(ServerHandle {
        port,
        engine,
        shutdown,
        thread: Some(thread),
    })
}
