//! Pub/sub state and delivery: the server-wide registries (channel ->
//! subscribers, shard channel -> subscribers, pattern -> subscribers), each
//! client's own subscription sets, message fan-out into subscribers' pending
//! output, keyspace notifications and the `client-output-buffer-limit` check.
//!
//! Fan-out encodes each message once: RESP2 (`*`) and RESP3 (`>`) frames only
//! differ in their first byte, which is patched per subscriber.

use crate::client::{Client, ClientId, ClientKind};
use crate::config::ObufLimit;
use crate::engine::Engine;
use crate::events::classes;
use ahash::AHashMap;
use bytes::Bytes;
use ember_resp::Proto;

/// Plain channels (SUBSCRIBE/PUBLISH) or shard channels (SSUBSCRIBE/SPUBLISH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Shard,
}

/// An insertion-ordered set of names with O(1) membership (a client's
/// channels or patterns). Redis iterates a client's channels in hash order;
/// insertion order is one of the orders it may produce.
#[derive(Default, Debug, Clone)]
pub struct NameSet {
    map: AHashMap<Bytes, u64>,
    next: u64,
}

impl NameSet {
    /// Adds `name`; false if it was already there.
    pub fn insert(&mut self, name: &Bytes) -> bool {
        if self.map.contains_key(&name[..]) {
            return false;
        }
        self.map.insert(name.clone(), self.next);
        self.next += 1;
        true
    }

    pub fn remove(&mut self, name: &[u8]) -> bool {
        self.map.remove(name).is_some()
    }

    pub fn contains(&self, name: &[u8]) -> bool {
        self.map.contains_key(name)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The names in the order they were added.
    pub fn ordered(&self) -> Vec<Bytes> {
        let mut v: Vec<(&Bytes, &u64)> = self.map.iter().collect();
        v.sort_unstable_by_key(|(_, seq)| **seq);
        v.into_iter().map(|(n, _)| n.clone()).collect()
    }
}

/// One client's subscriptions.
#[derive(Default, Debug, Clone)]
pub struct ClientSubs {
    pub channels: NameSet,
    pub patterns: NameSet,
    pub shard: NameSet,
}

impl ClientSubs {
    /// Channels + patterns: the count SUBSCRIBE/PSUBSCRIBE replies carry.
    pub fn global_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// All subscriptions; the client is in pub/sub mode while this is not 0.
    pub fn total(&self) -> usize {
        self.global_count() + self.shard.len()
    }

    fn count_for(&self, scope: Scope) -> usize {
        match scope {
            Scope::Global => self.global_count(),
            Scope::Shard => self.shard.len(),
        }
    }

    fn set_for(&mut self, scope: Scope) -> &mut NameSet {
        match scope {
            Scope::Global => &mut self.channels,
            Scope::Shard => &mut self.shard,
        }
    }
}

/// The server-wide registries.
#[derive(Default, Debug)]
pub struct PubSub {
    /// Channel -> subscribers in subscription order (publish order).
    pub channels: AHashMap<Bytes, Vec<ClientId>>,
    pub shard_channels: AHashMap<Bytes, Vec<ClientId>>,
    /// Pattern -> subscribers, patterns in first-subscription order.
    pub patterns: Vec<(Bytes, Vec<ClientId>)>,
    /// Clients with at least one subscription (lets the dispatch skip the
    /// subscribed-context check when nobody is subscribed).
    pub subscribed_clients: usize,
    /// Clients closed for exceeding `client-output-buffer-limit`.
    pub obuf_limit_disconnections: u64,
}

impl PubSub {
    fn map_for(&mut self, scope: Scope) -> &mut AHashMap<Bytes, Vec<ClientId>> {
        match scope {
            Scope::Global => &mut self.channels,
            Scope::Shard => &mut self.shard_channels,
        }
    }

    pub fn map(&self, scope: Scope) -> &AHashMap<Bytes, Vec<ClientId>> {
        match scope {
            Scope::Global => &self.channels,
            Scope::Shard => &self.shard_channels,
        }
    }

    /// Number of distinct patterns with subscribers (PUBSUB NUMPAT, INFO
    /// `pubsub_patterns` in Redis 7.0).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// Subscribers of `channel` (not counting pattern subscribers).
    pub fn numsub(&self, scope: Scope, channel: &[u8]) -> usize {
        self.map(scope).get(channel).map_or(0, Vec::len)
    }
}

/// What a subscribe/unsubscribe step reports: the confirmation's count.
pub type Count = usize;

/// Keeps `ClientKind::PubSub` and the subscribed-clients counter in step with
/// the client's subscriptions (Redis's CLIENT_PUBSUB flag).
fn update_mode(ps: &mut PubSub, c: &mut Client, was_subscribed: bool) {
    let now_subscribed = c.subs.total() > 0;
    match (was_subscribed, now_subscribed) {
        (false, true) => {
            ps.subscribed_clients += 1;
            if c.kind == ClientKind::Normal {
                c.kind = ClientKind::PubSub;
            }
        }
        (true, false) => {
            ps.subscribed_clients -= 1;
            if c.kind == ClientKind::PubSub {
                c.kind = ClientKind::Normal;
            }
        }
        _ => {}
    }
}

/// Subscribes `id` to a channel; returns the client's count afterwards.
pub fn subscribe(engine: &mut Engine, id: ClientId, scope: Scope, channel: &Bytes) -> Count {
    let Some(c) = engine.clients.get_mut(&id) else {
        return 0;
    };
    let was = c.subs.total() > 0;
    if c.subs.set_for(scope).insert(channel) {
        engine
            .pubsub
            .map_for(scope)
            .entry(channel.clone())
            .or_default()
            .push(id);
    }
    update_mode(&mut engine.pubsub, c, was);
    c.subs.count_for(scope)
}

/// Unsubscribes `id` from a channel (whether or not it was subscribed);
/// returns the client's count afterwards.
pub fn unsubscribe(engine: &mut Engine, id: ClientId, scope: Scope, channel: &[u8]) -> Count {
    let Some(c) = engine.clients.get_mut(&id) else {
        return 0;
    };
    let was = c.subs.total() > 0;
    if c.subs.set_for(scope).remove(channel) {
        remove_subscriber(engine.pubsub.map_for(scope), channel, id);
    }
    update_mode(&mut engine.pubsub, c, was);
    c.subs.count_for(scope)
}

fn remove_subscriber(map: &mut AHashMap<Bytes, Vec<ClientId>>, channel: &[u8], id: ClientId) {
    if let Some(list) = map.get_mut(channel) {
        list.retain(|&x| x != id);
        if list.is_empty() {
            // Forget empty channels so that PUBSUB CHANNELS and memory stay bounded.
            map.remove(channel);
        }
    }
}

/// Subscribes `id` to a pattern; returns the client's count afterwards.
pub fn psubscribe(engine: &mut Engine, id: ClientId, pattern: &Bytes) -> Count {
    let Some(c) = engine.clients.get_mut(&id) else {
        return 0;
    };
    let was = c.subs.total() > 0;
    if c.subs.patterns.insert(pattern) {
        let ps = &mut engine.pubsub;
        match ps.patterns.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, ids)) => ids.push(id),
            None => ps.patterns.push((pattern.clone(), vec![id])),
        }
    }
    update_mode(&mut engine.pubsub, c, was);
    c.subs.global_count()
}

/// Unsubscribes `id` from a pattern; returns the client's count afterwards.
pub fn punsubscribe(engine: &mut Engine, id: ClientId, pattern: &[u8]) -> Count {
    let Some(c) = engine.clients.get_mut(&id) else {
        return 0;
    };
    let was = c.subs.total() > 0;
    if c.subs.patterns.remove(pattern) {
        let ps = &mut engine.pubsub;
        if let Some(i) = ps.patterns.iter().position(|(p, _)| p == pattern) {
            let ids = &mut ps.patterns[i].1;
            ids.retain(|&x| x != id);
            if ids.is_empty() {
                ps.patterns.remove(i);
            }
        }
    }
    update_mode(&mut engine.pubsub, c, was);
    c.subs.global_count()
}

/// Drops every subscription of a client without notifying it (disconnect, RESET).
pub fn forget_client(engine: &mut Engine, id: ClientId) {
    let Some(c) = engine.clients.get(&id) else {
        return;
    };
    if c.subs.total() == 0 {
        return;
    }
    let (channels, patterns, shard) = (
        c.subs.channels.ordered(),
        c.subs.patterns.ordered(),
        c.subs.shard.ordered(),
    );
    for ch in channels {
        unsubscribe(engine, id, Scope::Global, &ch);
    }
    for p in patterns {
        punsubscribe(engine, id, &p);
    }
    for ch in shard {
        unsubscribe(engine, id, Scope::Shard, &ch);
    }
}

/// Appends `frame` (a RESP2 encoding whose first byte is `*`) to a client's
/// pending output in its protocol, enforces the output buffer limit and wakes
/// its connection.
fn deliver(
    c: &mut Client,
    frame: &[u8],
    limits: &[ObufLimit; 3],
    now_ms: i64,
    killed: &mut Vec<ClientId>,
) {
    if c.killed {
        return;
    }
    c.pending.push(match c.proto {
        Proto::Resp2 => b'*',
        Proto::Resp3 => b'>',
    });
    c.pending.extend_from_slice(&frame[1..]);
    if check_output_limit(c, limits, now_ms) {
        killed.push(c.id);
    }
    c.wake();
}

/// Redis's checkClientOutputBufferLimits + closeClientOnOutputBufferLimitReached:
/// a client whose pending output passes its class's hard limit, or stays above
/// the soft limit for longer than the soft seconds, is closed (its pending
/// output dropped). Returns true when it closed the client.
pub fn check_output_limit(c: &mut Client, limits: &[ObufLimit; 3], now_ms: i64) -> bool {
    let class = match c.kind {
        ClientKind::Normal => 0,
        ClientKind::Replica => 1,
        ClientKind::PubSub => 2,
        ClientKind::Master => return false,
    };
    let limit = &limits[class];
    if c.killed || (limit.hard_bytes == 0 && limit.soft_bytes == 0) {
        return false;
    }
    let used = (c.pending.len() + c.obuf) as u64;
    let hard = limit.hard_bytes != 0 && used >= limit.hard_bytes;
    let mut soft = limit.soft_bytes != 0 && used >= limit.soft_bytes;
    if soft {
        if c.obuf_soft_since == 0 {
            // First time over the soft limit: start the clock.
            c.obuf_soft_since = now_ms;
            soft = false;
        } else if (now_ms - c.obuf_soft_since) / 1000 <= limit.soft_seconds {
            soft = false;
        }
    } else {
        c.obuf_soft_since = 0;
    }
    if !(soft || hard) {
        return false;
    }
    c.killed = true;
    c.pending = Vec::new();
    c.wake();
    true
}

/// Delivers to one registered subscriber; returns 1 if it counts as a
/// receiver (a client being closed does not: Redis has already freed it).
fn deliver_to(
    clients: &mut AHashMap<ClientId, Client>,
    id: ClientId,
    frame: &[u8],
    limits: &[ObufLimit; 3],
    now_ms: i64,
    killed: &mut Vec<ClientId>,
) -> usize {
    match clients.get_mut(&id) {
        Some(c) if !c.killed => {
            deliver(c, frame, limits, now_ms, killed);
            1
        }
        _ => 0,
    }
}

/// A message frame, RESP2-encoded: `*<n>` then bulk strings.
fn frame(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + parts.iter().map(|p| p.len() + 16).sum::<usize>());
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(parts.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for p in parts {
        out.push(b'$');
        out.extend_from_slice(itoa::Buffer::new().format(p.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(p);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Delivers `message` to the subscribers of `channel` (and, for plain
/// channels, of every matching pattern); returns the number of receivers,
/// counting a client once per matching subscription as Redis does.
pub fn publish(engine: &mut Engine, scope: Scope, channel: &[u8], message: &[u8]) -> usize {
    let now = engine.now_ms();
    let Engine {
        pubsub,
        clients,
        config,
        ..
    } = engine;
    let limits = &config.client_output_buffer_limit;
    let mut killed = Vec::new();
    let mut receivers = 0;
    let kind: &[u8] = match scope {
        Scope::Global => b"message",
        Scope::Shard => b"smessage",
    };
    if let Some(ids) = pubsub.map(scope).get(channel) {
        let f = frame(&[kind, channel, message]);
        for id in ids {
            receivers += deliver_to(clients, *id, &f, limits, now, &mut killed);
        }
    }
    if scope == Scope::Global {
        for (pattern, ids) in &pubsub.patterns {
            if !crate::glob::glob_match(pattern, channel, false) {
                continue;
            }
            let f = frame(&[b"pmessage", pattern, channel, message]);
            for id in ids {
                receivers += deliver_to(clients, *id, &f, limits, now, &mut killed);
            }
        }
    }
    // A client closed for its output buffer stops receiving at once (Redis
    // frees it before the next command), even before its connection is gone.
    pubsub.obuf_limit_disconnections += killed.len() as u64;
    for id in killed {
        forget_client(engine, id);
    }
    receivers
}

/// Publishes a keyspace notification (Redis's notifyKeyspaceEvent): the event
/// on `__keyspace@<db>__:<key>` and the key on `__keyevent@<db>__:<event>`,
/// as `notify-keyspace-events` selects. The caller checked the class.
pub fn notify_keyspace_event(engine: &mut Engine, event: &str, key: &[u8], db: usize) {
    let ps = &engine.pubsub;
    if ps.channels.is_empty() && ps.patterns.is_empty() {
        return;
    }
    let flags = engine.notify_flags;
    let mut db_buf = itoa::Buffer::new();
    let db = db_buf.format(db).as_bytes();
    if flags & classes::KEYSPACE != 0 {
        let mut ch = Vec::with_capacity(16 + key.len());
        ch.extend_from_slice(b"__keyspace@");
        ch.extend_from_slice(db);
        ch.extend_from_slice(b"__:");
        ch.extend_from_slice(key);
        publish(engine, Scope::Global, &ch, event.as_bytes());
    }
    if flags & classes::KEYEVENT != 0 {
        let mut ch = Vec::with_capacity(16 + event.len());
        ch.extend_from_slice(b"__keyevent@");
        ch.extend_from_slice(db);
        ch.extend_from_slice(b"__:");
        ch.extend_from_slice(event.as_bytes());
        publish(engine, Scope::Global, &ch, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_set_keeps_insertion_order() {
        let mut s = NameSet::default();
        for n in ["b", "a", "c"] {
            assert!(s.insert(&Bytes::from(n)));
        }
        assert!(!s.insert(&Bytes::from("a")));
        assert!(s.remove(b"b"));
        assert!(!s.remove(b"b"));
        assert_eq!(s.ordered(), vec![Bytes::from("a"), Bytes::from("c")]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn frames_are_resp2_arrays() {
        assert_eq!(
            frame(&[b"message", b"ch", b""]),
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$0\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn output_limit_hard_and_soft() {
        let limits = [
            ObufLimit {
                hard_bytes: 0,
                soft_bytes: 0,
                soft_seconds: 0,
            },
            ObufLimit {
                hard_bytes: 0,
                soft_bytes: 0,
                soft_seconds: 0,
            },
            ObufLimit {
                hard_bytes: 100,
                soft_bytes: 10,
                soft_seconds: 2,
            },
        ];
        let mut c = Client::new(1, 0);
        c.kind = ClientKind::PubSub;
        c.pending = vec![0; 20];
        assert!(!check_output_limit(&mut c, &limits, 1_000));
        assert_eq!(c.obuf_soft_since, 1_000);
        assert!(!check_output_limit(&mut c, &limits, 3_000));
        assert!(check_output_limit(&mut c, &limits, 4_000));
        assert!(c.killed && c.pending.is_empty());

        let mut c = Client::new(2, 0);
        c.kind = ClientKind::PubSub;
        c.pending = vec![0; 20];
        assert!(!check_output_limit(&mut c, &limits, 1_000));
        c.pending.clear();
        assert!(!check_output_limit(&mut c, &limits, 2_000));
        assert_eq!(c.obuf_soft_since, 0);
        c.pending = vec![0; 100];
        assert!(check_output_limit(&mut c, &limits, 2_000));

        let mut normal = Client::new(3, 0);
        normal.pending = vec![0; 1000];
        assert!(!check_output_limit(&mut normal, &limits, 0));
    }
}
