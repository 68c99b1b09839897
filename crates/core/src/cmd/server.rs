//! Server administration: TIME, LASTSAVE, SHUTDOWN and the DEBUG subset tools
//! use (HELP, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, POPULATE, DIGEST, DIGEST-VALUE,
//! CHANGE-REPL-ID).

use crate::args::{atoi, is, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::engine::ShutdownRequest;
use crate::error::{CmdError, CmdResult};
use crate::value::{StrValue, Value};
use bytes::Bytes;
use ember_resp::Reply;
use rand::Rng;

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("time", 1, LOADING | STALE | FAST, 0, time),
        Command::new(
            "lastsave",
            1,
            LOADING | STALE | FAST,
            acl::ADMIN | acl::DANGEROUS,
            lastsave,
        ),
        Command::new(
            "shutdown",
            -1,
            ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
            0,
            shutdown,
        ),
        Command::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, 0, debug),
    ]
}

/// 40 random hex digits (run ids, replication ids).
pub fn random_hex40(rng: &mut impl Rng) -> String {
    (0..40)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

fn time(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let us = ctx.engine.clock.now_us();
    Ok(Reply::Array(vec![
        Reply::bulk(itoa::Buffer::new().format(us.div_euclid(1_000_000))),
        Reply::bulk(itoa::Buffer::new().format(us.rem_euclid(1_000_000))),
    ]))
}

fn lastsave(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.lastsave_s))
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success the engine's owner
/// sees `engine.shutdown` and stops (the reply is never sent, as in Redis).
/// NOW is accepted (there are no lagging replicas to wait for); FORCE lets
/// the persistence layer's SHUTDOWN go past a failing final save.
fn shutdown(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (mut save, mut nosave, mut abort, mut other) = (false, false, false, false);
    while let Some(a) = args.next_opt() {
        if is(a, "nosave") {
            nosave = true;
        } else if is(a, "save") {
            save = true;
        } else if is(a, "now") || is(a, "force") {
            other = true;
        } else if is(a, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::err("No shutdown in progress."));
    }
    ctx.engine.shutdown = Some(if nosave {
        ShutdownRequest::NoSave
    } else if save {
        ShutdownRequest::Save
    } else {
        ShutdownRequest::Default
    });
    Ok(Reply::OK)
}

const DEBUG_NOT_ALLOWED: &str =
    "ERR DEBUG command not allowed. If the enable-debug-command option \
     is set to \"local\", you can run it from a local connection, otherwise you need to set this \
     option in the configuration file, and then restart the server.";

fn debug(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let setting = ctx.engine.config.enable_debug_command.clone();
    if !super::config::protected_allowed(ctx, &setting) {
        return Err(CmdError::other(DEBUG_NOT_ALLOWED));
    }
    let argv = args.argv();
    let sub = &argv[1];
    let argc = argv.len();
    if is(sub, "help") && argc == 2 {
        return Ok(Reply::Array(
            DEBUG_HELP.iter().map(|l| Reply::status(l)).collect(),
        ));
    }
    if is(sub, "sleep") && argc == 3 {
        let secs = strtod_prefix(&argv[2]);
        let us = (secs * 1_000_000.0) as i64;
        if us > 0 {
            // Blocks the executor while it holds the engine, like Redis's thread.
            std::thread::sleep(std::time::Duration::from_micros(us as u64));
        }
        return Ok(Reply::OK);
    }
    if is(sub, "error") && argc == 3 {
        // Written as raw protocol by Redis, so not counted as an error reply.
        return Ok(Reply::RawError(argv[2].clone()));
    }
    if is(sub, "log") && argc == 3 {
        tracing::warn!("DEBUG LOG: {}", String::from_utf8_lossy(&argv[2]));
        return Ok(Reply::OK);
    }
    if is(sub, "pause-cron") && argc == 3 {
        ctx.engine.cron_paused = atoi(&argv[2]) != 0;
        return Ok(Reply::OK);
    }
    if is(sub, "listpack") && argc == 3 {
        return print_structure(ctx, &argv[2], "listpack", false);
    }
    if is(sub, "quicklist") && (argc == 3 || argc == 4) {
        let full = argc == 4 && atoi(&argv[3]) != 0;
        return print_structure(ctx, &argv[2], "quicklist", full);
    }
    if is(sub, "quicklist-packed-threshold") && argc == 3 {
        // Redis stores elements from this size up as "plain" quicklist nodes
        // of their own. Ember's list nodes have no packed/plain distinction
        // (an element over the node size gets a node to itself), so the value
        // is validated as Redis does and changes no layout.
        let size = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(crate::config_table::memtoull);
        return match size {
            Some(size) if size <= (1 << 32) - (1 << 20) => Ok(Reply::OK),
            _ => Err(CmdError::other(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
            )),
        };
    }
    if is(sub, "config-rewrite-force-all") && argc == 2 {
        if ctx.engine.config.config_file.is_empty() {
            // (Redis passes its missing path on and reports EFAULT.)
            return Err(CmdError::other(
                "ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address",
            ));
        }
        return match super::config::rewrite_config_file(ctx.engine, true) {
            Ok(()) => Ok(Reply::OK),
            Err(e) => Err(CmdError::err(format!(
                "CONFIG-REWRITE-FORCE-ALL failed: {}",
                crate::config_table::strerror(&e)
            ))),
        };
    }
    if is(sub, "client-eviction") && argc == 2 {
        return match ctx.engine.eviction_buckets_text() {
            Some(text) => Ok(Reply::Bulk(Bytes::from(text))),
            None => Err(CmdError::other("ERR maxmemory-clients is disabled.")),
        };
    }
    if is(sub, "replybuffer") && argc == 4 {
        // Redis shrinks and grows each client's reply buffer from its cron;
        // Ember's replies go straight to the connection's output, so there
        // is nothing to resize and CLIENT LIST's `rbs` stays 1024 (as with
        // RESIZING 0). The arguments are checked as Redis checks them.
        if is(&argv[2], "resizing") {
            return Ok(Reply::OK);
        }
        if is(&argv[2], "peak-reset-time") {
            if !is(&argv[3], "never") && !is(&argv[3], "reset") {
                crate::args::parse_i64(&argv[3]).map_err(|_| CmdError::NotInteger)?;
            }
            return Ok(Reply::OK);
        }
    }
    if is(sub, "protocol") && argc == 3 {
        return debug_protocol(ctx, &argv[2]);
    }
    if is(sub, "set-active-expire") && argc == 3 {
        ctx.engine.config.active_expire_enabled = atoi(&argv[2]) != 0;
        return Ok(Reply::OK);
    }
    if is(sub, "object") && argc == 3 {
        return debug_object(ctx, &argv[2]);
    }
    if is(sub, "htstats") && argc == 3 {
        return htstats(ctx, &argv[2]);
    }
    if is(sub, "htstats-key") && argc == 3 {
        let Some(value) = ctx.lookup_read_with(&argv[2], false, false) else {
            return Err(CmdError::NoSuchKey);
        };
        return match value.member_index() {
            Some(index) => Ok(Reply::Verbatim("txt", Bytes::from(index.stats_text()))),
            None => Err(CmdError::other(
                "ERR The value stored at the specified key is not represented using an hash table",
            )),
        };
    }
    if is(sub, "populate") && (3..=5).contains(&argc) {
        return populate(ctx, argv);
    }
    if is(sub, "digest") && argc == 2 {
        let digest = crate::digest::dataset(&ctx.engine.dbs);
        return Ok(Reply::Status(crate::digest::hex(&digest).into()));
    }
    if is(sub, "digest-value") {
        // Logically expired keys count too: a debugging view of what is stored.
        let db = &ctx.engine.dbs[ctx.db_index];
        let digests = argv[2..]
            .iter()
            .map(|key| {
                let mut digest = [0u8; 20];
                if let Some(value) = db.get_raw(key) {
                    let volatile = db.expire_of(key).is_some();
                    crate::digest::fold_value(&mut digest, value, volatile);
                }
                Reply::Status(crate::digest::hex(&digest).into())
            })
            .collect();
        return Ok(Reply::Array(digests));
    }
    if is(sub, "change-repl-id") && argc == 2 {
        let id = random_hex40(&mut ctx.engine.rng);
        ctx.engine.replid = id;
        ctx.engine.replid2 = "0".repeat(40);
        return Ok(Reply::OK);
    }
    Err(CmdError::subcommand_syntax(argv))
}

/// DEBUG LISTPACK and DEBUG QUICKLIST: the value's entries printed on the
/// server's stdout, for a value in that encoding (Redis prints its internal
/// layout; Ember prints what its own holds). `full` lists a quicklist's
/// elements too.
fn print_structure(ctx: &mut Ctx, key: &[u8], encoding: &str, full: bool) -> CmdResult {
    let Some(value) = ctx.lookup_read_with(key, false, false) else {
        return Err(CmdError::other("ERR no such key"));
    };
    if value.encoding() != encoding {
        return Err(CmdError::other(if encoding == "listpack" {
            "ERR Not a listpack encoded object."
        } else {
            "ERR Not a quicklist encoded object."
        }));
    }
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut out = String::new();
    match value {
        Value::Hash(h) => {
            out.push_str(&format!("{{listpack hash: {} fields}}\n", h.len()));
            for (i, (f, v)) in h.iter().enumerate() {
                out.push_str(&format!("  [{i}] {} => {}\n", show(f), show(v)));
            }
        }
        Value::ZSet(z) => {
            out.push_str(&format!("{{listpack zset: {} members}}\n", z.len()));
            for (i, (m, score)) in z.iter().enumerate() {
                out.push_str(&format!("  [{i}] {} => {score}\n", show(m)));
            }
        }
        Value::List(l) => {
            out.push_str(&format!("{{quicklist: {} elements}}\n", l.len()));
            if full {
                for (i, e) in l.iter().enumerate() {
                    out.push_str(&format!("  [{i}] {}\n", show(e)));
                }
            }
        }
        _ => {}
    }
    print!("{out}");
    Ok(Reply::status(if encoding == "listpack" {
        "Listpack structure printed on stdout"
    } else {
        "Quicklist structure printed on stdout"
    }))
}

/// DEBUG PROTOCOL: one sample reply of each RESP type, for client tests.
#[allow(clippy::approx_constant)] // Redis's sample double is 3.141, not π.
fn debug_protocol(ctx: &mut Ctx, kind: &[u8]) -> CmdResult {
    let resp3 = ctx.client().proto == ember_resp::Proto::Resp3;
    let ints = || (0..3).map(Reply::Integer).collect::<Vec<_>>();
    let reply = match kind.to_ascii_lowercase().as_slice() {
        b"string" => Reply::Bulk(Bytes::from_static(b"Hello World")),
        b"integer" => Reply::Integer(12345),
        b"double" => Reply::Double(3.141),
        b"bignum" => Reply::BigNumber(Bytes::from_static(b"1234567999999999999999999999999999999")),
        b"null" => Reply::Nil,
        b"array" => Reply::Array(ints()),
        b"set" => Reply::Set(ints()),
        b"map" => Reply::Map(
            ints()
                .into_iter()
                .zip([false, true, false].map(Reply::Bool))
                .collect(),
        ),
        // RESP2 has no attributes: the reply alone.
        b"attrib" => Reply::Preceded(
            Bytes::from_static(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"),
            Box::new(Reply::Bulk(Bytes::from_static(
                b"Some real reply following the attribute",
            ))),
        ),
        b"push" if !resp3 => {
            return Err(CmdError::other(
                "ERR RESP2 is not supported by this command",
            ))
        }
        b"push" => Reply::Preceded(
            Bytes::from_static(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"),
            Box::new(Reply::Bulk(Bytes::from_static(
                b"Some real reply following the push reply",
            ))),
        ),
        b"verbatim" => Reply::Verbatim("txt", Bytes::from_static(b"This is a verbatim\nstring")),
        b"true" => Reply::Bool(true),
        b"false" => Reply::Bool(false),
        _ => {
            return Err(CmdError::other(
                "ERR Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    };
    Ok(reply)
}

/// DEBUG HTSTATS: the keyspace table's stats, then the expiry index's.
fn htstats(ctx: &mut Ctx, dbid: &[u8]) -> CmdResult {
    let dbid = ember_resp::num::parse_i64(dbid).ok_or(CmdError::NotInteger)?;
    let Some(db) = usize::try_from(dbid)
        .ok()
        .and_then(|i| ctx.engine.dbs.get(i))
    else {
        return Err(CmdError::other("ERR Out of range database"));
    };
    let mut text = String::from("[Dictionary HT]\n");
    text.push_str(&db.keys.stats_text());
    text.push_str("[Expires HT]\n");
    text.push_str(&db.ttls().stats_text());
    Ok(Reply::Verbatim("txt", Bytes::from(text)))
}

/// C's `strtod(s, NULL)`: the longest numeric prefix, 0 when there is none.
fn strtod_prefix(s: &[u8]) -> f64 {
    let t = String::from_utf8_lossy(s);
    let t = t.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&n| t.is_char_boundary(n))
        .find_map(|n| t[..n].parse::<f64>().ok().filter(|v| !v.is_nan()))
        .unwrap_or(0.0)
}

/// Bytes of an RDB length prefix.
fn rdb_len_size(len: usize) -> usize {
    match len {
        0..=63 => 1,
        64..=16383 => 2,
        16384..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// RDB size of a string (Redis's rdbSavedObjectLen for strings, without LZF).
fn rdb_string_len(s: &StrValue) -> usize {
    let int_size = |n: i64| match n {
        -128..=127 => Some(2),
        -32768..=32767 => Some(3),
        -2147483648..=2147483647 => Some(5),
        _ => None,
    };
    let bytes = s.as_bytes();
    let as_int = match s.int() {
        Some(n) => Some(n),
        _ if bytes.len() <= 11 => ember_resp::num::parse_i64(&bytes),
        _ => None,
    };
    if let Some(size) = as_int.and_then(int_size) {
        return size;
    }
    rdb_len_size(bytes.len()) + bytes.len()
}

/// DEBUG OBJECT: Redis's status line about the value (looked up without
/// expiry, statistics or touching). `serializedlength` needs the RDB codec:
/// the persistence layer's DEBUG fills it in; alone, the core gives strings'
/// uncompressed size and 0 for other types.
fn debug_object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now_ms;
    let engine = &*ctx.engine;
    let db = &engine.dbs[ctx.db_index];
    let (Some(value), Some(stamp)) = (db.get_raw(key), db.stamp_of(key)) else {
        return Err(CmdError::NoSuchKey);
    };
    let policy = &engine.config.maxmemory_policy;
    let shares =
        engine.config.maxmemory == 0 || !(policy.ends_with("-lru") || policy.ends_with("-lfu"));
    let (refcount, serialized) = match value {
        Value::Str(s) => {
            let shared = shares && s.int().is_some_and(|n| (0..10000).contains(&n));
            (if shared { i32::MAX } else { 1 }, rdb_string_len(s))
        }
        _ => (1, 0),
    };
    // Quicklist internals are estimated: Ember's lists are not quicklists.
    let extra = match value {
        Value::List(l) if value.encoding() == "quicklist" => {
            let len = l.len().max(1);
            format!(
                " ql_nodes:1 ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} \
                 ql_uncompressed_size:0",
                len as f64,
                engine.config.list_max_listpack_size,
                (engine.config.list_compress_depth != 0) as u8
            )
        }
        _ => String::new(),
    };
    let idle = crate::cmd::object::idle_ms(stamp, now) / 1000;
    Ok(Reply::Status(
        format!(
            "Value at:{:p} refcount:{refcount} encoding:{} serializedlength:{serialized} \
             lru:{} lru_seconds_idle:{idle}{extra}",
            value as *const Value,
            value.encoding(),
            stamp & 0xff_ffff,
        )
        .into(),
    ))
}

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` holding `value:N`
/// (cut or zero-padded to `size`); existing keys are skipped. Not propagated.
fn populate(ctx: &mut Ctx, argv: &[Bytes]) -> CmdResult {
    let positive = |b: &[u8]| {
        ember_resp::num::parse_i64(b)
            .filter(|n| *n >= 0)
            .ok_or_else(|| CmdError::err("value is out of range, must be positive"))
    };
    let count = positive(&argv[2])?;
    let size = match argv.get(4) {
        Some(s) => positive(s)? as usize,
        None => 0,
    };
    let prefix: &[u8] = argv.get(3).map(|p| p.as_ref()).unwrap_or(b"key");
    // Sized for the keys up front, as Redis does (incrementally when the
    // database already holds keys).
    let db = ctx.db_index;
    if !ctx.engine.dbs[db].try_expand(count as usize) {
        return Err(CmdError::other("ERR OOM in dictTryExpand"));
    }
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        key.truncate(127); // snprintf into a 128-byte buffer
        if ctx.lookup_write(&key).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if size != 0 {
            value.resize(size, 0);
        }
        ctx.set_key(&key, Value::Str(StrValue::from_vec(value)), false);
    }
    Ok(Reply::OK)
}

const DEBUG_HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
    "HELP",
    "    Prints this help.",
];

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::engine::{Engine, ShutdownRequest};
    use bytes::Bytes;
    use ember_resp::Reply;
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).expect("reply")
    }

    fn engine(debug: &str) -> (Engine, u64) {
        let config = crate::config::Config {
            enable_debug_command: debug.into(),
            ..Default::default()
        };
        let mut e = Engine::builder()
            .config(config)
            .clock(Arc::new(ManualClock::new(1_700_000_000_000)))
            .build();
        let id = e.add_client();
        (e, id)
    }

    #[test]
    fn time_and_lastsave_follow_the_clock() {
        let (mut e, id) = engine("no");
        assert_eq!(
            run(&mut e, id, &["time"]),
            Reply::Array(vec![Reply::bulk("1700000000"), Reply::bulk("0")])
        );
        assert_eq!(
            run(&mut e, id, &["lastsave"]),
            Reply::Integer(1_700_000_000)
        );
    }

    #[test]
    fn shutdown_requests() {
        for (args, want) in [
            (&["shutdown"][..], ShutdownRequest::Default),
            (&["shutdown", "NOSAVE", "now"], ShutdownRequest::NoSave),
            (&["shutdown", "save", "force"], ShutdownRequest::Save),
        ] {
            let (mut e, id) = engine("no");
            run(&mut e, id, args);
            assert_eq!(e.shutdown, Some(want));
        }
        let (mut e, id) = engine("no");
        assert_eq!(
            run(&mut e, id, &["shutdown", "abort"]),
            Reply::error("ERR No shutdown in progress.")
        );
        assert_eq!(
            run(&mut e, id, &["shutdown", "save", "nosave"]),
            Reply::error("ERR syntax error")
        );
        assert_eq!(e.shutdown, None);
    }

    #[test]
    fn debug_protection_and_local_clients() {
        let (mut e, id) = engine("no");
        assert!(
            matches!(run(&mut e, id, &["debug", "help"]), Reply::Error(m) if m.starts_with("ERR DEBUG command not allowed."))
        );
        // In-process clients count as local.
        let (mut e, id) = engine("local");
        assert!(matches!(
            run(&mut e, id, &["debug", "help"]),
            Reply::Array(_)
        ));
        e.client_mut(id).unwrap().is_local = false;
        e.client_mut(id).unwrap().addr = "10.1.2.3:5555".into();
        assert!(run(&mut e, id, &["debug", "help"]).is_error());
        e.client_mut(id).unwrap().addr = "127.0.0.1:5555".into();
        e.client_mut(id).unwrap().loopback = true;
        assert!(!run(&mut e, id, &["debug", "help"]).is_error());
    }

    #[test]
    fn debug_populate_object_and_active_expire() {
        let (mut e, id) = engine("yes");
        run(&mut e, id, &["set", "key:1", "mine"]);
        assert_eq!(run(&mut e, id, &["debug", "populate", "3"]), Reply::OK);
        assert_eq!(e.dbs[0].len(), 3);
        assert_eq!(run(&mut e, id, &["get", "key:1"]), Reply::bulk("mine"));
        assert_eq!(run(&mut e, id, &["get", "key:2"]), Reply::bulk("value:2"));
        run(&mut e, id, &["debug", "populate", "1", "z", "10"]);
        assert_eq!(
            run(&mut e, id, &["get", "z:0"]),
            Reply::bulk(b"value:0\0\0\0")
        );
        assert_eq!(e.dirty, 1, "populate is not a change for persistence");
        let Reply::Status(line) = run(&mut e, id, &["debug", "object", "key:2"]) else {
            panic!("status expected")
        };
        assert!(line.starts_with("Value at:0x"), "{line}");
        assert!(
            line.ends_with(
                " refcount:1 encoding:embstr serializedlength:8 lru:5501184 lru_seconds_idle:0"
            ),
            "{line}"
        );
        run(&mut e, id, &["set", "n", "123"]);
        let Reply::Status(line) = run(&mut e, id, &["debug", "object", "n"]) else {
            panic!("status expected")
        };
        assert!(
            line.contains(" refcount:2147483647 encoding:int serializedlength:2 "),
            "{line}"
        );
        assert_eq!(
            run(&mut e, id, &["debug", "object", "nokey"]),
            Reply::error("ERR no such key")
        );
        run(&mut e, id, &["debug", "set-active-expire", "0"]);
        assert!(!e.config.active_expire_enabled);
        run(&mut e, id, &["debug", "set-active-expire", "1"]);
        assert!(e.config.active_expire_enabled);
        assert_eq!(
            run(&mut e, id, &["DEBUG", "Bogus"]),
            Reply::error(
                "ERR unknown subcommand or wrong number of arguments for 'Bogus'. Try DEBUG HELP."
            )
        );
        let before = e.replid.clone();
        run(&mut e, id, &["debug", "change-repl-id"]);
        assert_ne!(e.replid, before);
    }

    #[test]
    fn debug_sleep_blocks_the_caller() {
        let (mut e, id) = engine("yes");
        let t = std::time::Instant::now();
        assert_eq!(run(&mut e, id, &["debug", "sleep", "0.05"]), Reply::OK);
        assert!(t.elapsed() >= std::time::Duration::from_millis(50));
        assert_eq!(super::strtod_prefix(b"1.5abc"), 1.5);
        assert_eq!(super::strtod_prefix(b"abc"), 0.0);
        assert_eq!(super::atoi(b" -12x"), -12);
    }
}
