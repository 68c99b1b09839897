//! The command table: one row per command (name, arity, flags, key positions,
//! ACL categories, handler). It is the single source for dispatch and for the
//! `COMMAND` introspection family. Families contribute rows through
//! `commands()` functions; upper layers (persistence, replication) add theirs
//! with [`TableBuilder::add`] before the engine is built.

use crate::args::Args;
use crate::ctx::Ctx;
use crate::error::CmdResult;
use ahash::AHashMap;
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};

pub type Handler = fn(&mut Ctx, &mut Args) -> CmdResult;
/// Extracts key positions for commands whose keys move (numkeys, SORT ...).
pub type KeysFn = fn(&[Bytes]) -> Vec<usize>;

/// Command flags, as `COMMAND INFO` names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const SENTINEL: u32 = 1 << 14;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 15;
    pub const PROTECTED: u32 = 1 << 16;
    pub const NO_ASYNC_LOADING: u32 = 1 << 17;
    pub const NO_MULTI: u32 = 1 << 18;
    pub const MOVABLE_KEYS: u32 = 1 << 19;
    pub const ALLOW_BUSY: u32 = 1 << 20;
    /// Cluster's ASKING redirection applies (RESTORE-ASKING); shown only.
    pub const ASKING: u32 = 1 << 21;

    /// Names in the order Redis lists them in `COMMAND INFO`.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (PROTECTED, "protected"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Explicit ACL categories; `@read`, `@write`, `@fast`, `@slow`, `@admin`,
/// `@dangerous`, `@pubsub` and `@blocking` are implied by flags, as in Redis.
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    /// Category names in Redis's ACL order.
    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// Per-command counters for `INFO commandstats`.
#[derive(Default, Debug)]
pub struct CommandStats {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected_calls: AtomicU64,
    pub failed_calls: AtomicU64,
    /// Call durations for `INFO latencystats`.
    pub latency: crate::stats::LatencyHistogram,
}

impl CommandStats {
    pub fn reset(&self) {
        self.latency.reset();
        for c in [
            &self.calls,
            &self.usec,
            &self.rejected_calls,
            &self.failed_calls,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// One row of the command table.
#[derive(Debug)]
pub struct Command {
    /// Lowercase name; for subcommands the part after `|`.
    pub name: &'static str,
    /// Redis arity: positive = exact argument count including the name,
    /// negative = at least that many.
    pub arity: i32,
    pub flags: u32,
    pub acl: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub keys_fn: Option<KeysFn>,
    /// Position of a member of the collection at `first_key` (a hash field,
    /// a set or sorted-set member), 0 for none: a hint for prefetching only.
    pub member_arg: usize,
    /// `None` for containers (CONFIG, CLIENT ...) which dispatch to subcommands.
    pub handler: Option<Handler>,
    pub subcommands: Vec<Command>,
    /// `container|sub` for subcommands, else the name.
    pub full_name: String,
    pub stats: CommandStats,
}

impl Command {
    /// A row with no keys; chain `.keys(..)` for commands that take keys.
    pub fn new(name: &'static str, arity: i32, flags: u32, acl: u32, handler: Handler) -> Command {
        Command {
            name,
            arity,
            flags,
            acl,
            first_key: 0,
            last_key: 0,
            step: 0,
            keys_fn: None,
            member_arg: 0,
            handler: Some(handler),
            subcommands: Vec::new(),
            full_name: name.to_string(),
            stats: CommandStats::default(),
        }
    }

    /// A container whose subcommands do the work (`CONFIG GET`, `CLIENT LIST`).
    pub fn container(
        name: &'static str,
        arity: i32,
        flags: u32,
        acl: u32,
        subs: Vec<Command>,
    ) -> Command {
        let subcommands = subs
            .into_iter()
            .map(|mut s| {
                s.full_name = format!("{name}|{}", s.name);
                s
            })
            .collect();
        Command {
            handler: None,
            subcommands,
            ..Command::new(name, arity, flags, acl, |_, _| unreachable!())
        }
    }

    /// Key positions: first, last (negative counts from the end), step.
    pub fn keys(mut self, first: i32, last: i32, step: i32) -> Command {
        self.first_key = first;
        self.last_key = last;
        self.step = step;
        self
    }

    /// Where the member argument sits (see `member_arg`).
    pub fn member(mut self, pos: usize) -> Command {
        self.member_arg = pos;
        self
    }

    pub fn movable_keys(mut self, f: KeysFn) -> Command {
        self.keys_fn = Some(f);
        self.flags |= flags::MOVABLE_KEYS;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a > 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    pub fn subcommand(&self, name: &[u8]) -> Option<&Command> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// ACL categories including those implied by flags (Redis's setImplicitACLCategories).
    pub fn acl_categories(&self) -> u32 {
        let mut c = self.acl;
        if self.has(flags::WRITE) {
            c |= acl::WRITE;
        }
        if self.has(flags::READONLY) && c & acl::SCRIPTING == 0 {
            c |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            c |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            c |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            c |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            c |= acl::BLOCKING;
        }
        if c & acl::FAST == 0 {
            c |= acl::SLOW;
        }
        c
    }

    /// Key argument positions for this invocation (COMMAND GETKEYS, later ACL/cluster).
    pub fn key_positions(&self, argv: &[Bytes]) -> Vec<usize> {
        if let Some(f) = self.keys_fn {
            return f(argv);
        }
        if self.first_key <= 0 {
            return Vec::new();
        }
        let argc = argv.len() as i32;
        let last = if self.last_key < 0 {
            argc + self.last_key
        } else {
            self.last_key
        };
        let step = self.step.max(1);
        let mut out = Vec::new();
        let mut i = self.first_key;
        while i <= last && i < argc {
            out.push(i as usize);
            i += step;
        }
        out
    }
}

/// Collects rows from every family (and from upper layers) into a table.
#[derive(Default)]
pub struct TableBuilder {
    rows: Vec<Command>,
}

impl TableBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds rows; a later row with the same name replaces the earlier one.
    pub fn add(&mut self, rows: impl IntoIterator<Item = Command>) -> &mut Self {
        for row in rows {
            self.rows.retain(|r| r.name != row.name);
            self.rows.push(row);
        }
        self
    }

    pub fn build(self) -> CommandTable {
        let mut by_name = AHashMap::with_capacity(self.rows.len());
        for (i, row) in self.rows.iter().enumerate() {
            by_name.insert(row.name.as_bytes().to_vec(), i);
        }
        CommandTable {
            rows: self.rows,
            by_name,
        }
    }
}

pub struct CommandTable {
    rows: Vec<Command>,
    by_name: AHashMap<Vec<u8>, usize>,
}

impl CommandTable {
    /// Case-insensitive lookup without allocating for ordinary names.
    pub fn lookup(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 32];
        if name.len() <= buf.len() {
            let lower = &mut buf[..name.len()];
            lower.copy_from_slice(name);
            lower.make_ascii_lowercase();
            return self.by_name.get(&lower[..]).map(|&i| &self.rows[i]);
        }
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.rows[i])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.rows.iter()
    }

    /// `rename-command`: the row answers to `to` instead of `from`, or to
    /// nothing when `to` is empty. Rows keep their names (errors, COMMAND
    /// INFO and ACL rules still say `get`), as Redis keeps `fullname`.
    pub fn rename(&mut self, from: &[u8], to: &[u8]) -> Result<(), &'static str> {
        let from = from.to_ascii_lowercase();
        let Some(i) = self.by_name.remove(&from) else {
            return Err("No such command in rename-command");
        };
        if !to.is_empty() {
            let to = to.to_ascii_lowercase();
            if self.by_name.contains_key(&to) {
                self.by_name.insert(from, i);
                return Err("Target command name already exists");
            }
            self.by_name.insert(to, i);
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}
