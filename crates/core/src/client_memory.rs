//! What each client's buffers and state cost, and client eviction (Redis's
//! `maxmemory-clients`).
//!
//! A client's memory ([`Client::memory_usage`], CLIENT LIST's `tot-mem`) is
//! accounted into [`ClientsMemory::normal`] whenever it may have changed:
//! after each batch of the client's commands (while eviction is on: off, a
//! front end spares itself the work and marks the totals stale), when output
//! is pushed to it, when its front end's unwritten output changes, and by the
//! cron. When the total of normal and pub/sub clients reaches the limit, the
//! largest evictable clients are closed until it is below: Redis's
//! power-of-two buckets from 32 KiB up, the highest first, and within a
//! bucket the client that entered it first.

use crate::client::{Client, ClientId, ClientKind};
use crate::engine::Engine;

/// CLIENT LIST's `rbs`: the reply buffer Redis keeps per client (1 KiB once
/// shrunk), which Ember's front end does not have but `tot-mem` counts.
pub const REPLY_BUFFER: usize = 1024;
/// A watched key's entry in the client's list (Redis: listNode + watchedKey).
const WATCHED_KEY: usize = 24 + 24;
/// A subscribed channel or pattern in the client's own table (Redis: a
/// dictEntry plus a bucket slot, or a listNode).
const SUBSCRIPTION: usize = 24 + 8;
/// A BCAST tracking prefix (Redis counts 32 bytes per node of the client's
/// prefix tree, about two nodes per prefix).
const TRACKING_PREFIX: usize = 2 * 32;
/// Redis's CLIENT_MEM_USAGE_BUCKET_MIN_LOG and _MAX_LOG, in bits of the
/// size: clients under 32 KiB share the lowest bucket, those of 4 GiB and
/// more the highest.
const BUCKET_MIN_LOG: u32 = 15;
const BUCKET_MAX_LOG: u32 = 33;
const BUCKETS: usize = (BUCKET_MAX_LOG - BUCKET_MIN_LOG + 1) as usize;

/// Per-client accounting state.
#[derive(Default, Debug, Clone, Copy)]
pub struct MemAccount {
    /// What was last added to the total for this client.
    accounted: usize,
    /// Its eviction bucket, and when it entered it (a sequence number).
    bucket: u8,
    since: u64,
    /// Counted in `ClientsMemory::normal` (a normal or pub/sub client).
    counted: bool,
}

/// The engine's totals.
#[derive(Default, Debug)]
pub struct ClientsMemory {
    /// Normal and pub/sub clients together (INFO `mem_clients_normal`; what
    /// `maxmemory-clients` limits).
    pub normal: usize,
    /// Bucket entries so far (orders clients within a bucket).
    seq: u64,
    /// Every client's account is up to date (false once a front end skipped
    /// one while eviction was off: the next eviction re-accounts them all).
    pub current: bool,
}

impl Client {
    /// What this client's buffers and state take (CLIENT LIST `tot-mem`).
    pub fn memory_usage(&self) -> usize {
        self.memory_with(self.qbuf, self.argv_mem, self.argv_count)
    }

    /// [`Client::memory_usage`] with the running command's input and
    /// arguments in place of those the front end last reported.
    pub(crate) fn memory_with(&self, qbuf: usize, argv_mem: usize, argc: usize) -> usize {
        let subs = self.subs.channels.len() + self.subs.patterns.len() + self.subs.shard.len();
        REPLY_BUFFER
            + qbuf
            + self.qbuf_free
            + argv_mem
            + argc * std::mem::size_of::<usize>()
            + self.obuf
            + self.pending.len()
            + self.tx.mem
            + self.tx.watched.len() * WATCHED_KEY
            + subs * SUBSCRIPTION
            + self.tracking.as_ref().map_or(0, |t| t.prefixes.len()) * TRACKING_PREFIX
    }

    /// Whether `maxmemory-clients` counts this client (Redis: the normal and
    /// pub/sub types; replicas, masters and monitors are not).
    fn counts_as_normal(&self) -> bool {
        matches!(self.kind, ClientKind::Normal | ClientKind::PubSub) && !self.monitor
    }

    /// Whether client eviction may close it (Redis's clientEvictionAllowed;
    /// an embedder's client has no connection to close).
    fn evictable(&self) -> bool {
        self.counts_as_normal() && !self.no_evict && !self.is_local && !self.killed
    }
}

/// The bucket of a client using `mem` bytes.
fn bucket_of(mem: usize) -> u8 {
    let bits = usize::BITS - mem.leading_zeros();
    (bits.clamp(BUCKET_MIN_LOG, BUCKET_MAX_LOG) - BUCKET_MIN_LOG) as u8
}

impl Engine {
    /// Re-accounts client `id`'s memory after something of it changed.
    pub fn account_client_memory(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            account(&mut self.clients_memory, c);
        }
    }

    /// Takes client `id` out of the totals (it is going away).
    pub(crate) fn unaccount_client(&mut self, id: ClientId) {
        if let Some(c) = self.clients.get_mut(&id) {
            unaccount(&mut self.clients_memory, c);
        }
    }

    /// Re-accounts every client (the cron: output pushed to clients and
    /// changes of kind show up here at the latest).
    pub(crate) fn account_all_clients(&mut self) {
        for c in self.clients.values_mut() {
            account(&mut self.clients_memory, c);
        }
        self.clients_memory.current = true;
    }

    /// What normal and pub/sub clients take now (INFO `mem_clients_normal`),
    /// counted afresh.
    pub fn clients_normal_memory(&self) -> usize {
        self.clients
            .values()
            .filter(|c| !c.killed && c.counts_as_normal())
            .map(|c| c.memory_usage())
            .sum()
    }

    /// `maxmemory-clients` in bytes (a percentage is of `maxmemory`); 0: off.
    pub fn client_eviction_limit(&self) -> usize {
        let v = self.config.maxmemory_clients;
        if v >= 0 {
            v as usize
        } else {
            (self.config.maxmemory as u128 * (-v) as u128 / 100) as usize
        }
    }

    /// DEBUG CLIENT-EVICTION: each bucket's range, and the memory and number
    /// of the evictable clients in it; None while `maxmemory-clients` is off.
    pub fn eviction_buckets_text(&mut self) -> Option<String> {
        if self.client_eviction_limit() == 0 {
            return None;
        }
        self.account_all_clients();
        let mut buckets = [(0usize, 0usize); BUCKETS];
        for c in self.clients.values().filter(|c| c.evictable()) {
            let b = &mut buckets[c.mem.bucket as usize];
            b.0 += c.mem.accounted;
            b.1 += 1;
        }
        let mut text = String::new();
        for (i, (mem, clients)) in buckets.iter().enumerate() {
            let low = if i == 0 {
                0
            } else {
                1usize << (BUCKET_MIN_LOG as usize + i - 1)
            };
            if i + 1 < BUCKETS {
                let high = (1usize << (BUCKET_MIN_LOG as usize + i)) - 1;
                text += &format!("bucket {low:>10} - {high:>10}: ");
            } else {
                text += &format!("bucket {low:>10}+            : ");
            }
            text += &format!("tot-mem: {mem:>10}, clients: {clients}\n");
        }
        Some(text)
    }

    /// Client eviction before `client` runs `argv` (Redis evicts before
    /// each command): the caller's input is its arguments now. Returns true
    /// when the caller itself was evicted.
    pub(crate) fn evict_before_command(&mut self, client: ClientId, argv: &[bytes::Bytes]) -> bool {
        if self.client_eviction_limit() == 0 {
            return false;
        }
        if let Some(c) = self.clients.get_mut(&client) {
            c.qbuf = 0;
            c.argv_mem = argv.iter().map(|a| a.len()).sum();
            c.argv_count = argv.len();
            account(&mut self.clients_memory, c);
        }
        self.evict_clients() && self.clients.get(&client).is_none_or(|c| c.killed)
    }

    /// Closes the largest evictable clients while the normal clients' total
    /// is at or above `maxmemory-clients` (Redis's evictClients). Returns
    /// whether it closed any.
    pub fn evict_clients(&mut self) -> bool {
        let limit = self.client_eviction_limit();
        if limit == 0 {
            return false;
        }
        if !self.clients_memory.current {
            self.account_all_clients();
        }
        if self.clients_memory.normal < limit {
            return false;
        }
        let mut evicted = false;
        while self.clients_memory.normal >= limit {
            let victim = self
                .clients
                .values()
                .filter(|c| c.evictable())
                .max_by_key(|c| (c.mem.bucket, std::cmp::Reverse(c.mem.since)))
                .map(|c| c.id);
            let Some(id) = victim else {
                tracing::warn!("Over client maxmemory after evicting all evictable clients");
                break;
            };
            let info = crate::acl::client_info(self, id);
            tracing::info!("Evicting client: {info}");
            if let Some(c) = self.clients.get_mut(&id) {
                unaccount(&mut self.clients_memory, c);
                c.killed = true;
                c.pending = Vec::new();
                c.wake();
            }
            self.stats.evicted_clients += 1;
            evicted = true;
        }
        evicted
    }
}

impl ClientsMemory {
    /// Re-accounts `c`, one of the engine's clients, after something of it
    /// changed (as [`Engine::account_client_memory`], for a caller that
    /// already holds the client).
    pub fn account(&mut self, c: &mut Client) {
        account(self, c);
    }
}

pub(crate) fn account(totals: &mut ClientsMemory, c: &mut Client) {
    if c.killed {
        // Closing: already out of the totals (or about to be).
        unaccount(totals, c);
        return;
    }
    let counted = c.counts_as_normal();
    let mem = if counted { c.memory_usage() } else { 0 };
    totals.normal = totals.normal - c.mem.accounted + mem;
    c.mem.accounted = mem;
    c.mem.counted = counted;
    let bucket = bucket_of(mem);
    if bucket != c.mem.bucket || c.mem.since == 0 {
        totals.seq += 1;
        c.mem.bucket = bucket;
        c.mem.since = totals.seq;
    }
}

fn unaccount(totals: &mut ClientsMemory, c: &mut Client) {
    totals.normal -= c.mem.accounted;
    c.mem.accounted = 0;
    c.mem.counted = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::T;

    #[test]
    fn buckets_are_powers_of_two_from_32_kib() {
        // As DEBUG CLIENT-EVICTION shows Redis's: 0-32767, 32768-65535, ...
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(32_767), 0);
        assert_eq!(bucket_of(32_768), 1);
        assert_eq!(bucket_of(65_535), 1);
        assert_eq!(bucket_of(65_536), 2);
        assert_eq!(bucket_of(3 << 20), 7);
        assert_eq!(bucket_of((1 << 32) - 1), 17);
        assert_eq!(bucket_of(1 << 32), 18);
        assert_eq!(bucket_of(usize::MAX), 18);
    }

    /// A connected client (not the embedder's) whose front end reports `qbuf`.
    fn remote(t: &mut T, qbuf: usize) -> ClientId {
        let id = t.e.add_client();
        let c = t.e.client_mut(id).unwrap();
        c.is_local = false;
        c.qbuf = qbuf;
        t.e.account_client_memory(id);
        id
    }

    #[test]
    fn the_largest_clients_go_first_and_only_until_below_the_limit() {
        let mut t = T::new();
        let small = remote(&mut t, 100_000);
        let big_first = remote(&mut t, 1_000_000);
        let big_second = remote(&mut t, 1_000_000);
        let total = t.e.clients_memory.normal;
        assert_eq!(
            total,
            [t.id, small, big_first, big_second]
                .iter()
                .map(|id| t.e.clients[id].memory_usage())
                .sum::<usize>()
        );
        // Room for all but one big client: the one that got big first goes.
        t.run(&[
            "CONFIG",
            "SET",
            "maxmemory-clients",
            &(total - 500_000).to_string(),
        ]);
        assert!(t.e.evict_clients());
        assert!(t.e.clients[&big_first].killed);
        assert!(!t.e.clients[&big_second].killed && !t.e.clients[&small].killed);
        assert_eq!(t.e.stats.evicted_clients, 1);
        assert!(t.e.clients_memory.normal < total - 500_000);
        // Under the limit now: nothing more to do.
        assert!(!t.e.evict_clients());
        // Closing the client takes nothing more off the total.
        let before = t.e.clients_memory.normal;
        t.e.remove_client(big_first);
        assert_eq!(t.e.clients_memory.normal, before);
    }

    #[test]
    fn no_evict_and_embedded_clients_stay_and_the_limit_can_be_a_share_of_maxmemory() {
        let mut t = T::new();
        let kept = remote(&mut t, 2_000_000);
        t.e.client_mut(kept).unwrap().no_evict = true;
        let other = remote(&mut t, 100_000);
        t.run(&["CONFIG", "SET", "maxmemory", "10000000"]);
        // 1% of maxmemory: 100,000 bytes, below what every client takes.
        t.run(&["CONFIG", "SET", "maxmemory-clients", "1%"]);
        assert_eq!(t.e.client_eviction_limit(), 100_000);
        assert!(t.e.evict_clients());
        assert!(t.e.clients[&other].killed);
        assert!(!t.e.clients[&kept].killed && !t.e.clients[&t.id].killed);
        assert_eq!(t.e.stats.evicted_clients, 1);
        // Off: nothing is evicted however much clients take.
        t.run(&["CONFIG", "SET", "maxmemory-clients", "0"]);
        t.e.client_mut(kept).unwrap().no_evict = false;
        assert!(!t.e.evict_clients());
        assert!(!t.e.clients[&kept].killed);
    }

    #[test]
    fn a_caller_whose_arguments_pass_the_limit_is_evicted_before_its_command_runs() {
        let mut t = T::new();
        t.run(&["CONFIG", "SET", "maxmemory-clients", "100000"]);
        let caller = remote(&mut t, 0);
        let argv = crate::testkit::argv(&["SET", "k", &"v".repeat(50_000)]);
        let mut out = Vec::new();
        assert!(
            t.e.execute_into(caller, &argv, &mut out),
            "under the limit: it runs"
        );
        assert_eq!(t.int(&["STRLEN", "k"]), 50_000);
        let argv = crate::testkit::argv(&["SET", "k", &"w".repeat(150_000)]);
        assert!(
            !t.e.execute_into(caller, &argv, &mut out),
            "evicted: the connection closes"
        );
        assert_eq!(t.int(&["STRLEN", "k"]), 50_000, "its command did not run");
        assert_eq!(t.e.stats.evicted_clients, 1);
    }

    #[test]
    fn output_pushed_to_a_subscriber_counts_at_once() {
        let mut t = T::new();
        let sub = remote(&mut t, 0);
        let before = t.e.clients_memory.normal;
        t.e.push_to_client(sub, &ember_resp::Reply::Bulk(vec![b'x'; 50_000].into()));
        assert!(t.e.clients_memory.normal >= before + 50_000);
        // A replica's buffers do not count.
        t.e.client_mut(sub).unwrap().kind = ClientKind::Replica;
        t.e.account_client_memory(sub);
        assert_eq!(t.e.clients_memory.normal, t.e.clients[&t.id].memory_usage());
    }
}
