//! Ember as a replica (of Ember or of redis-server): REPLICAOF/SLAVEOF, the
//! replica's state (link, offsets, cached master for PSYNC2), its INFO
//! replication block and ROLE, and promotion with REPLICAOF NO ONE.
//!
//! The link itself ([`link`]) is a thread with a blocking socket: it holds
//! the engine lock only to apply what it received, never during network I/O.
//! It needs the `Arc<Mutex<Engine>>`, which the front end hands over once at
//! startup with [`register`]; an engine without one (embedded) keeps the
//! replica state but has no link.

pub mod link;
pub mod stream;
#[cfg(test)]
mod tests;

use crate::{master, state as repl_state};
use ember_core::args::{self, Args};
use ember_core::client::{ClientId, ClientKind};
use ember_core::command::{acl, flags, Handler};
use ember_core::{Bytes, CmdError, CmdResult, Command, Ctx, Engine, Reply};
use parking_lot::Mutex;
use std::fmt::Write;
use std::sync::{Arc, OnceLock, Weak};

/// Where the link is (Redis's repl_state, handshake states folded into one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LinkState {
    #[default]
    None,
    Connect,
    Connecting,
    Handshake,
    Transfer,
    Connected,
}

/// The master state kept across a link drop (Redis's cached_master), or our
/// own when a master becomes a replica: what the next PSYNC asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    pub replid: String,
    /// Offset of the last byte applied (PSYNC asks for offset + 1).
    pub offset: u64,
    /// Database the master's stream had selected.
    pub db: usize,
}

/// Progress of a full-sync transfer (INFO's master_sync_* fields).
#[derive(Clone, Debug, Default)]
pub struct Transfer {
    /// Payload size, -1 for an EOF-marked (diskless) transfer.
    pub total: i64,
    pub read: u64,
    pub last_io_ms: i64,
}

/// The replica side's state in the engine's extensions.
#[derive(Default)]
pub struct ReplicaState {
    pub master: Option<(String, u16)>,
    /// Bumped by every REPLICAOF: a link thread of an older generation stops.
    pub generation: u64,
    pub link: LinkState,
    /// The client executing the master's stream, while the link is up.
    pub master_client: Option<ClientId>,
    /// Offset of the last byte of the master's stream applied (`slave_repl_offset`).
    pub reploff: u64,
    /// Offset of the last byte read (`slave_read_repl_offset`).
    pub read_reploff: u64,
    /// Last time data came from the master (ms).
    pub last_io_ms: i64,
    /// When the link went down (ms, 0 = never up since becoming a replica).
    pub down_since_ms: i64,
    pub transfer: Option<Transfer>,
    pub cached: Option<Cached>,
    /// The shared engine, for starting link threads (set by [`register`]).
    pub handle: Option<Weak<Mutex<Engine>>>,
    /// The port we listen on (`REPLCONF listening-port`).
    pub port: u16,
}

pub fn state(engine: &mut Engine) -> &mut ReplicaState {
    engine.ext.get_or_default::<ReplicaState>()
}

fn peek(engine: &Engine) -> Option<&ReplicaState> {
    engine.ext.get::<ReplicaState>()
}

/// This server is a replica and its master link is up.
pub fn is_connected_replica(e: &Engine) -> bool {
    e.is_replica && peek(e).is_some_and(|s| s.link == LinkState::Connected)
}

/// On a replica with a live link, the database the master's stream selects
/// (the `repl-stream-db` of snapshots made for sub-replicas).
pub fn stream_db(e: &Engine) -> Option<usize> {
    let s = peek(e)?;
    let id = s.master_client?;
    e.clients.get(&id).map(|c| c.db)
}

/// Hands the shared engine to the replication layer (the front end calls it
/// once listening on `port`) and starts the link if `replicaof` is configured.
pub fn register(engine: &Arc<Mutex<Engine>>, port: u16) {
    let mut e = engine.lock();
    let st = state(&mut e);
    st.handle = Some(Arc::downgrade(engine));
    st.port = port;
    if let Some((host, port)) = e.config.replicaof.clone() {
        set_master(&mut e, host, port);
    }
}

/// Rows added by this layer (REPLICAOF, SLAVEOF and a ROLE that knows replicas).
pub fn commands() -> Vec<Command> {
    use flags::*;
    let f = ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING;
    let a = acl::ADMIN | acl::SLOW | acl::DANGEROUS;
    let role = master::commands()
        .into_iter()
        .find(|c| c.name == "role")
        .expect("master layer has ROLE");
    let _ = MASTER_ROLE.set(role.handler.expect("ROLE has a handler"));
    vec![
        Command::new("replicaof", 3, f, a, replicaof),
        Command::new("slaveof", 3, f, a, replicaof),
        Command::new("role", role.arity, role.flags, role.acl, role_cmd),
    ]
}

static MASTER_ROLE: OnceLock<Handler> = OnceLock::new();

/// Marks an engine driven in-process (`ember::Ember`): it has no shared
/// handle for a link thread, so REPLICAOF host port is refused rather than
/// recording a master it would never connect to.
pub struct Embedded;

/// Set by the embedded front end on its engine (see [`Embedded`]).
pub fn mark_embedded(engine: &mut Engine) {
    engine.ext.insert(Embedded);
}

const EMBEDDED_REFUSAL: &str = "REPLICAOF is not available in an embedded Ember instance \
     (it has no network link); run a server (ember::start_server) to replicate";

fn replicaof(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let host = args.next()?.clone();
    let port = args.next()?.clone();
    if args::is(&host, "no") && args::is(&port, "one") {
        if ctx.engine.is_replica {
            let who = client_line(ctx);
            promote(ctx.engine);
            tracing::info!("MASTER MODE enabled (user request from '{who}')");
        }
        return Ok(Reply::OK);
    }
    if ctx.client().kind == ClientKind::Replica {
        return Err(CmdError::err(
            "Command is not valid when client is a replica.",
        ));
    }
    if ctx.engine.ext.get::<Embedded>().is_some() {
        return Err(CmdError::err(EMBEDDED_REFUSAL));
    }
    let port = match args::parse_i64(&port) {
        Ok(p) if (0..=65535).contains(&p) => p as u16,
        _ => return Err(CmdError::err("Invalid master port")),
    };
    let host = String::from_utf8_lossy(&host).into_owned();
    let is_replica = ctx.engine.is_replica;
    if let Some((h, p)) = &state(ctx.engine).master {
        if is_replica && h.eq_ignore_ascii_case(&host) && *p == port {
            tracing::info!("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.");
            return Ok(Reply::Status(
                "OK Already connected to specified master".into(),
            ));
        }
    }
    set_master(ctx.engine, host.clone(), port);
    let who = client_line(ctx);
    tracing::info!("REPLICAOF {host}:{port} enabled (user request from '{who}')");
    Ok(Reply::OK)
}

fn client_line(ctx: &mut Ctx) -> String {
    let c = ctx.client();
    format!("id={} addr={} laddr={}", c.id, c.addr, c.laddr)
}

/// What blocked clients get when the server becomes a replica.
const UNBLOCKED_REPLICA: &str = "UNBLOCKED force unblock from blocking operation, \
     instance state changed (master -> replica?)";

/// Redis's replicationSetMaster: drop the current link (caching its master
/// state), or cache our own state when we were a master, then connect.
pub fn set_master(engine: &mut Engine, host: String, port: u16) {
    let before = engine.config.clone();
    let was_master = !engine.is_replica;
    drop_link(engine);
    // Clients blocked on the master's data would never be served now.
    ember_core::blocking::disconnect_all_blocked(engine, UNBLOCKED_REPLICA);
    engine.is_replica = true;
    engine.config.replicaof = Some((host.clone(), port));
    role_changed(engine, &before);
    let sh = crate::shared(engine);
    sh.lock().proxy = true;
    if was_master {
        // Replicationcachemasterusingmyself: PSYNC with our own history.
        let offset = sh.lock().offset;
        let replid = engine.replid.clone();
        let st = state(engine);
        st.cached = Some(Cached {
            replid,
            offset,
            db: 0,
        });
        st.down_since_ms = 0;
    }
    let st = state(engine);
    st.master = Some((host.clone(), port));
    st.generation += 1;
    st.link = LinkState::Connect;
    let generation = st.generation;
    tracing::info!("Connecting to MASTER {host}:{port}");
    if let Some(handle) = st.handle.clone() {
        link::spawn(handle, generation);
    }
}

/// Frees the master client, caching its state for a later PSYNC.
pub fn drop_link(engine: &mut Engine) {
    let now = engine.now_ms();
    engine.master_link_up = false;
    let st = state(engine);
    st.transfer = None;
    let Some(id) = st.master_client.take() else {
        return;
    };
    let offset = st.reploff;
    st.down_since_ms = now;
    let db = engine.clients.get(&id).map_or(0, |c| c.db);
    let replid = engine.replid.clone();
    state(engine).cached = Some(Cached { replid, offset, db });
    engine.remove_client(id);
}

/// REPLICAOF NO ONE (Redis's replicationUnsetMaster): keep the dataset,
/// shift the replication ids so the old master's other replicas continue
/// partially from here, and disconnect our replicas so they learn the new id.
pub fn promote(engine: &mut Engine) {
    let before = engine.config.clone();
    drop_link(engine);
    let st = state(engine);
    st.master = None;
    st.cached = None;
    st.generation += 1;
    st.link = LinkState::None;
    st.down_since_ms = 0;
    engine.is_replica = false;
    engine.config.replicaof = None;
    role_changed(engine, &before);
    let sh = crate::shared(engine);
    {
        let mut s = sh.lock();
        s.proxy = false;
        // The first write of the new history selects its database.
        s.seldb = None;
    }
    crate::ids::shift_replid(engine);
    disconnect_replicas(engine);
}

/// `replicaof` changed as CONFIG SET would change it: the config hooks see
/// it (the server's OOM score follows the role). A hook's failure is only
/// logged: the role has changed already.
fn role_changed(engine: &mut Engine, before: &ember_core::Config) {
    for hook in engine.config_hooks.clone() {
        if let Err(e) = hook(engine, before) {
            tracing::warn!("{e}");
        }
    }
}

/// Closes every replica connection (they reconnect and PSYNC again).
pub fn disconnect_replicas(engine: &mut Engine) {
    // Every replica client, those still waiting for their full sync included.
    let ids: Vec<ClientId> = repl_state(engine).replicas.iter().map(|r| r.id).collect();
    for c in engine.clients.values_mut() {
        if c.kind == ClientKind::Replica || ids.contains(&c.id) {
            c.killed = true;
            c.wake();
        }
    }
}

/// ROLE: the replica form (`slave`, host, port, state, offset), else the master's.
fn role_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if !ctx.engine.is_replica {
        let h = MASTER_ROLE.get().expect("set when the table was built");
        return h(ctx, args);
    }
    let st = state(ctx.engine);
    let (host, port) = st.master.clone().unwrap_or_default();
    let link = match st.link {
        LinkState::None => "none",
        LinkState::Connect => "connect",
        LinkState::Connecting => "connecting",
        LinkState::Handshake => "handshake",
        LinkState::Transfer => "sync",
        LinkState::Connected => "connected",
    };
    let offset = if st.master_client.is_some() {
        st.reploff as i64
    } else {
        -1
    };
    Ok(Reply::Array(vec![
        Reply::Bulk(Bytes::from_static(b"slave")),
        Reply::Bulk(Bytes::from(host)),
        Reply::Integer(port as i64),
        Reply::Bulk(Bytes::from_static(link.as_bytes())),
        Reply::Integer(offset),
    ]))
}

/// INFO replication: the master layer's section, whose `role:master` line is
/// replaced on a replica by Redis's replica block.
pub fn info_section(e: &Engine) -> String {
    let base = master::info_section(e);
    if !e.is_replica {
        return base;
    }
    let rest = base.strip_prefix("role:master\r\n").unwrap_or(&base);
    let mut s = String::new();
    let now = e.now_ms();
    let default = ReplicaState::default();
    let st = peek(e).unwrap_or(&default);
    let (host, port) = st.master.clone().unwrap_or_default();
    let up = st.link == LinkState::Connected;
    let _ = write!(
        s,
        "role:slave\r\nmaster_host:{host}\r\nmaster_port:{port}\r\n\
         master_link_status:{}\r\n",
        if up { "up" } else { "down" }
    );
    let last_io = if st.master_client.is_some() {
        (now - st.last_io_ms).max(0) / 1000
    } else {
        -1
    };
    let in_sync = st.link == LinkState::Transfer;
    let _ = write!(
        s,
        "master_last_io_seconds_ago:{last_io}\r\nmaster_sync_in_progress:{}\r\n",
        in_sync as u8
    );
    let (read, applied) = if st.master_client.is_some() {
        (st.read_reploff as i64, st.reploff as i64)
    } else if let Some(c) = &st.cached {
        (c.offset as i64, c.offset as i64)
    } else {
        (1, 1)
    };
    let _ = write!(
        s,
        "slave_read_repl_offset:{read}\r\nslave_repl_offset:{applied}\r\n"
    );
    if in_sync {
        let t = st.transfer.clone().unwrap_or_default();
        let left = if t.total < 0 {
            0
        } else {
            t.total - t.read as i64
        };
        let perc = if t.total > 0 {
            t.read as f64 * 100.0 / t.total as f64
        } else {
            0.0
        };
        let _ = write!(
            s,
            "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\n\
             master_sync_left_bytes:{left}\r\nmaster_sync_perc:{perc:.2}\r\n\
             master_sync_last_io_seconds_ago:{}\r\n",
            t.total,
            t.read,
            (now - t.last_io_ms).max(0) / 1000
        );
    }
    if !up {
        let down = if st.down_since_ms > 0 {
            (now - st.down_since_ms).max(0) / 1000
        } else {
            -1
        };
        let _ = write!(s, "master_link_down_since_seconds:{down}\r\n");
    }
    let announced = !matches!(
        e.config.params.get("replica-announced"),
        Some(ember_core::config_table::ParamValue::Bool(false))
    );
    let _ = write!(
        s,
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        e.config.replica_priority, e.config.replica_read_only as u8, announced as u8
    );
    s.push_str(rest);
    s
}
