//! Per-connection session state kept by the engine, so that CLIENT LIST/KILL and
//! later pub/sub and blocking can see every client, not just the caller.

use bytes::Bytes;
use ember_resp::Proto;
use std::sync::Arc;

pub type ClientId = u64;

/// How the front end is woken when another client acts on this one (CLIENT KILL,
/// later pub/sub deliveries and unblocking). Core stays free of any runtime.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReplyMode {
    #[default]
    On,
    Off,
    /// Set by CLIENT REPLY SKIP: its own reply and the next command's are dropped.
    Skip,
    /// Internal: the command after CLIENT REPLY SKIP is being executed.
    SkipThis,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClientKind {
    #[default]
    Normal,
    Master,
    Replica,
    PubSub,
}

pub struct Client {
    pub id: ClientId,
    pub db: usize,
    pub proto: Proto,
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    /// `ip:port` of the peer (or the unix socket path), as CLIENT LIST shows it.
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Full name of the last command run (`client|list`), for CLIENT LIST `cmd=`.
    pub last_cmd: &'static str,
    pub kind: ClientKind,
    pub reply_mode: ReplyMode,
    pub no_evict: bool,
    pub authenticated: bool,
    pub user: String,
    /// Set by QUIT or a protocol error: close once pending replies are written.
    pub close_after_reply: bool,
    /// Set by CLIENT KILL: close as soon as possible without replying.
    pub killed: bool,
    pub waker: Option<Waker>,
    /// Embedded clients have no socket; some commands (CLIENT KILL of self) care.
    pub is_local: bool,
    /// Connected from 127.0.0.1, ::1 or a unix socket (Redis's islocalClient:
    /// protected mode and `enable-*-command local` trust it).
    pub loopback: bool,
    /// Query/output buffer sizes, updated by the front end for CLIENT LIST.
    pub qbuf: usize,
    pub qbuf_free: usize,
    /// Bytes and count of the arguments of a command read in part (CLIENT
    /// LIST `argv-mem` of a client other than the caller).
    pub argv_mem: usize,
    pub argv_count: usize,
    pub obuf: usize,
    pub tot_net_in: u64,
    pub tot_net_out: u64,
    /// Encoded out-of-band output (pub/sub messages, replies of unblocked
    /// commands) produced by other clients' commands, waiting for the front end.
    pub pending: Vec<u8>,
    /// Pub/sub subscriptions; the client is in pub/sub mode (flag `P`) while
    /// it has any.
    pub subs: crate::pubsub::ClientSubs,
    /// In MONITOR mode (flag `O`): every executed command is streamed to it.
    pub monitor: bool,
    /// Set when CLIENT PAUSE held the command just submitted: it did not run,
    /// and the front end must resubmit it (and hold everything after it)
    /// once woken or when the pause ends.
    pub postponed: bool,
    /// When the output first went over the soft `client-output-buffer-limit`
    /// (ms, 0 = not over), Redis's obuf_soft_limit_reached_time.
    pub obuf_soft_since: i64,
    /// MULTI/EXEC and WATCH state (flag `x`, `multi=`).
    pub tx: crate::multi::TxState,
    /// CLIENT TRACKING settings while tracking is on.
    pub tracking: Option<Box<crate::tracking::ClientTracking>>,
    /// Set while the client waits in a blocking command (flag `b`).
    pub blocked: Option<Box<crate::blocking::BlockState>>,
    /// Blocking commands answer as if timed out instead of blocking (Redis's
    /// CLIENT_DENY_BLOCKING), e.g. for an embedder's only client.
    pub deny_blocking: bool,
    /// Replication offset right after this client's last command that
    /// propagated something (Redis's `woff`): what WAIT waits for.
    pub woff: u64,
    /// What `client_memory` last counted for this client.
    pub(crate) mem: crate::client_memory::MemAccount,
}

impl Client {
    pub fn new(id: ClientId, now_ms: i64) -> Self {
        Client {
            id,
            db: 0,
            proto: Proto::Resp2,
            name: None,
            lib_name: None,
            lib_ver: None,
            addr: String::new(),
            laddr: String::new(),
            fd: -1,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_cmd: "NULL",
            kind: ClientKind::Normal,
            reply_mode: ReplyMode::On,
            no_evict: false,
            authenticated: true,
            user: "default".to_string(),
            close_after_reply: false,
            killed: false,
            waker: None,
            is_local: true,
            loopback: false,
            qbuf: 0,
            qbuf_free: 0,
            argv_mem: 0,
            argv_count: 0,
            obuf: 0,
            tot_net_in: 0,
            tot_net_out: 0,
            pending: Vec::new(),
            subs: Default::default(),
            monitor: false,
            postponed: false,
            obuf_soft_since: 0,
            tx: Default::default(),
            tracking: None,
            blocked: None,
            deny_blocking: false,
            woff: 0,
            mem: Default::default(),
        }
    }

    /// Wakes the front end serving this client, if any.
    pub fn wake(&self) {
        if let Some(w) = &self.waker {
            w();
        }
    }
}
