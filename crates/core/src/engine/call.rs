//! Redis's call(): a checked command runs, and is counted, propagated, shown
//! to MONITOR clients and, when it moved the replication stream, noted as the
//! client's `woff`.

use super::Engine;
use crate::args::Args;
use crate::client::ClientId;
use crate::clock::mono_us;
use crate::command::{flags, Command};
use crate::ctx::Ctx;
use crate::stats::bump;
use bytes::Bytes;
use ember_resp::Reply;

impl Engine {
    /// Runs a checked command for a caller that has not looked at the client
    /// (EXEC's queued commands).
    pub(crate) fn call(
        &mut self,
        client: ClientId,
        cmd: &'static Command,
        argv: &[Bytes],
        skip: usize,
    ) -> Reply {
        let started = mono_us();
        let now_ms = self.clock.now_ms_at(started);
        let Some(db_index) = self.clients.get(&client).map(|c| c.db) else {
            return Reply::error("ERR client is not registered");
        };
        self.call_in(client, cmd, argv, skip, db_index, (now_ms, started))
    }

    /// Runs a checked command in database `db_index` (the client's): the
    /// handler, statistics and propagation. `(now_ms, started)`: the
    /// command's time and the [`mono_us`] reading it came from (its duration
    /// counts from there).
    pub(super) fn call_in(
        &mut self,
        client: ClientId,
        cmd: &'static Command,
        argv: &[Bytes],
        skip: usize,
        db_index: usize,
        (now_ms, started): (i64, u64),
    ) -> Reply {
        let dirty_before = self.dirty;
        let woff_before = self.repl_offset_now();
        let mut ctx = Ctx {
            engine: self,
            client_id: client,
            db_index,
            now_ms,
            cmd,
            rewritten: None,
        };
        let mut args = Args::new(argv, skip);
        let handler = cmd.handler.expect("leaf command has a handler");
        let outer = std::mem::replace(&mut ctx.engine.executing_command, true);
        let result = handler(&mut ctx, &mut args);
        ctx.engine.executing_command = outer;
        let rewritten = ctx.rewritten.take();
        let db_after = ctx.db_index;
        if self.tracking.clients > 0 && cmd.has(flags::READONLY) {
            crate::tracking::remember_keys(self, client, cmd, argv);
        }
        let elapsed = mono_us().saturating_sub(started);
        // A call that blocked is counted once it completes (Redis's
        // updateStatsOnUnblock); AOF replay is not counted at all.
        let counted = self.replay_client != Some(client);
        if counted && self.blocking.request.is_none() {
            bump(&cmd.stats.calls, 1);
            bump(&cmd.stats.usec, elapsed);
            if self.config.latency_tracking {
                cmd.stats.latency.record(elapsed * 1000);
            }
            self.stats.total_commands_processed += 1;
            crate::cmd::slowlog::offer(self, client, cmd, argv, elapsed);
            if self.config.latency_monitor_threshold > 0 {
                crate::cmd::latency::sample_command(self, cmd, elapsed);
            }
        }
        let reply = match result {
            Ok(r) => {
                if counted && r.is_error() {
                    bump(&cmd.stats.failed_calls, 1);
                }
                r
            }
            Err(e) => {
                if counted {
                    bump(&cmd.stats.failed_calls, 1);
                }
                e.into()
            }
        };
        let forced = std::mem::take(&mut self.force_propagation);
        // A read-only command propagates only when it asks to (PFCOUNT
        // rewriting its cached count).
        if (self.dirty != dirty_before && !cmd.has(flags::READONLY)) || forced {
            match rewritten {
                Some(cmds) => {
                    for c in cmds {
                        self.propagate(db_index, &c);
                    }
                }
                None => self.propagate(db_index, argv),
            }
        }
        // Redis's `c->woff`: the stream offset after the client's last
        // command that propagated (or otherwise moved the stream).
        let woff_after = self.repl_offset_now();
        let woff_moved = woff_after != woff_before;
        if db_after != db_index || woff_moved {
            if let Some(c) = self.clients.get_mut(&client) {
                c.db = db_after;
                if let (true, Some(off)) = (woff_moved, woff_after) {
                    c.woff = off;
                }
            }
        }
        // A blocked command run again to serve it was shown when first called.
        if !self.monitors.is_empty()
            && !cmd.has(flags::ADMIN | flags::SKIP_MONITOR)
            && !self.blocking.is_rerun()
        {
            crate::cmd::monitor::feed(self, client, db_after, argv);
        }
        reply
    }
}
