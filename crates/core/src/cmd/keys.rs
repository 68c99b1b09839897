//! Generic key-space commands (Redis's db.c): DEL UNLINK EXISTS TYPE KEYS
//! RANDOMKEY RENAME RENAMENX MOVE COPY SWAPDB TOUCH DBSIZE FLUSHDB FLUSHALL.

use crate::args::{self, Args};
use crate::cmd::memory;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::events::classes;
use crate::value::Value;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("del", -2, WRITE, acl::KEYSPACE, del).keys(1, -1, 1),
        Command::new("unlink", -2, WRITE | FAST, acl::KEYSPACE, del).keys(1, -1, 1),
        Command::new("exists", -2, READONLY | FAST, acl::KEYSPACE, exists).keys(1, -1, 1),
        Command::new("type", 2, READONLY | FAST, acl::KEYSPACE, type_cmd).keys(1, 1, 1),
        Command::new("keys", 2, READONLY, acl::KEYSPACE | acl::DANGEROUS, keys),
        Command::new("randomkey", 1, READONLY, acl::KEYSPACE, randomkey),
        Command::new("rename", 3, WRITE, acl::KEYSPACE, rename).keys(1, 2, 1),
        Command::new("renamenx", 3, WRITE | FAST, acl::KEYSPACE, renamenx).keys(1, 2, 1),
        Command::new("move", 3, WRITE | FAST, acl::KEYSPACE, move_cmd).keys(1, 1, 1),
        Command::new("copy", -3, WRITE | DENYOOM, acl::KEYSPACE, copy).keys(1, 2, 1),
        Command::new(
            "swapdb",
            3,
            WRITE | FAST,
            acl::KEYSPACE | acl::DANGEROUS,
            swapdb,
        ),
        Command::new("touch", -2, READONLY | FAST, acl::KEYSPACE, touch).keys(1, -1, 1),
        Command::new("dbsize", 1, READONLY | FAST, acl::KEYSPACE, dbsize),
        Command::new(
            "flushdb",
            -1,
            WRITE,
            acl::KEYSPACE | acl::DANGEROUS,
            flushdb,
        ),
        Command::new(
            "flushall",
            -1,
            WRITE,
            acl::KEYSPACE | acl::DANGEROUS,
            flushall,
        ),
    ]
}

/// DEL and UNLINK (freeing is never deferred here, so they are the same).
fn del(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut deleted = 0;
    while let Some(key) = args.next_opt() {
        if ctx.delete_key(key) {
            ctx.notify(classes::GENERIC, "del", key);
            ctx.dirty(1);
            deleted += 1;
        }
    }
    Ok(Reply::Integer(deleted))
}

/// Counts every argument that exists, repeated ones included.
fn exists(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut n = 0;
    while let Some(key) = args.next_opt() {
        if ctx.lookup_read_with(key, false, true).is_some() {
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

fn type_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(Reply::status(
        match ctx.lookup_read_with(key, false, true) {
            Some(v) => v.type_name(),
            None => "none",
        },
    ))
}

/// Hides logically expired keys without deleting them (Redis's keyIsExpired).
fn keys(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let pattern = args.next()?;
    let all = pattern.as_ref() == b"*";
    let now = ctx.now_ms;
    let db = &ctx.engine.dbs[ctx.db_index];
    let mut out = Vec::new();
    for (key, _) in db.keys().iter() {
        if (all || super::scan::pattern_match(pattern, key)) && !db.is_expired(key, now) {
            out.push(Reply::Bulk(key.to_bytes()));
        }
    }
    Ok(Reply::Array(out))
}

/// Redis's dbRandomKey: skips (and lazily deletes) expired keys; a replica,
/// which cannot delete them, gives up after 100 tries when every key is volatile.
fn randomkey(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let db = ctx.db_index;
    let mut tries = 100;
    loop {
        let engine = &mut *ctx.engine;
        let d = &engine.dbs[db];
        let all_volatile = d.len() == d.expires_count();
        let Some((key, _)) = d.keys().fair_random_entry(&mut engine.rng) else {
            return Ok(Reply::Nil);
        };
        let key = key.to_bytes();
        if d.expire_of(&key).is_some() {
            if all_volatile && engine.is_replica {
                tries -= 1;
                if tries == 0 {
                    return Ok(Reply::Bulk(key));
                }
            }
            if ctx.expire_if_needed(&key) {
                continue;
            }
        }
        return Ok(Reply::Bulk(key));
    }
}

fn rename(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rename_generic(ctx, args, true)
}

fn rename_generic(ctx: &mut Ctx, args: &mut Args, nx: bool) -> CmdResult {
    let src = args.next()?;
    let dst = args.next()?;
    if ctx.lookup_write(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    let done = if nx { Reply::Integer(1) } else { Reply::OK };
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::OK });
    }
    let expire = ctx.expire_of(src);
    if ctx.lookup_write(dst).is_some() {
        if nx {
            return Ok(Reply::Integer(0));
        }
        ctx.db().remove(dst);
    }
    // The value moves with its access stamp, as Redis moves the object.
    let db = ctx.db();
    let stamp = db.stamp_of(src).unwrap_or(0);
    let value = db.remove(src).expect("looked up above");
    db.insert_stamped(dst, value, false, |_| stamp);
    if let Some(at) = expire {
        db.set_expire(dst, at);
    }
    // The destination is added anew (Redis's dbAdd: the `new` event).
    ctx.notify(classes::NEW, "new", dst);
    ctx.signal_modified(src);
    ctx.signal_modified(dst);
    let db = ctx.db_index;
    ctx.engine.signal_key_added(db, dst);
    ctx.notify(classes::GENERIC, "rename_from", src);
    ctx.notify(classes::GENERIC, "rename_to", dst);
    ctx.dirty(1);
    Ok(done)
}

/// A DB index argument with getIntFromObject's rules (a C int); `msg` replaces
/// the default error text, as SWAPDB does.
pub(crate) fn parse_db_index(arg: &[u8], msg: Option<&'static str>) -> Result<i64, CmdError> {
    let custom = |e| msg.map_or(e, CmdError::err);
    match args::parse_i64(arg) {
        Ok(n) if i32::try_from(n).is_ok() => Ok(n),
        Ok(_) => Err(custom(CmdError::err(
            "value is out of range, value must between -2147483648 and 2147483647",
        ))),
        Err(e) => Err(custom(e)),
    }
}

/// A DB index that must name an existing database.
fn select_index(ctx: &Ctx, n: i64) -> Result<usize, CmdError> {
    if n < 0 || n as usize >= ctx.engine.dbs.len() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

fn move_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let n = parse_db_index(args.next()?, None)?;
    let dst = select_index(ctx, n)?;
    let src = ctx.db_index;
    if src == dst {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    if ctx.lookup_write(key).is_none() {
        return Ok(Reply::Integer(0));
    }
    let expire = ctx.expire_of(key);
    let now = ctx.now_ms;
    if !ctx.engine.expire_if_needed(dst, key, now) && ctx.engine.dbs[dst].get_raw(key).is_some() {
        return Ok(Reply::Integer(0));
    }
    let stamp = ctx.db().stamp_of(key).unwrap_or(0);
    let value = ctx.db().remove(key).expect("looked up above");
    let target = ctx.db_at(dst);
    target.insert_stamped(key, value, false, |_| stamp);
    if let Some(at) = expire {
        target.set_expire(key, at);
    }
    ctx.engine
        .notify_keyspace_event(classes::NEW, "new", key, dst);
    ctx.engine.signal_modified_key(src, key);
    ctx.engine.signal_modified_key(dst, key);
    ctx.engine.signal_key_added(dst, key);
    ctx.engine
        .notify_keyspace_event(classes::GENERIC, "move_from", key, src);
    ctx.engine
        .notify_keyspace_event(classes::GENERIC, "move_to", key, dst);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

/// COPY source destination [DB index] [REPLACE]
fn copy(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let src_key = args.next()?;
    let dst_key = args.next()?;
    let src = ctx.db_index;
    let mut dst = src;
    let mut replace = false;
    while let Some(opt) = args.next_opt() {
        if args::is(opt, "replace") {
            replace = true;
        } else if args::is(opt, "db") && !args.is_empty() {
            let n = parse_db_index(args.next()?, None)?;
            dst = select_index(ctx, n)?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if src == dst && src_key == dst_key {
        return Err(CmdError::err("source and destination objects are the same"));
    }
    if ctx.lookup_read(src_key).is_none() {
        return Ok(Reply::Integer(0));
    }
    let expire = ctx.expire_of(src_key);
    let now = ctx.now_ms;
    let exists = !ctx.engine.expire_if_needed(dst, dst_key, now)
        && ctx.engine.dbs[dst].get_raw(dst_key).is_some();
    if exists && !replace {
        return Ok(Reply::Integer(0));
    }
    // A copy is a new object: fresh access stamp, its own TTL (or none), and
    // never one of Redis's shared integers.
    let value = ctx.db().get_raw(src_key).expect("looked up above").clone();
    let flags = match &value {
        Value::Str(s) if s.int().is_some() => super::object::UNSHARED,
        _ => 0,
    };
    let engine = &mut *ctx.engine;
    let config = &engine.config;
    let target = &mut engine.dbs[dst];
    target.remove(dst_key);
    target.insert_stamped(dst_key, value, false, |_| {
        super::object::new_stamp(config, now) | flags
    });
    if let Some(at) = expire {
        target.set_expire(dst_key, at);
    }
    ctx.engine
        .notify_keyspace_event(classes::NEW, "new", dst_key, dst);
    ctx.engine.signal_modified_key(dst, dst_key);
    ctx.engine.signal_key_added(dst, dst_key);
    ctx.engine
        .notify_keyspace_event(classes::GENERIC, "copy_to", dst_key, dst);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

fn swapdb(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let a = parse_db_index(args.next()?, Some("invalid first DB index"))?;
    let b = parse_db_index(args.next()?, Some("invalid second DB index"))?;
    let n = ctx.engine.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(CmdError::DbIndexOutOfRange);
    }
    let (a, b) = (a as usize, b as usize);
    if a != b {
        ctx.engine.signal_swapped_dbs(a, b);
        // Whole databases (keys, expires, expiry cursor, avg TTL) change places;
        // clients stay on their index.
        ctx.engine.dbs.swap(a, b);
    }
    ctx.dirty(1);
    Ok(Reply::OK)
}

/// Counts keys that exist and updates their access time.
fn touch(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut n = 0;
    while let Some(key) = args.next_opt() {
        if ctx.lookup_read(key).is_some() {
            n += 1;
        }
    }
    Ok(Reply::Integer(n))
}

fn dbsize(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.db().len() as i64))
}

/// `[ASYNC|SYNC]`: whether the flush is asynchronous (without an option:
/// `lazyfree-lazy-user-flush`). Memory is always freed synchronously here;
/// the mode only decides whether the freed pages are purged at once.
fn flush_is_async(ctx: &Ctx, args: &Args) -> Result<bool, CmdError> {
    match args.rest() {
        [] => Ok(ctx.engine.config.lazyfree_lazy_user_flush),
        [opt] if args::is(opt, "sync") => Ok(false),
        [opt] if args::is(opt, "async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let lazy = flush_is_async(ctx, args)?;
    let db = ctx.db_index;
    ctx.engine.signal_flushed_db(Some(db));
    let removed = ctx.db().len() as u64;
    ctx.db().clear();
    ctx.dirty(removed);
    // Propagated even when the database was already empty.
    ctx.force_propagation();
    if !lazy {
        memory::purge_after_flush();
    }
    Ok(Reply::OK)
}

fn flushall(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let lazy = flush_is_async(ctx, args)?;
    ctx.engine.signal_flushed_db(None);
    let mut removed = 0;
    for db in ctx.engine.dbs.iter_mut() {
        removed += db.len() as u64;
        db.clear();
    }
    ctx.dirty(removed);
    // Redis also saves an RDB here when save points are configured (which
    // resets dirty); that belongs to the persistence layer.
    ctx.force_propagation();
    if !lazy {
        memory::purge_after_flush();
    }
    Ok(Reply::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use bytes::Bytes;
    use std::sync::{Arc, Mutex};

    type Props = Arc<Mutex<Vec<(usize, Vec<String>)>>>;

    struct T {
        e: Engine,
        id: u64,
        clock: ManualClock,
        props: Props,
    }

    impl T {
        fn new() -> T {
            let clock = ManualClock::new(1_700_000_000_000);
            let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
            let id = e.add_client();
            let props = Arc::new(Mutex::new(Vec::new()));
            let p = props.clone();
            e.add_propagation_sink(Box::new(move |db, argv| {
                p.lock().unwrap().push((
                    db,
                    argv.iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                ))
            }));
            T {
                e,
                id,
                clock,
                props,
            }
        }
        fn run(&mut self, args: &[&str]) -> Reply {
            let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
            self.e.execute(self.id, &argv).unwrap()
        }
        fn int(&mut self, args: &[&str]) -> i64 {
            match self.run(args) {
                Reply::Integer(n) => n,
                r => panic!("{args:?} -> {r:?}"),
            }
        }
        fn take_props(&mut self) -> Vec<(usize, Vec<String>)> {
            std::mem::take(&mut *self.props.lock().unwrap())
        }
    }

    fn err(s: &'static str) -> Reply {
        Reply::error(s)
    }

    #[test]
    fn del_exists_touch_count() {
        let mut t = T::new();
        t.run(&["SET", "a", "1"]);
        t.run(&["SET", "b", "2"]);
        assert_eq!(t.int(&["EXISTS", "a", "a", "b", "c"]), 3);
        assert_eq!(t.int(&["TOUCH", "a", "a", "c"]), 2);
        assert_eq!(t.int(&["DEL", "a", "a", "c"]), 1);
        assert_eq!(t.int(&["UNLINK", "b"]), 1);
        assert_eq!(t.int(&["DBSIZE"]), 0);
        assert_eq!(t.int(&["EXISTS", "a"]), 0);
    }

    #[test]
    fn expired_keys_are_invisible_and_lazily_deleted() {
        let mut t = T::new();
        t.run(&["SET", "a", "1"]);
        t.run(&["PEXPIRE", "a", "100"]);
        t.run(&["SET", "b", "2"]);
        t.clock.advance(200);
        assert_eq!(t.int(&["DBSIZE"]), 2, "not yet reclaimed");
        assert_eq!(t.run(&["KEYS", "*"]), Reply::Array(vec![Reply::bulk("b")]));
        assert_eq!(
            t.run(&["KEYS", "[ab]"]),
            Reply::Array(vec![Reply::bulk("b")])
        );
        assert_eq!(t.run(&["KEYS", "a*"]), Reply::Array(vec![]));
        assert_eq!(t.int(&["DBSIZE"]), 2, "KEYS does not delete");
        assert_eq!(t.run(&["TYPE", "a"]), Reply::status("none"));
        assert_eq!(t.int(&["DBSIZE"]), 1);
        assert_eq!(t.e.stats.expired_keys, 1);
    }

    #[test]
    fn randomkey_skips_expired_and_terminates() {
        let mut t = T::new();
        assert_eq!(t.run(&["RANDOMKEY"]), Reply::Nil);
        for i in 0..50 {
            t.run(&["SET", &format!("k{i}"), "v"]);
            t.run(&["PEXPIRE", &format!("k{i}"), "10"]);
        }
        t.run(&["SET", "live", "v"]);
        t.clock.advance(20);
        assert_eq!(t.run(&["RANDOMKEY"]), Reply::bulk("live"));
        // All volatile and all expired: the master deletes them all and answers nil.
        t.run(&["DEL", "live"]);
        for i in 0..10 {
            t.run(&["SET", &format!("x{i}"), "v"]);
            t.run(&["PEXPIRE", &format!("x{i}"), "10"]);
        }
        t.clock.advance(20);
        assert_eq!(t.run(&["RANDOMKEY"]), Reply::Nil);
        // A replica cannot delete: it gives up and returns an expired name.
        for i in 0..10 {
            t.run(&["SET", &format!("y{i}"), "v"]);
            t.run(&["PEXPIRE", &format!("y{i}"), "10"]);
        }
        t.clock.advance(20);
        t.e.is_replica = true;
        assert!(matches!(t.run(&["RANDOMKEY"]), Reply::Bulk(_)));
    }

    #[test]
    fn rename_keeps_ttl_and_value() {
        let mut t = T::new();
        assert_eq!(t.run(&["RENAME", "nx", "b"]), err("ERR no such key"));
        assert_eq!(t.run(&["RENAMENX", "nx", "b"]), err("ERR no such key"));
        t.run(&["SET", "a", "1"]);
        t.run(&["PEXPIRE", "a", "100000"]);
        assert_eq!(t.run(&["RENAME", "a", "a"]), Reply::OK);
        assert_eq!(t.int(&["RENAMENX", "a", "a"]), 0);
        assert_eq!(t.run(&["RENAME", "a", "b"]), Reply::OK);
        assert_eq!(t.int(&["PTTL", "b"]), 100000);
        assert_eq!(t.int(&["EXISTS", "a"]), 0);
        t.run(&["SET", "c", "3"]);
        assert_eq!(t.int(&["RENAMENX", "b", "c"]), 0);
        assert_eq!(t.run(&["RENAME", "c", "b"]), Reply::OK);
        assert_eq!(t.int(&["TTL", "b"]), -1, "destination TTL replaced");
        assert_eq!(t.run(&["GET", "b"]), Reply::bulk("3"));
        assert_eq!(t.int(&["RENAMENX", "b", "d"]), 1);
    }

    #[test]
    fn move_and_copy_across_dbs() {
        let mut t = T::new();
        t.run(&["SET", "a", "hello"]);
        t.run(&["PEXPIRE", "a", "100000"]);
        assert_eq!(
            t.run(&["MOVE", "a", "0"]),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(
            t.run(&["MOVE", "a", "16"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(
            t.run(&["MOVE", "a", "x"]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            t.run(&["MOVE", "a", "4294967296"]),
            err("ERR value is out of range, value must between -2147483648 and 2147483647")
        );
        assert_eq!(t.int(&["MOVE", "nokey", "1"]), 0);
        assert_eq!(t.int(&["MOVE", "a", "1"]), 1);
        assert_eq!(t.int(&["EXISTS", "a"]), 0);
        t.run(&["SELECT", "1"]);
        assert_eq!(t.int(&["PTTL", "a"]), 100000);
        assert_eq!(t.int(&["COPY", "a", "b"]), 1);
        assert_eq!(t.int(&["PTTL", "b"]), 100000);
        assert_eq!(t.int(&["COPY", "a", "b"]), 0);
        t.run(&["SET", "c", "other"]);
        assert_eq!(t.int(&["COPY", "c", "b", "REPLACE"]), 1);
        assert_eq!(t.int(&["TTL", "b"]), -1);
        assert_eq!(t.int(&["COPY", "a", "a", "DB", "0"]), 1);
        assert_eq!(
            t.run(&["COPY", "a", "a"]),
            err("ERR source and destination objects are the same")
        );
        assert_eq!(
            t.run(&["COPY", "a", "z", "DB", "99"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(t.run(&["COPY", "a", "z", "DB"]), err("ERR syntax error"));
        assert_eq!(t.run(&["COPY", "a", "z", "foo"]), err("ERR syntax error"));
        t.run(&["SELECT", "0"]);
        assert_eq!(t.run(&["GET", "a"]), Reply::bulk("hello"));
        assert_eq!(t.int(&["PTTL", "a"]), 100000);
    }

    #[test]
    fn keyspace_events() {
        let mut t = T::new();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let l = log.clone();
        t.e.set_event_sink(Box::new(move |ev| {
            let key = String::from_utf8_lossy(&ev.key).into_owned();
            l.lock()
                .unwrap()
                .push(format!("{}:{}:{key}", ev.db, ev.event));
        }));
        t.e.notify_flags = crate::events::parse_flags("KEAm").unwrap();
        t.run(&["SET", "a", "1"]);
        log.lock().unwrap().clear();
        t.run(&["RENAME", "a", "b"]);
        t.run(&["MOVE", "b", "2"]);
        t.run(&["SELECT", "2"]);
        t.run(&["COPY", "b", "c", "DB", "3"]);
        t.run(&["DEL", "b", "nokey"]);
        t.run(&["EXISTS", "nokey"]);
        assert_eq!(
            *log.lock().unwrap(),
            vec![
                "0:rename_from:a",
                "0:rename_to:b",
                "0:move_from:b",
                "2:move_to:b",
                "3:copy_to:c",
                "2:del:b",
                "2:keymiss:nokey",
            ]
        );
    }

    #[test]
    fn swapdb_and_flush() {
        let mut t = T::new();
        t.run(&["SET", "a", "1"]);
        assert_eq!(
            t.run(&["SWAPDB", "x", "1"]),
            err("ERR invalid first DB index")
        );
        assert_eq!(
            t.run(&["SWAPDB", "0", "x"]),
            err("ERR invalid second DB index")
        );
        assert_eq!(
            t.run(&["SWAPDB", "0", "16"]),
            err("ERR DB index is out of range")
        );
        assert_eq!(t.run(&["SWAPDB", "0", "1"]), Reply::OK);
        assert_eq!(t.int(&["DBSIZE"]), 0);
        t.run(&["SELECT", "1"]);
        assert_eq!(t.int(&["DBSIZE"]), 1);
        t.take_props();
        assert_eq!(t.run(&["FLUSHDB", "foo"]), err("ERR syntax error"));
        assert_eq!(t.run(&["FLUSHDB", "ASYNC"]), Reply::OK);
        assert_eq!(t.run(&["FLUSHDB"]), Reply::OK);
        // Propagated even when there was nothing to remove.
        assert_eq!(t.take_props().len(), 2);
        let dirty = t.e.dirty;
        assert_eq!(t.run(&["FLUSHALL", "SYNC"]), Reply::OK);
        assert_eq!(t.e.dirty, dirty);
        t.run(&["SET", "x", "1"]);
        t.run(&["SELECT", "5"]);
        t.run(&["SET", "y", "1"]);
        let dirty = t.e.dirty;
        assert_eq!(t.run(&["FLUSHALL"]), Reply::OK);
        assert_eq!(t.e.dirty, dirty + 2);
        assert_eq!(t.e.total_keys(), 0);
    }
}
