//! Periodic housekeeping (Redis's serverCron) and the blocked-client
//! timeouts a front end drives.

use super::Engine;
use crate::client::ClientId;
use std::time::Duration;

impl Engine {
    /// Periodic housekeeping, called `hz` times per second by the front end
    /// (Redis's serverCron): active expiry and the like.
    pub fn cron(&mut self) {
        if self.cron_paused {
            return;
        }
        self.clock.recalibrate();
        crate::cmd::info::track_metrics(self);
        crate::cmd::pause::end_if_expired(self);
        if self.config.active_expire_enabled && !self.is_replica && self.pause.is_none() {
            crate::expire::active_expire_cycle(self);
        }
        crate::evict::cron(self);
        if self.config.activerehashing {
            self.rehash_a_keyspace();
        }
        crate::blocking::handle_timeouts(self);
        crate::blocking::serve_ready(self);
        self.close_idle_clients();
        // Output limits first: a client they close is not also evicted.
        self.enforce_output_limits();
        if self.client_eviction_limit() > 0 {
            // Output pushed to clients, and their changes of kind, count
            // here at the latest.
            self.account_all_clients();
            self.evict_clients();
        }
        for hook in self.cron_hooks.clone() {
            hook(self);
        }
        // The tracking table's limit holds on an idle server too (after a
        // CONFIG SET), and keys expired or evicted here reach BCAST clients
        // now, not at the next command (Redis sends them before sleeping).
        if self.tracking.clients > 0 {
            crate::tracking::limit_table(self);
            crate::tracking::broadcast(self);
        }
    }

    /// What Redis does before each event-loop sleep that the front end must
    /// ask for between batches: a fast active-expiry cycle, which returns at
    /// once unless the last slow cycle ran out of time (keys expire faster
    /// than the cron reclaims them). Not on a replica or while clients are
    /// paused, as the cron's slow cycle.
    #[inline]
    pub fn before_sleep(&mut self) {
        if self.config.active_expire_enabled && !self.is_replica && self.pause.is_none() {
            crate::expire::active_expire_cycle_fast(self);
        }
    }

    /// Redis's `databasesCron` rehash: 1 ms of moving buckets in the first
    /// database whose keyspace is resizing, so that an idle server finishes
    /// its rehashes (writes move buckets too).
    fn rehash_a_keyspace(&mut self) {
        for db in self.dbs.iter_mut() {
            if db.rehash_for(Duration::from_millis(1)) {
                break;
            }
        }
    }

    /// True while client `id` waits in a blocking command: its front end must
    /// not submit its next command until the late reply was pushed.
    pub fn is_blocked(&self, id: ClientId) -> bool {
        crate::blocking::is_blocked(self, id)
    }

    /// Unblocks clients whose timeout passed (also done by `cron`); a front
    /// end calls it at [`Engine::next_block_deadline`] for precise timeouts.
    pub fn handle_block_timeouts(&mut self) {
        crate::blocking::handle_timeouts(self);
    }

    /// The earliest deadline (engine clock, ms) of a blocked client.
    pub fn next_block_deadline(&self) -> Option<i64> {
        self.blocking.next_deadline()
    }

    /// Closes clients whose unwritten output is past their class's
    /// `client-output-buffer-limit` (Redis's clientsCron check): a soft
    /// limit's seconds run out on a connection that gets no new output too.
    fn enforce_output_limits(&mut self) {
        let now = self.clock.now_ms();
        let limits = self.config.client_output_buffer_limit;
        let mut closed = Vec::new();
        for c in self.clients.values_mut() {
            if c.obuf + c.pending.len() > 0 && crate::pubsub::check_output_limit(c, &limits, now) {
                closed.push(c.id);
            }
        }
        for id in closed {
            self.pubsub.obuf_limit_disconnections += 1;
            let info = crate::acl::client_info(self, id);
            tracing::warn!(
                "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
            );
        }
    }

    /// Closes normal clients idle for more than `timeout` seconds (0 = never).
    fn close_idle_clients(&mut self) {
        let timeout_ms = self.config.timeout as i64 * 1000;
        if timeout_ms == 0 {
            return;
        }
        let now = self.now_ms();
        for c in self.clients.values_mut() {
            let idle = now - c.last_interaction_ms;
            if !c.is_local
                && c.kind == crate::client::ClientKind::Normal
                && idle > timeout_ms
                && !c.killed
                && c.blocked.is_none()
                // Monitors (replica-flagged in Redis) and paused clients stay.
                && !c.monitor
                && !c.postponed
            {
                c.killed = true;
                c.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::T;

    #[test]
    fn cron_closes_a_client_whose_waiting_output_stays_over_the_soft_limit() {
        let mut t = T::new();
        t.run(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 0 1000 2",
        ]);
        let id = t.id;
        // The front end could not write 5000 bytes: no new output comes.
        t.e.client_mut(id).unwrap().obuf = 5000;
        t.e.cron();
        assert!(
            !t.e.client_mut(id).unwrap().killed,
            "the soft limit's clock starts"
        );
        t.clock.advance(2000);
        t.e.cron();
        assert!(!t.e.client_mut(id).unwrap().killed, "2 s are not past 2 s");
        t.clock.advance(1000);
        t.e.cron();
        assert!(t.e.client_mut(id).unwrap().killed);
        assert_eq!(t.e.pubsub.obuf_limit_disconnections, 1);
        // A client whose output went out is left alone.
        let other = t.e.add_client();
        t.e.cron();
        t.clock.advance(10_000);
        t.e.cron();
        assert!(!t.e.client_mut(other).unwrap().killed);
    }

    #[test]
    fn cron_finishes_a_keyspace_rehash_unless_activerehashing_is_off() {
        for active in ["yes", "no"] {
            let mut t = T::new();
            t.run(&["CONFIG", "SET", "activerehashing", active]);
            // 1024 keys fill 1024 buckets; the next one starts a rehash.
            for i in 0..1025 {
                t.run(&["SET", &format!("k{i}"), "v"]);
            }
            assert!(t.e.dbs[0].keys.is_rehashing());
            let mut crons = 0;
            while t.e.dbs[0].keys.is_rehashing() && crons < 200 {
                t.e.cron();
                crons += 1;
            }
            assert_eq!(t.e.dbs[0].keys.is_rehashing(), active == "no", "{active}");
            assert_eq!(
                t.e.dbs[0].keys.buckets(),
                if active == "yes" { 2048 } else { 3072 }
            );
            assert_eq!(t.int(&["DBSIZE"]), 1025);
        }
    }
}
