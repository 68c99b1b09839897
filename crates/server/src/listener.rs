//! Listening sockets, the accept loop and the periodic server cron.

use crate::conn::{serve, ConnInfo};
use ember_core::{Config, Engine};
use parking_lot::Mutex;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A bound server, ready to run.
pub struct Server {
    pub engine: Arc<Mutex<Engine>>,
    listeners: Vec<TcpListener>,
    /// The TCP port actually bound (useful with `port 0`).
    pub port: u16,
    pub shutdown: Arc<Notify>,
}

impl Server {
    /// Binds every address of `bind` on `port` (an address prefixed by `-` may
    /// fail silently, as in Redis). With port 0, all addresses share the port the
    /// first one was given.
    pub async fn bind(engine: Engine) -> std::io::Result<Server> {
        let config: Config = engine.config.clone();
        let mut listeners = Vec::new();
        let mut port = config.port;
        for addr in &config.bind {
            let (optional, host) = match addr.strip_prefix('-') {
                Some(h) => (true, h),
                None => (false, addr.as_str()),
            };
            let hosts: Vec<&str> = if host == "*" {
                vec!["0.0.0.0"]
            } else {
                vec![host]
            };
            for h in hosts {
                let sock: SocketAddr = match format!("{h}:{port}")
                    .parse()
                    .or_else(|_| format!("[{h}]:{port}").parse())
                {
                    Ok(s) => s,
                    Err(_) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            format!("Invalid bind address '{h}'"),
                        ))
                    }
                };
                match TcpListener::bind(sock).await {
                    Ok(l) => {
                        if port == 0 {
                            port = l.local_addr()?.port();
                        }
                        listeners.push(l);
                    }
                    Err(e) if optional && e.kind() != std::io::ErrorKind::AddrInUse => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(Server {
            engine: Arc::new(Mutex::new(engine)),
            listeners,
            port,
            shutdown: Arc::new(Notify::new()),
        })
    }

    /// Serves until SHUTDOWN (or the shutdown notifier) fires.
    pub async fn run(self) {
        let connected = Arc::new(AtomicUsize::new(0));
        for listener in self.listeners {
            let engine = self.engine.clone();
            let shutdown = self.shutdown.clone();
            let connected = connected.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((mut stream, peer)) = listener.accept().await else {
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    let maxclients = engine.lock().config.maxclients as usize;
                    if connected.load(Ordering::Relaxed) >= maxclients {
                        engine.lock().stats.rejected_connections += 1;
                        let _ = stream
                            .write_all(b"-ERR max number of clients reached\r\n")
                            .await;
                        continue;
                    }
                    connected.fetch_add(1, Ordering::Relaxed);
                    let info = ConnInfo {
                        addr: peer.to_string(),
                        laddr: stream
                            .local_addr()
                            .map(|a| a.to_string())
                            .unwrap_or_default(),
                        fd: raw_fd(&stream),
                    };
                    let engine = engine.clone();
                    let shutdown = shutdown.clone();
                    let connected = connected.clone();
                    tokio::spawn(async move {
                        serve(stream, engine, info, shutdown).await;
                        connected.fetch_sub(1, Ordering::Relaxed);
                    });
                }
            });
        }
        let cron_engine = self.engine.clone();
        tokio::spawn(async move {
            loop {
                let hz = cron_engine.lock().config.hz.clamp(1, 500);
                tokio::time::sleep(Duration::from_millis(1000 / hz as u64)).await;
                cron_engine.lock().cron();
            }
        });
        self.shutdown.notified().await;
    }
}

#[cfg(unix)]
fn raw_fd(s: &tokio::net::TcpStream) -> i64 {
    use std::os::fd::AsRawFd;
    s.as_raw_fd() as i64
}

#[cfg(not(unix))]
fn raw_fd(_: &tokio::net::TcpStream) -> i64 {
    -1
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

/// Starts a server for `engine` on a background thread with its own tokio
/// runtime; returns once it is listening.
pub fn start_background(engine: Engine) -> std::io::Result<ServerHandle> {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("ember-server".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
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
                        let _ = tx.send(Err(e));
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
