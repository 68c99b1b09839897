//! Listening sockets: binding `bind` on `port` as Redis does, at start and
//! again when CONFIG SET changes either (Redis's changeListenPort and
//! applyBind). The new sockets are bound inside the CONFIG SET, so a port
//! in use fails the command and rolls it back; the running server then
//! swaps its accept loops over to them.

use crate::listener::BindError;
use ember_core::{Config, Engine};
use std::net::{SocketAddr, TcpListener};
use tokio::sync::mpsc::UnboundedSender;

/// The running server's end for new listeners (kept in `engine.ext`), and
/// a second descriptor of each current listener, so that a bind change can
/// stop them listening (shutdown) before binding the new addresses.
pub struct Rebind {
    tx: UnboundedSender<Vec<TcpListener>>,
    current: Vec<socket2::Socket>,
    /// The port bound (the one chosen when `port` is 0, embedded servers).
    port: u16,
}

impl Rebind {
    pub fn new(
        tx: UnboundedSender<Vec<TcpListener>>,
        current: &[TcpListener],
        port: u16,
    ) -> Rebind {
        Rebind {
            tx,
            current: duplicates(current),
            port,
        }
    }

    /// Hands `listeners` (bound on `port`) to the server, which drops the
    /// old ones.
    fn install(&mut self, (listeners, port): (Vec<TcpListener>, u16)) {
        self.current = duplicates(&listeners);
        self.port = port;
        let _ = self.tx.send(listeners);
    }

    /// Stops the current listeners listening (their accept loops end with
    /// the next install), freeing their addresses.
    fn stop_listening(&self) {
        for s in &self.current {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn duplicates(listeners: &[TcpListener]) -> Vec<socket2::Socket> {
    listeners
        .iter()
        .filter_map(|l| l.try_clone().ok())
        .map(socket2::Socket::from)
        .collect()
}

/// A listening socket as Redis makes one: SO_REUSEADDR, and IPv6 sockets
/// IPv6-only (so `* -::*` binds both wildcards on one port), with
/// `tcp-backlog` as the listen backlog.
fn listen_tcp(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(backlog.min(i32::MAX as u32) as i32)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Binds every address of `bind` on `port` (an address prefixed by `-` may
/// be unavailable, as in Redis); with port 0, all share the port the first
/// one was given. Returns the listeners and the port.
pub fn bind_tcp(
    bind: &[String],
    port: u16,
    backlog: u32,
) -> Result<(Vec<TcpListener>, u16), BindError> {
    let mut listeners = Vec::new();
    let mut port = port;
    for addr in bind {
        let (optional, host) = match addr.strip_prefix('-') {
            Some(h) => (true, h),
            None => (false, addr.as_str()),
        };
        // Redis's wildcards: `*` any IPv4 address, `::*` any IPv6 one.
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            h => h,
        };
        let fail = |error| BindError {
            addr: addr.trim_start_matches('-').to_string(),
            port,
            error,
        };
        let sock: SocketAddr = format!("{host}:{port}")
            .parse()
            .or_else(|_| format!("[{host}]:{port}").parse())
            .map_err(|_| {
                fail(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "invalid address",
                ))
            })?;
        match listen_tcp(sock, backlog) {
            Ok(l) => {
                if port == 0 {
                    port = l.local_addr().map_err(fail)?.port();
                }
                listeners.push(l);
            }
            Err(e) if optional && e.kind() != std::io::ErrorKind::AddrInUse => {}
            Err(e) => return Err(fail(e)),
        }
    }
    Ok((listeners, port))
}

/// CONFIG SET port / bind, as Redis: a new port is bound before the old one
/// closes; new addresses replace the old ones, which stop listening first
/// (they may overlap) and are bound again if the new ones fail. A failure
/// is Redis's error and undoes the command.
pub fn config_hook(engine: &mut Engine, old: &Config) -> Result<(), String> {
    let c = engine.config.clone();
    if c.port == old.port && c.bind == old.bind {
        return Ok(());
    }
    let Some(rebind) = engine.ext.get_mut::<Rebind>() else {
        return Ok(());
    };
    // The port wanted: `port 0` (an embedded server's "any port") keeps the
    // one in use, so undoing a failed change back to 0 stays put.
    let port = if c.port == 0 { rebind.port } else { c.port };
    let port_changed = port != rebind.port;
    if !port_changed && c.bind == old.bind {
        return Ok(());
    }
    if !port_changed {
        rebind.stop_listening();
    }
    match bind_tcp(&c.bind, port, c.tcp_backlog) {
        Ok(bound) => {
            // The old port closes before the reply, as in Redis (the accept
            // loops move over a moment later).
            rebind.stop_listening();
            rebind.install(bound);
            Ok(())
        }
        Err(e) => {
            tracing::warn!("Could not create server TCP listening socket {e}");
            let (param, why) = if port_changed {
                ("port", "Unable to listen on this port. Check server logs.")
            } else {
                tracing::warn!("Failed to bind, trying to restore old listening sockets.");
                match bind_tcp(&old.bind, port, old.tcp_backlog) {
                    Ok(bound) => rebind.install(bound),
                    Err(e) => tracing::warn!("Failed to restore old listening sockets: {e}"),
                }
                ("bind", "Failed to bind to specified addresses.")
            };
            Err(format!(
                "CONFIG SET failed (possibly related to argument '{param}') - {why}"
            ))
        }
    }
}
