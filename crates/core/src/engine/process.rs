//! Redis's processCommand: the command is looked up, refused by the first
//! check that fails, then queued (inside MULTI) or run (`call`).
//!
//! The checks run in Redis 7.0.15's order (src/server.c processCommand):
//!
//! 1. unknown command or subcommand, wrong arity
//! 2. protected commands (`enable-debug-command`, `enable-module-command`)
//! 3. NOAUTH
//! 4. a NO_MULTI command inside MULTI
//! 5. ACL permissions (NOPERM)
//! 6. cluster redirection: Ember has no cluster mode
//! 7. client eviction (`maxmemory-clients`): a caller evicted here runs
//!    nothing and gets no reply
//! 8. maxmemory: evict, then OOM for commands that may grow memory
//! 9. MISCONF (the last save or AOF write failed)
//! 10. NOREPLICAS (`min-replicas-to-write`)
//! 11. READONLY replica
//! 12. the RESP2 pub/sub context
//! 13. MASTERDOWN (`replica-serve-stale-data no`)
//! 14. LOADING (async loading, Redis's `repl-diskless-load swapdb`, is not
//!     implemented)
//! 15. BUSY script or module: Ember has neither
//! 16. a replica can't interact with the keyspace: Ember applies it to
//!     MONITOR clients only, not to replicas' links
//! 17. CLIENT PAUSE postpones the command
//! 18. MULTI queues it, otherwise `call` runs it
//!
//! Ember's other differences: the master's stream on a replica is exempt
//! from MASTERDOWN as well as READONLY (Redis exempts it from READONLY; its
//! master link is up whenever that stream runs), a container sent without
//! its subcommand does not count in `rejected_calls`, and the last-interaction
//! time moves for every command received (Redis moves it on every read).

use super::Engine;
use crate::client::{ClientId, ClientKind};
use crate::command::{flags, Command, CommandTable};
use crate::error::CmdError;
use bytes::Bytes;
use ember_resp::{Proto, Reply};

/// What the checks need to know about the calling client, read in the one
/// look at the client table a command costs before it runs.
#[derive(Default)]
struct Caller {
    registered: bool,
    authenticated: bool,
    in_multi: bool,
    /// Our master's link (Redis's mustObeyClient).
    master: bool,
    replica: bool,
    monitor: bool,
    /// Subscribed in RESP2 (Redis's CLIENT_PUBSUB with `resp == 2`).
    resp2_pubsub: bool,
    db: usize,
    /// The command's flags, with those of the queued commands for EXEC
    /// (Redis's `cmd_flags | mstate.cmd_flags`).
    any: u32,
    /// Flags the command lacks, or one of EXEC's queued commands lacks
    /// (Redis's `~cmd_flags | mstate.cmd_inv_flags`).
    lacks: u32,
}

impl Caller {
    /// Redis's is_write_command.
    fn writes(&self) -> bool {
        self.any & flags::WRITE != 0
    }

    /// Redis's is_may_replicate_command.
    fn may_replicate(&self) -> bool {
        self.any & (flags::WRITE | flags::MAY_REPLICATE) != 0
    }
}

/// One remembered lookup: `name` exactly as sent (case included) and its row.
#[derive(Default)]
pub(super) struct CmdMemo {
    len: usize,
    name: [u8; 16],
    cmd: Option<&'static Command>,
}

impl Engine {
    pub(crate) fn dispatch(&mut self, client: ClientId, argv: &[Bytes]) -> Reply {
        let (cmd, skip) = match self.resolve(client, argv) {
            Ok(found) => found,
            Err(reply) => return reply,
        };
        let started = crate::clock::mono_us();
        let now_ms = self.clock.now_ms_at(started);
        let caller = self.caller(client, cmd, now_ms);
        if !cmd.arity_ok(argv.len()) {
            return self.reject(
                client,
                Some(cmd),
                CmdError::WrongArity(cmd.full_name.clone()),
            );
        }
        if let Err(err) = self.check_access(client, cmd, argv, &caller) {
            return self.reject(client, Some(cmd), err);
        }
        if self.config.maxmemory_clients != 0 && self.evict_before_command(client, argv) {
            // (Its connection closes without writing anything.)
            return Reply::NilArray;
        }
        if let Err(err) = self.check_state(client, cmd, &caller) {
            return self.reject(client, Some(cmd), err);
        }
        if !caller.registered {
            return Reply::error("ERR client is not registered");
        }
        // CLIENT PAUSE: an expired pause ends here; a live one holds the
        // command (no reply: the front end resubmits it). Replicas run on.
        if let Some(p) = self.pause {
            if !crate::cmd::pause::is_paused(self) {
                crate::cmd::pause::unpause(self);
            } else if !caller.replica && (p.all || caller.may_replicate()) {
                self.postponed_now = true;
                return Reply::NilArray;
            }
        }
        // Inside MULTI everything but the transaction commands is queued.
        if caller.in_multi && !crate::multi::runs_immediately(cmd) {
            return crate::multi::queue(self, client, cmd, argv, skip);
        }
        self.call_in(client, cmd, argv, skip, caller.db, (now_ms, started))
    }

    /// The command's row and how many words name it (1, or 2 with a
    /// subcommand); unknown names are refused here.
    fn resolve(
        &mut self,
        client: ClientId,
        argv: &[Bytes],
    ) -> Result<(&'static Command, usize), Reply> {
        let Some(name) = argv.first() else {
            return Err(Reply::NilArray);
        };
        let Some(cmd) = self.lookup_memo(name) else {
            self.note_unknown(client, "NULL");
            let err = CmdError::UnknownCommand {
                name: c_string(name),
                args: argv[1..].iter().map(|a| c_string(a)).collect(),
            };
            return Err(self.reject(client, None, err));
        };
        // A container with a handler of its own (COMMAND) runs it when alone.
        if cmd.handler.is_some() && (cmd.subcommands.is_empty() || argv.len() == 1) {
            return Ok((cmd, 1));
        }
        // A container: the subcommand picks the row (arity 2 means "needs one").
        let Some(sub) = argv.get(1) else {
            self.note_unknown(client, &cmd.full_name);
            return Err(self.reject(client, None, CmdError::WrongArity(cmd.full_name.clone())));
        };
        match cmd.subcommand(sub) {
            Some(s) => Ok((s, 2)),
            None => {
                self.note_unknown(client, "NULL");
                let err = CmdError::UnknownSubcommand {
                    sub: String::from_utf8_lossy(sub).into_owned(),
                    container: cmd.name.to_string(),
                };
                Err(self.reject(client, None, err))
            }
        }
    }

    /// The one look at the client before the command runs: records it as the
    /// last command (CLIENT LIST's `cmd=` names it even when it is then
    /// refused or queued, as Redis sets lastcmd at lookup) and the time, and
    /// reads what the checks need.
    fn caller(&mut self, client: ClientId, cmd: &'static Command, now_ms: i64) -> Caller {
        let anyone_subscribed = self.pubsub.subscribed_clients > 0;
        let Some(c) = self.clients.get_mut(&client) else {
            return Caller {
                any: cmd.flags,
                lacks: !cmd.flags,
                ..Caller::default()
            };
        };
        c.last_cmd = &cmd.full_name;
        c.last_interaction_ms = now_ms;
        let (mut any, mut lacks) = (cmd.flags, !cmd.flags);
        if cmd.name == "exec" {
            for q in &c.tx.queue {
                any |= q.cmd.flags;
                lacks |= !q.cmd.flags;
            }
        }
        Caller {
            registered: true,
            authenticated: c.authenticated,
            in_multi: c.tx.active,
            master: c.kind == ClientKind::Master,
            replica: c.kind == ClientKind::Replica,
            monitor: c.monitor,
            resp2_pubsub: anyone_subscribed && c.proto == Proto::Resp2 && c.subs.total() > 0,
            db: c.db,
            any,
            lacks,
        }
    }

    /// The refusals after the arity check and before client eviction, in
    /// Redis's order (see the module documentation): who may run what. Each
    /// test reads fields first, so a command in the common state (no
    /// restriction in force) costs a few comparisons.
    fn check_access(
        &mut self,
        client: ClientId,
        cmd: &'static Command,
        argv: &[Bytes],
        caller: &Caller,
    ) -> Result<(), CmdError> {
        // (DEBUG and MODULE are admin commands: the flag spares the name test.)
        if cmd.has(flags::ADMIN) {
            if let Some(err) = crate::acl::protected_command_refusal(self, client, cmd) {
                return Err(err);
            }
        }
        if !cmd.has(flags::NO_AUTH) && !caller.authenticated && !self.acl.default_is_open() {
            return Err(CmdError::other("NOAUTH Authentication required."));
        }
        if caller.in_multi && cmd.has(flags::NO_MULTI) {
            return Err(CmdError::err("Command not allowed inside a transaction"));
        }
        // ACL permissions of the client's user (skipped while nobody is
        // restricted; the master's stream runs unchecked, as Redis's master client).
        if !self.acl.unrestricted && !self.in_master_stream {
            crate::acl::check_command(self, client, cmd, argv)?;
        }
        Ok(())
    }

    /// The refusals after client eviction, in Redis's order: what the
    /// server's state allows now.
    fn check_state(
        &mut self,
        client: ClientId,
        cmd: &'static Command,
        caller: &Caller,
    ) -> Result<(), CmdError> {
        // maxmemory: evict first, then refuse commands that would grow memory.
        if self.config.maxmemory > 0 {
            if let Some(err) = crate::evict::precheck(self, client, cmd) {
                return Err(err);
            }
        }
        // MISCONF: writes and PING are refused while the last save or AOF
        // write failed, except from our master (writeCommandsDeniedByDiskError).
        if let Some(probe) = self.disk_error_probe {
            if !caller.master && (caller.writes() || cmd.name == "ping") {
                if let Some(text) = probe(self) {
                    return Err(CmdError::other(text));
                }
            }
        }
        // min-replicas-to-write: writes need enough good replicas (masters only).
        if self.config.min_replicas_to_write > 0
            && self.config.min_replicas_max_lag > 0
            && !self.is_replica
            && (self.repl_good_replicas as i64) < self.config.min_replicas_to_write
            && caller.writes()
        {
            return Err(CmdError::other(
                "NOREPLICAS Not enough good replicas to write.",
            ));
        }
        if self.is_replica && !caller.master && self.config.replica_read_only && caller.writes() {
            return Err(CmdError::other(
                "READONLY You can't write against a read only replica.",
            ));
        }
        if caller.resp2_pubsub && !SUBSCRIBED_ALLOWED.contains(&cmd.full_name.as_str()) {
            return Err(CmdError::other(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                cmd.full_name
            )));
        }
        if self.is_replica
            && !caller.master
            && !self.master_link_up
            && !self.config.replica_serve_stale_data
            && caller.lacks & flags::STALE != 0
        {
            return Err(CmdError::other(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ));
        }
        // While loading, only commands flagged `loading` run (for EXEC: all
        // it queued; Redis's is_denyloading_command).
        if self.loading && caller.lacks & flags::LOADING != 0 {
            return Err(CmdError::other(
                "LOADING Redis is loading the dataset in memory",
            ));
        }
        // A MONITOR client carries Redis's replica flag, which bars keyspace access.
        if caller.monitor && (caller.may_replicate() || caller.any & flags::READONLY != 0) {
            return Err(CmdError::other(
                "ERR Replica can't interact with the keyspace",
            ));
        }
        Ok(())
    }

    /// Records the last command of a client whose command was not found.
    fn note_unknown(&mut self, client: ClientId, name: &'static str) {
        if let Some(c) = self.clients.get_mut(&client) {
            c.last_cmd = name;
        }
    }

    /// `table.lookup`, remembered for the next call with the same name.
    #[inline]
    pub(super) fn lookup_memo(&mut self, name: &[u8]) -> Option<&'static Command> {
        let m = &self.cmd_memo;
        if m.cmd.is_some() && name.len() == m.len && name == &m.name[..m.len] {
            return m.cmd;
        }
        let table: &'static CommandTable = self.table;
        let cmd = table.lookup(name);
        if cmd.is_some() && name.len() <= self.cmd_memo.name.len() {
            let m = &mut self.cmd_memo;
            m.len = name.len();
            m.name[..name.len()].copy_from_slice(name);
            m.cmd = cmd;
        }
        cmd
    }

    /// A command refused before running (Redis's rejectCommand): counted in
    /// its `rejected_calls`, an open transaction is doomed, and a refused
    /// EXEC discards it.
    fn reject(&mut self, client: ClientId, cmd: Option<&Command>, err: CmdError) -> Reply {
        crate::multi::flag_transaction(self, client);
        if let Some(cmd) = cmd {
            cmd.stats
                .rejected_calls
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if cmd.name == "exec" {
                return crate::multi::exec_abort(self, client, err);
            }
        }
        err.into()
    }
}

/// Commands a RESP2 client may run while subscribed.
const SUBSCRIBED_ALLOWED: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// How Redis's `%s` prints an argument: up to the first NUL byte. (Invalid UTF-8
/// is replaced, a known difference: Redis echoes the raw bytes.)
fn c_string(b: &[u8]) -> Vec<u8> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    b[..end].to_vec()
}
