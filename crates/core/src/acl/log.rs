//! The ACL security log (ACL LOG): denied commands, keys, channels and failed
//! authentications, newest first, with similar recent entries merged.

use bytes::Bytes;
use ember_resp::Reply;
use std::collections::VecDeque;

/// Entries this close in time (ms) with the same reason, context, object and
/// user are merged (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MS: i64 = 60_000;
/// How many recent entries are looked at for a merge.
const SCAN: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command, key or channel name, or for AUTH the command as typed.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// When it last happened (engine clock, ms).
    pub ctime: i64,
    /// The client's CLIENT LIST line (without newline) when it last happened.
    pub cinfo: String,
}

/// Adds an entry (or bumps a similar recent one), keeping at most `max_len`.
pub fn add(log: &mut VecDeque<Entry>, entry: Entry, max_len: usize) {
    let similar = log.iter().take(SCAN).position(|e| {
        e.reason == entry.reason
            && e.context == entry.context
            && (e.ctime - entry.ctime).abs() <= GROUPING_MS
            && e.object == entry.object
            && e.username == entry.username
    });
    if let Some(i) = similar {
        let mut e = log.remove(i).expect("found above");
        e.count += 1;
        e.ctime = entry.ctime;
        e.cinfo = entry.cinfo;
        log.push_front(e);
        return;
    }
    log.push_front(entry);
    log.truncate(max_len);
}

/// The ACL LOG reply for the newest `count` entries.
pub fn reply(log: &VecDeque<Entry>, count: usize, now_ms: i64) -> Reply {
    let text = |s: &'static str| Reply::Bulk(Bytes::from_static(s.as_bytes()));
    Reply::Array(
        log.iter()
            .take(count)
            .map(|e| {
                let context = match e.context {
                    Context::Toplevel => "toplevel",
                    Context::Multi => "multi",
                };
                Reply::Map(vec![
                    (text("count"), Reply::Integer(e.count as i64)),
                    (text("reason"), text(e.reason.name())),
                    (text("context"), text(context)),
                    (text("object"), Reply::bulk(&e.object)),
                    (text("username"), Reply::bulk(&e.username)),
                    (
                        text("age-seconds"),
                        Reply::Double((now_ms - e.ctime) as f64 / 1000.0),
                    ),
                    (text("client-info"), Reply::bulk(e.cinfo.as_bytes())),
                ])
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, ctime: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Key,
            context: Context::Toplevel,
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            ctime,
            cinfo: String::new(),
        }
    }

    #[test]
    fn similar_entries_merge_and_the_log_is_capped() {
        let mut log = VecDeque::new();
        add(&mut log, entry("a", 0), 3);
        add(&mut log, entry("b", 10), 3);
        add(&mut log, entry("a", 20), 3);
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].object.as_slice(), log[0].count), (&b"a"[..], 2));
        // Too far apart in time: a new entry.
        add(&mut log, entry("a", 20 + GROUPING_MS + 1), 3);
        add(&mut log, entry("c", 100_000), 3);
        add(&mut log, entry("d", 100_000), 3);
        assert_eq!(log.len(), 3);
        assert_eq!(log[0].object, b"d");
    }
}
