//! Client-side caching (Redis's tracking.c). A client with `CLIENT TRACKING
//! on` is remembered against every key its read-only commands name; when
//! such a key changes, it gets an `invalidate` message once and is
//! forgotten for that key. In BCAST mode a client names key prefixes
//! instead and hears of every changed key under them. Messages go as RESP3
//! pushes, or, redirected to another connection, as pushes or as messages
//! on the `__redis__:invalidate` channel of a RESP2 subscriber.
//!
//! One difference in timing: Redis sends BCAST messages once per event-loop
//! turn, Ember after each command (EXEC counting as one).

use crate::client::{ClientId, ClientKind};
use crate::engine::Engine;
use ahash::{AHashMap, AHashSet};
use bytes::Bytes;
use ember_resp::{Proto, Reply};
use std::collections::{BTreeMap, BTreeSet};

/// A tracking client's settings (`CLIENT TRACKING on ...`).
#[derive(Default, Debug)]
pub struct ClientTracking {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes|no given for the next command.
    pub caching: bool,
    /// The redirect target disconnected.
    pub broken_redirect: bool,
    /// Client receiving the messages; 0: this one.
    pub redirect: ClientId,
    /// BCAST prefixes, sorted as Redis lists them.
    pub prefixes: BTreeSet<Bytes>,
}

/// Keys changed under one BCAST prefix since the last broadcast, each with
/// the client that changed it last (for NOLOOP), and the clients listening.
#[derive(Default)]
struct Bcast {
    keys: BTreeMap<Bytes, Option<ClientId>>,
    clients: BTreeSet<ClientId>,
}

/// The server-wide tables.
#[derive(Default)]
pub struct Tracking {
    /// Clients with tracking on.
    pub clients: usize,
    /// Key -> clients that may cache it.
    table: AHashMap<Bytes, AHashSet<ClientId>>,
    /// Entries of `table`, all keys together (INFO's tracking_total_items).
    items: u64,
    prefixes: BTreeMap<Bytes, Bcast>,
    /// Messages for the client running the current command, sent after its
    /// reply: a key, or `None` for "everything" (a flush).
    pub(crate) deferred: Vec<Option<Bytes>>,
    /// A server connection is running the commands of one read: BCAST
    /// messages wait for its end (see [`begin_batch`]).
    batch_open: bool,
}

impl Tracking {
    /// Whether a changed key can concern anybody: checked on every write.
    #[inline]
    pub fn is_active(&self) -> bool {
        !self.table.is_empty() || !self.prefixes.is_empty()
    }

    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    pub fn total_items(&self) -> u64 {
        self.items
    }

    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

/// CLIENT TRACKING on: (re)enables tracking with these settings; BCAST
/// prefixes add to those the client has (an empty list means every key).
pub fn enable(engine: &mut Engine, id: ClientId, mut opts: ClientTracking, prefixes: Vec<Bytes>) {
    let Some(c) = engine.clients.get_mut(&id) else {
        return;
    };
    let previous = c.tracking.take();
    if previous.is_none() {
        engine.tracking.clients += 1;
    }
    if let Some(p) = previous {
        // Redis's enableTracking keeps a CLIENT CACHING choice.
        opts.caching = p.caching;
        opts.prefixes = p.prefixes;
    }
    if opts.bcast {
        let wanted = if prefixes.is_empty() {
            vec![Bytes::new()]
        } else {
            prefixes
        };
        for p in wanted {
            // Copies: arguments are slices of the connection's read buffer.
            let p = Bytes::copy_from_slice(&p);
            engine
                .tracking
                .prefixes
                .entry(p.clone())
                .or_default()
                .clients
                .insert(id);
            opts.prefixes.insert(p);
        }
    }
    if let Some(c) = engine.clients.get_mut(&id) {
        c.tracking = Some(Box::new(opts));
    }
}

/// CLIENT TRACKING off, RESET, disconnection. Keys the client was
/// remembered for are dropped lazily, when they change.
pub fn disable(engine: &mut Engine, id: ClientId) {
    let Some(t) = engine.clients.get_mut(&id).and_then(|c| c.tracking.take()) else {
        return;
    };
    engine.tracking.clients -= 1;
    for p in &t.prefixes {
        if let Some(b) = engine.tracking.prefixes.get_mut(p) {
            b.clients.remove(&id);
            if b.clients.is_empty() {
                engine.tracking.prefixes.remove(p);
            }
        }
    }
}

/// After a read-only command of client `id`: remembers the keys it named
/// (Redis's trackingRememberKeys). Called only while some client tracks.
#[inline(never)]
pub fn remember_keys(
    engine: &mut Engine,
    id: ClientId,
    cmd: &crate::command::Command,
    argv: &[Bytes],
) {
    let Some(t) = engine.clients.get(&id).and_then(|c| c.tracking.as_deref()) else {
        return;
    };
    if t.bcast || cmd.has(crate::command::flags::PUBSUB) {
        return;
    }
    if (t.optin && !t.caching) || (t.optout && t.caching) {
        return;
    }
    for pos in cmd.key_positions(argv) {
        let key = &argv[pos];
        // A copy: the argument is a slice of the connection's read buffer,
        // which a remembered key would otherwise keep alive.
        let ids = match engine.tracking.table.get_mut(key.as_ref()) {
            Some(ids) => ids,
            None => engine
                .tracking
                .table
                .entry(Bytes::copy_from_slice(key))
                .or_default(),
        };
        if ids.insert(id) {
            engine.tracking.items += 1;
        }
    }
}

/// Keeps the table within `tracking-table-max-keys` by invalidating keys
/// as if they had changed (Redis's trackingLimitUsedSlots, run before each
/// command: its messages go out at once, even to the client about to run).
pub(crate) fn limit_table(engine: &mut Engine) {
    let max = engine.config.tracking_table_max_keys as usize;
    if max == 0 || engine.tracking.table.len() <= max {
        return;
    }
    let excess = engine.tracking.table.len() - max;
    let victims: Vec<Bytes> = engine.tracking.table.keys().take(excess).cloned().collect();
    for key in victims {
        invalidate(engine, &key, None, false);
    }
}

/// A key changed (Redis's trackingInvalidateKey called by
/// signalModifiedKey): every client remembered for it gets a message, and
/// it is forgotten; BCAST prefixes it falls under queue it, credited to
/// `by` (the client whose command changed it; none for expiry and
/// eviction, which Redis does not credit to a client).
#[inline(never)]
pub fn invalidate_key(engine: &mut Engine, by: Option<ClientId>, key: &[u8]) {
    invalidate(engine, key, Some(by), true);
}

/// `bcast`: queue for the prefixes, credited to the given client.
/// `defer_own`: the running client's message follows its reply (a change
/// made while its command executes) rather than going out at once, as an
/// eviction before the command runs does.
fn invalidate(engine: &mut Engine, key: &[u8], bcast: Option<Option<ClientId>>, defer_own: bool) {
    if let Some(by) = bcast {
        for (prefix, b) in engine.tracking.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                b.keys.insert(Bytes::copy_from_slice(key), by);
            }
        }
    }
    let Some(ids) = engine.tracking.table.remove(key) else {
        return;
    };
    engine.tracking.items -= ids.len() as u64;
    let current = engine.current_client();
    let key = Bytes::copy_from_slice(key);
    for target in ids {
        let Some(t) = engine
            .clients
            .get(&target)
            .and_then(|c| c.tracking.as_deref())
        else {
            continue;
        };
        // NOLOOP: not about keys the running client changed.
        if t.bcast || (t.noloop && Some(target) == current) {
            continue;
        }
        if defer_own && engine.executing_command && Some(target) == current {
            engine.tracking.deferred.push(Some(key.clone()));
        } else {
            send(engine, target, Payload::Key(&key));
        }
    }
}

/// FLUSHDB / FLUSHALL: every tracking client is told that every key is
/// invalid, and the table is emptied (Redis's trackingInvalidateKeysOnFlush).
pub fn invalidate_all(engine: &mut Engine) {
    if engine.tracking.clients > 0 {
        let current = engine.current_client();
        let targets: Vec<ClientId> = engine
            .clients
            .iter()
            .filter(|(_, c)| c.tracking.is_some())
            .map(|(&id, _)| id)
            .collect();
        for id in targets {
            if Some(id) == current {
                engine.tracking.deferred.push(None);
            } else {
                send(engine, id, Payload::All);
            }
        }
    }
    engine.tracking.table = AHashMap::new();
    engine.tracking.items = 0;
}

/// Sends what BCAST prefixes collected: per prefix, one message with its
/// changed keys in key order (without those a NOLOOP client changed).
pub fn broadcast(engine: &mut Engine) {
    let current = engine.current_client();
    let mut sends: Vec<(ClientId, Vec<Bytes>)> = Vec::new();
    for b in engine.tracking.prefixes.values_mut() {
        if b.keys.is_empty() {
            continue;
        }
        let keys = std::mem::take(&mut b.keys);
        for &id in &b.clients {
            let noloop = engine
                .clients
                .get(&id)
                .and_then(|c| c.tracking.as_deref())
                .is_some_and(|t| t.noloop);
            let list: Vec<Bytes> = keys
                .iter()
                .filter(|(_, by)| !(noloop && **by == Some(id)))
                .map(|(k, _)| k.clone())
                .collect();
            if !list.is_empty() {
                sends.push((id, list));
            }
        }
    }
    for (id, keys) in sends {
        if Some(id) == current {
            // After the reply of the command that changed them.
            let bytes = encode_for(engine, id, &Payload::Keys(&keys));
            engine.self_after_reply.extend_from_slice(&bytes);
        } else {
            send(engine, id, Payload::Keys(&keys));
        }
    }
}

/// A server connection starts running the commands of one read. Redis sends
/// BCAST messages once per event-loop turn, so a pipeline of writes gives
/// one message per prefix, behind all of its replies; a batch is Ember's turn.
#[inline]
pub fn begin_batch(engine: &mut Engine) {
    engine.tracking.batch_open = true;
}

/// The end of the batch `id` ran: BCAST messages go out, the client's own
/// (without NOLOOP) into `out`, behind its replies.
#[inline]
pub fn end_batch(engine: &mut Engine, id: ClientId, out: &mut Vec<u8>) {
    engine.tracking.batch_open = false;
    if !engine.tracking.prefixes.is_empty() {
        broadcast_for(engine, id, out);
    }
}

#[inline(never)]
fn broadcast_for(engine: &mut Engine, id: ClientId, out: &mut Vec<u8>) {
    let before = engine.swap_current_client(id);
    engine.self_after_reply.clear();
    broadcast(engine);
    out.append(&mut engine.self_after_reply);
    engine.swap_current_client(before);
}

/// After each command (EXEC counting as one): the running client's own
/// messages follow its reply, BCAST prefixes broadcast (at the end of the
/// batch instead, when a server connection runs one), and a CLIENT
/// CACHING choice lapses unless the command was a CLIENT one or the client
/// is queueing a transaction (Redis's resetClient).
#[inline(never)]
pub fn after_command(engine: &mut Engine, id: ClientId, postponed: bool) {
    // The running client's own messages follow its reply.
    let own = take_deferred(engine, id);
    engine.self_after_reply.extend_from_slice(&own);
    if !engine.tracking.batch_open {
        broadcast(engine);
    }
    if let Some(c) = engine.clients.get_mut(&id) {
        // A command held by CLIENT PAUSE runs later: the choice waits for it.
        let keep = postponed || c.tx.active || c.last_cmd.starts_with("client|");
        if let Some(t) = c.tracking.as_mut() {
            if t.caching && !keep {
                t.caching = false;
            }
        }
    }
}

/// Queues the messages deferred for blocked client `id`, served by another
/// client's command, behind the reply it was just given.
pub(crate) fn deliver_deferred(engine: &mut Engine, id: ClientId) {
    let bytes = take_deferred(engine, id);
    if !bytes.is_empty() {
        engine.push_bytes_to_client(id, &bytes);
    }
}

/// The messages deferred for client `id`, encoded for it (those redirected
/// to another connection are queued there instead).
fn take_deferred(engine: &mut Engine, id: ClientId) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::mem::take(&mut engine.tracking.deferred) {
        let payload = match &entry {
            Some(k) => Payload::Key(k),
            None => Payload::All,
        };
        out.extend(encode_for(engine, id, &payload));
    }
    out
}

enum Payload<'a> {
    Key(&'a Bytes),
    Keys(&'a [Bytes]),
    /// Every key (a flush): a null.
    All,
}

/// The message for tracking client `id`, encoded for the connection that
/// receives it, queued there.
fn send(engine: &mut Engine, id: ClientId, payload: Payload) {
    let (target, bytes) = match route(engine, id, &payload) {
        Some(routed) => routed,
        None => return,
    };
    engine.push_bytes_to_client(target, &bytes);
}

/// As `send`, but returns the bytes for the caller to place (only used for
/// the running client, whose messages follow its reply).
fn encode_for(engine: &mut Engine, id: ClientId, payload: &Payload) -> Vec<u8> {
    match route(engine, id, payload) {
        Some((target, bytes)) if target == id => bytes,
        Some((target, bytes)) => {
            engine.push_bytes_to_client(target, &bytes);
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Where client `id`'s message goes and its bytes (Redis's
/// sendTrackingMessage); `None` when it cannot be delivered (RESP2 without
/// a subscribed redirect target).
fn route(engine: &mut Engine, id: ClientId, payload: &Payload) -> Option<(ClientId, Vec<u8>)> {
    let c = engine.clients.get(&id)?;
    let tracker_proto = c.proto;
    let redirect = c.tracking.as_ref().map_or(0, |t| t.redirect);
    let mut out = Vec::new();
    let (target, target_proto) = if redirect == 0 {
        (id, tracker_proto)
    } else {
        match engine.clients.get(&redirect) {
            Some(r) => (redirect, r.proto),
            None => {
                let c = engine.clients.get_mut(&id)?;
                if let Some(t) = c.tracking.as_mut() {
                    t.broken_redirect = true;
                }
                if tracker_proto != Proto::Resp3 {
                    return None;
                }
                let msg = Reply::Push(vec![
                    Reply::bulk_static(b"tracking-redir-broken"),
                    Reply::Integer(redirect as i64),
                ]);
                ember_resp::encode(&msg, Proto::Resp3, &mut out);
                return Some((id, out));
            }
        }
    };
    if target_proto == Proto::Resp3 {
        out.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n");
    } else if redirect != 0 && engine.clients.get(&target)?.kind == ClientKind::PubSub {
        out.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n");
    } else {
        return None;
    }
    // A flush's null is the tracking client's own (Redis's
    // shared.null[c->resp]), even when another connection receives it.
    let value_proto = match payload {
        Payload::All => tracker_proto,
        _ => target_proto,
    };
    ember_resp::encode(&payload_reply(payload), value_proto, &mut out);
    Some((target, out))
}

fn payload_reply(payload: &Payload) -> Reply {
    match payload {
        Payload::Key(k) => Reply::Array(vec![Reply::Bulk((*k).clone())]),
        Payload::Keys(keys) => Reply::Array(keys.iter().cloned().map(Reply::Bulk).collect()),
        // RESP3's null, or RESP2's null bulk, as Redis's shared.null[resp].
        Payload::All => Reply::Nil,
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::T;
    use ember_resp::Reply;

    fn push_text(t: &mut T) -> String {
        let id = t.id;
        String::from_utf8(t.e.take_pending(id)).unwrap()
    }

    #[test]
    fn embedders_get_their_own_invalidations_after_the_reply() {
        let mut t = T::new();
        t.run(&["HELLO", "3"]);
        assert_eq!(t.run(&["CLIENT", "TRACKING", "on"]), Reply::OK);
        t.run(&["GET", "k"]);
        assert_eq!(t.e.tracking.total_keys(), 1);
        assert_eq!(t.run(&["SET", "k", "v"]), Reply::OK);
        assert_eq!(
            push_text(&mut t),
            ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
        );
        assert_eq!(t.e.tracking.total_keys(), 0);
        // Another client's change is queued for it at once.
        let other = t.e.add_client();
        t.run(&["GET", "k"]);
        t.e.execute(other, &crate::testkit::argv(&["DEL", "k"]));
        assert_eq!(
            push_text(&mut t),
            ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
        );
    }

    #[test]
    fn disconnecting_forgets_the_client_and_its_prefixes() {
        let mut t = T::new();
        let other = t.e.add_client();
        t.run(&[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "b",
        ]);
        let argv = crate::testkit::argv(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"]);
        t.e.execute(other, &argv);
        assert_eq!(
            (t.e.tracking.clients, t.e.tracking.total_prefixes()),
            (2, 2)
        );
        t.e.remove_client(t.id);
        assert_eq!(
            (t.e.tracking.clients, t.e.tracking.total_prefixes()),
            (1, 1)
        );
        t.e.remove_client(other);
        assert_eq!(
            (t.e.tracking.clients, t.e.tracking.total_prefixes()),
            (0, 0)
        );
        assert!(!t.e.tracking.is_active());
    }
}
