//! CONFIG GET SET RESETSTAT REWRITE HELP (Redis's config.c commands). The
//! parameter table and its parsing live in `config_table`; REWRITE in
//! `config_rewrite`.

use crate::args::Args;
use crate::command::{flags::*, Command};
use crate::config_table;
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let admin = ADMIN | NOSCRIPT | LOADING | STALE;
    vec![Command::container(
        "config",
        -2,
        0,
        0,
        vec![
            Command::new("rewrite", 2, admin, 0, rewrite),
            Command::new("resetstat", 2, admin, 0, resetstat),
            Command::new("get", -3, admin, 0, get),
            Command::new("help", 2, LOADING | STALE, 0, help),
            Command::new("set", -4, admin, 0, set),
        ],
    )]
}

fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let patterns: Vec<&[u8]> = args.rest().iter().map(|a| a.as_ref()).collect();
    let engine = &mut *ctx.engine;
    // Keyspace events may be switched by the engine's owner directly.
    engine.config.notify_keyspace_events = engine.notify_flags;
    let pairs = config_table::config_get(&engine.config, &patterns);
    Ok(Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk(k), Reply::bulk(v)))
            .collect(),
    ))
}

/// True when the client connects from 127.0.0.1, ::1 (exactly: Redis's
/// connIsLocal), a unix socket or in-process, for `enable-*` options set to
/// `local`.
pub fn client_is_local(ctx: &mut Ctx) -> bool {
    crate::acl::client_is_local(ctx.engine, ctx.client_id)
}

/// Redis's allowProtectedAction for an `enable-*` option's value.
pub fn protected_allowed(ctx: &mut Ctx, setting: &str) -> bool {
    setting == "yes" || (setting == "local" && client_is_local(ctx))
}

fn set(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let rest = args.rest();
    if !rest.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = rest
        .chunks(2)
        .map(|p| (p[0].as_ref(), p[1].as_ref()))
        .collect();
    let setting = ctx.engine.config.enable_protected_configs.clone();
    let protected_ok = protected_allowed(ctx, &setting);
    let engine = &mut *ctx.engine;
    engine.config.notify_keyspace_events = engine.notify_flags;
    let requirepass = engine.config.requirepass.clone();
    let before = (!engine.config_hooks.is_empty()).then(|| engine.config.clone());
    let bg_thread = engine.config.params.get("jemalloc-bg-thread").cloned();
    let loading = engine.loading_dataset();
    config_table::config_set(&mut engine.config, &pairs, protected_ok, loading).map_err(|e| {
        if e == config_table::LOADING_REFUSED {
            CmdError::other(config_table::LOADING_REFUSED)
        } else {
            CmdError::err(e)
        }
    })?;
    // Upper layers act on their parameters; a failure undoes the whole call.
    if let Some(before) = before {
        engine.apply_config_hooks(before).map_err(CmdError::err)?;
    }
    if engine.config.params.get("jemalloc-bg-thread") != bg_thread.as_ref() {
        crate::cmd::memory::apply_background_thread(&engine.config);
    }
    engine.notify_flags = engine.config.notify_keyspace_events;
    if engine.config.requirepass != requirepass {
        crate::acl::requirepass_changed(engine);
    }
    Ok(Reply::OK)
}

fn resetstat(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let engine = &mut *ctx.engine;
    engine.stats.reset();
    for cmd in engine.table.iter() {
        cmd.stats.reset();
        for sub in &cmd.subcommands {
            sub.stats.reset();
        }
    }
    Ok(Reply::OK)
}

fn rewrite(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let engine = &mut *ctx.engine;
    if engine.config.config_file.is_empty() {
        return Err(CmdError::err("The server is running without a config file"));
    }
    rewrite_config_file(engine, false).map_err(|e| {
        CmdError::err(format!(
            "Rewriting config file: {}",
            crate::config_table::strerror(&e)
        ))
    })?;
    Ok(Reply::OK)
}

/// Rewrites the config file with the running configuration and ACL users
/// (CONFIG REWRITE; DEBUG CONFIG-REWRITE-FORCE-ALL with `force_all`).
pub(crate) fn rewrite_config_file(
    engine: &mut crate::Engine,
    force_all: bool,
) -> std::io::Result<()> {
    engine.config.notify_keyspace_events = engine.notify_flags;
    let users = engine.acl.user_lines();
    crate::config_rewrite::rewrite_with_users(&engine.config, Some(&users), force_all)
}

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Array(
        HELP.iter().map(|l| Reply::status(l)).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use bytes::Bytes;
    use ember_resp::Reply;
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).expect("reply")
    }

    fn engine() -> (Engine, u64) {
        let mut e = Engine::builder()
            .clock(Arc::new(ManualClock::new(1_700_000_000_000)))
            .build();
        let id = e.add_client();
        (e, id)
    }

    fn err(r: Reply) -> String {
        match r {
            Reply::Error(e) => e.into_owned(),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn map(r: Reply) -> Vec<(String, String)> {
        let Reply::Map(m) = r else {
            panic!("expected a map, got {r:?}")
        };
        m.into_iter()
            .map(|(k, v)| match (k, v) {
                (Reply::Bulk(k), Reply::Bulk(v)) => (
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn get_exact_glob_alias_and_case() {
        let (mut e, id) = engine();
        assert_eq!(
            map(run(&mut e, id, &["config", "get", "maxmemory"])),
            [("maxmemory".into(), "0".into())]
        );
        assert_eq!(
            map(run(
                &mut e,
                id,
                &["config", "get", "MAXMEMORY", "maxmemory"]
            )),
            [("MAXMEMORY".to_string(), "0".to_string())]
        );
        let names: Vec<String> = map(run(&mut e, id, &["config", "get", "*of"]))
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(names, ["replicaof", "slaveof"]);
        // Hidden parameters need their exact name.
        assert!(map(run(&mut e, id, &["config", "get", "key-load-*"])).is_empty());
        assert_eq!(
            map(run(&mut e, id, &["config", "get", "key-load-delay"])).len(),
            1
        );
        let all = map(run(&mut e, id, &["config", "get", "*"]));
        assert_eq!(all.len(), 192);
    }

    #[test]
    fn set_errors_and_atomicity() {
        let (mut e, id) = engine();
        assert_eq!(
            run(&mut e, id, &["config", "set", "hz", "5", "maxmemory"]),
            Reply::error("ERR syntax error")
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "foo", "bar"])),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "port", "x"])),
            "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "hz", "5", "databases", "3"])),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "hz", "7", "maxmemory", "abc"])),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
        );
        assert_eq!(e.config.hz, 10);
        assert_eq!(
            run(
                &mut e,
                id,
                &["config", "set", "hz", "8", "maxmemory", "1mb"]
            ),
            Reply::OK
        );
        assert_eq!((e.config.hz, e.config.maxmemory), (8, 1 << 20));
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "hz", "5", "HZ", "6"])),
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "dir", "/tmp"])),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(run(&mut e, id, &["config", "set", "hz", "0"]), Reply::OK);
        assert_eq!(e.config.hz, 1);
    }

    #[test]
    fn protected_configs_for_local_clients() {
        let config = crate::config::Config {
            enable_protected_configs: "local".into(),
            ..Default::default()
        };
        let mut e = Engine::builder().config(config).build();
        let id = e.add_client();
        let tmp = std::env::temp_dir();
        let tmp = tmp.to_str().unwrap();
        assert_eq!(run(&mut e, id, &["config", "set", "dir", tmp]), Reply::OK);
        let canonical = std::fs::canonicalize(tmp).unwrap();
        assert_eq!(e.config.dir, canonical.to_str().unwrap());
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "dir", "/nonexistent-ember"])),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
        );
        e.client_mut(id).unwrap().is_local = false;
        e.client_mut(id).unwrap().addr = "192.168.1.9:4000".into();
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "dbfilename", "x.rdb"])),
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"
        );
        e.client_mut(id).unwrap().addr = "127.0.0.1:4000".into();
        e.client_mut(id).unwrap().loopback = true;
        assert_eq!(
            run(&mut e, id, &["config", "set", "dbfilename", "x.rdb"]),
            Reply::OK
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "set", "dbfilename", "a/b"])),
            "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename"
        );
    }

    #[test]
    fn notify_keyspace_events_reach_the_engine() {
        let (mut e, id) = engine();
        assert_eq!(
            run(
                &mut e,
                id,
                &["config", "set", "notify-keyspace-events", "KEA"]
            ),
            Reply::OK
        );
        assert_ne!(e.notify_flags, 0);
        assert_eq!(
            map(run(
                &mut e,
                id,
                &["config", "get", "notify-keyspace-events"]
            )),
            [("notify-keyspace-events".into(), "AKE".into())]
        );
    }

    #[test]
    fn resetstat_and_rewrite_without_file() {
        let (mut e, id) = engine();
        run(&mut e, id, &["set", "k", "v"]);
        run(&mut e, id, &["nosuchcmd"]);
        assert!(e.stats.total_commands_processed > 0);
        assert_eq!(run(&mut e, id, &["config", "resetstat"]), Reply::OK);
        assert_eq!(e.stats.total_error_replies, 0);
        let set = e.table.lookup(b"set").unwrap();
        assert_eq!(
            set.stats.calls.load(std::sync::atomic::Ordering::Relaxed),
            0
        );
        assert_eq!(
            err(run(&mut e, id, &["config", "rewrite"])),
            "ERR The server is running without a config file"
        );
    }
}
