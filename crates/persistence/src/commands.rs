//! The command rows this layer adds to the engine's table: SAVE, BGSAVE,
//! DUMP, RESTORE (and RESTORE-ASKING), DEBUG (the core's DEBUG plus RELOAD)
//! and SHUTDOWN (the core's, plus the final save).

use crate::save;
use ember_core::args::{is, Args};
use ember_core::command::{acl, flags::*, Command, Handler};
use ember_core::engine::ShutdownRequest;
use ember_core::{CmdError, CmdResult, Ctx, Engine, Reply};
use std::sync::OnceLock;

/// The core's DEBUG handler, to which every subcommand but RELOAD goes.
static CORE_DEBUG: OnceLock<Handler> = OnceLock::new();
/// The core's SHUTDOWN handler: arguments and the request.
static CORE_SHUTDOWN: OnceLock<Handler> = OnceLock::new();

pub fn commands() -> Vec<Command> {
    let core = ember_core::cmd::server::commands();
    if let Some(h) = core
        .iter()
        .find(|c| c.name == "debug")
        .and_then(|c| c.handler)
    {
        let _ = CORE_DEBUG.set(h);
    }
    // SHUTDOWN keeps the core's row (arity, flags, docs) with this handler.
    let mut shutdown_row = core.into_iter().find(|c| c.name == "shutdown");
    if let Some(row) = shutdown_row.as_mut() {
        if let Some(h) = row.handler.replace(shutdown) {
            let _ = CORE_SHUTDOWN.set(h);
        }
    }
    let mut rows = vec![
        Command::new(
            "save",
            1,
            ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
            0,
            save_cmd,
        ),
        Command::new("bgsave", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, 0, bgsave),
        Command::new("dump", 2, READONLY, acl::KEYSPACE, crate::dump::dump).keys(1, 1, 1),
        Command::new(
            "restore",
            -4,
            WRITE | DENYOOM,
            acl::KEYSPACE | acl::DANGEROUS,
            crate::dump::restore,
        )
        .keys(1, 1, 1),
        // What a cluster sends during slot migration; RESTORE itself here.
        Command::new(
            "restore-asking",
            -4,
            WRITE | DENYOOM | ASKING,
            acl::KEYSPACE | acl::DANGEROUS,
            crate::dump::restore,
        )
        .keys(1, 1, 1),
        Command::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, 0, debug),
    ];
    rows.extend(shutdown_row);
    rows
}

/// SHUTDOWN saves inside the command, as Redis's prepareForShutdown does: a
/// save that fails refuses the shutdown with Redis's error and the server
/// keeps running, unless FORCE. (Saved here, it is not saved again on exit.)
fn shutdown(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let force = args.argv()[1..].iter().any(|a| is(a, "force"));
    let Some(core) = CORE_SHUTDOWN.get() else {
        return Err(CmdError::err("SHUTDOWN is not available"));
    };
    let reply = core(ctx, args)?;
    if !prepare_shutdown(ctx.engine, force) {
        return Err(CmdError::err("Errors trying to SHUTDOWN. Check logs."));
    }
    Ok(reply)
}

/// The final save of a requested shutdown (`engine.shutdown`), done while
/// the server still runs (Redis's prepareForShutdown): true when it may
/// exit. A failed save cancels the request unless `force`. Never saves
/// while loading; once saved, the exit path does not save again.
pub fn prepare_shutdown(engine: &mut Engine, force: bool) -> bool {
    if engine.shutdown.is_none() || engine.loading {
        return true;
    }
    match save::save_on_shutdown(engine) {
        Ok(_) => engine.shutdown = Some(ShutdownRequest::NoSave),
        Err(_) if force => {}
        Err(_) => {
            engine.shutdown = None;
            tracing::warn!(
                "Errors trying to shut down the server. Check the logs for more information."
            );
            return false;
        }
    }
    true
}

fn save_cmd(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    if save::bgsave_in_progress(ctx.engine) {
        return Err(CmdError::err("Background save already in progress"));
    }
    match save::save_now(ctx.engine) {
        Ok(()) => Ok(Reply::OK),
        Err(_) => Ok(Reply::error("ERR")),
    }
}

/// Redis's shared.bgsaveerr.
pub const BGSAVE_ERR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's \
     currently unable to persist to disk. Commands that may modify the data set are disabled, \
     because this instance is configured to report errors during writes if RDB snapshotting \
     fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about \
     the RDB error.";

/// Redis's writeCommandsDeniedByDiskError plus writeCommandsGetDiskErrorMessage:
/// the MISCONF text while writes must be refused.
pub fn disk_error(engine: &Engine) -> Option<String> {
    // (Asked on every write: the configuration first, the state lookup only
    // when it can matter.)
    if engine.config.stop_writes_on_bgsave_error
        && !engine.config.save.is_empty()
        && engine
            .ext
            .get::<save::State>()
            .is_some_and(|s| !s.last_bgsave_ok)
    {
        return Some(BGSAVE_ERR.to_string());
    }
    if !engine.config.appendonly {
        return None;
    }
    let aof = engine.ext.get::<crate::aof::Aof>()?;
    let g = crate::aof::writer::lock(&aof.shared);
    if g.status != crate::aof::Status::Off && !g.last_write_ok {
        return Some(format!(
            "MISCONF Errors writing to the AOF file: {}",
            strerror(g.last_write_errno)
        ));
    }
    None
}

/// The C library's text for `errno` (Rust's Display without " (os error N)").
fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn bgsave(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut schedule = false;
    if let Some(a) = args.next_opt() {
        if is(a, "schedule") && args.is_empty() {
            schedule = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if save::bgsave_in_progress(ctx.engine) {
        return Err(CmdError::err("Background save already in progress"));
    }
    // A running AOF rewrite (Redis's other child) or an EXEC in progress:
    // the save is scheduled for the cron, or refused without SCHEDULE.
    let in_exec = ctx.engine.in_exec();
    if crate::aof::rewrite_in_progress(ctx.engine) || in_exec {
        if schedule || in_exec {
            save::state(ctx.engine).bgsave_scheduled = true;
            return Ok(Reply::status("Background saving scheduled"));
        }
        return Err(CmdError::err(
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE \
             SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    match save::bgsave_start(ctx.engine) {
        Ok(()) => Ok(Reply::status("Background saving started")),
        Err(_) => Ok(Reply::error("ERR")),
    }
}

fn debug(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let setting = ctx.engine.config.enable_debug_command.clone();
    let allowed = ember_core::cmd::config::protected_allowed(ctx, &setting);
    if allowed && is(&argv[1], "reload") {
        return crate::reload::debug_reload(ctx, &argv[2..]);
    }
    if allowed && is(&argv[1], "aof-flush-sleep") && argv.len() == 3 {
        let us = ember_core::args::atoi(&argv[2]).max(0) as u64;
        let shared = crate::aof::shared(ctx.engine);
        crate::aof::writer::lock(&shared).flush_sleep_us = us;
        return Ok(Reply::OK);
    }
    if allowed && is(&argv[1], "set-skip-checksum-validation") && argv.len() == 3 {
        save::state(ctx.engine).skip_checksum_validation = ember_core::args::atoi(&argv[2]) != 0;
        return Ok(Reply::OK);
    }
    if allowed && is(&argv[1], "loadaof") {
        // The replayed writes are not refused by MISCONF (Redis's AOF client obeys).
        let probe = ctx.engine.disk_error_probe.take();
        let r = crate::aof::debug_loadaof(ctx);
        ctx.engine.disk_error_probe = probe;
        return r;
    }
    let reply = match CORE_DEBUG.get() {
        Some(core) => core(ctx, args)?,
        None => return Err(CmdError::err("DEBUG is not available")),
    };
    if allowed && is(&argv[1], "object") && argv.len() == 3 {
        return Ok(with_serialized_length(ctx, &argv[2], reply));
    }
    Ok(reply)
}

/// DEBUG OBJECT's figures that need the RDB codec: `serializedlength`, the
/// size of the value's RDB serialization (Redis's rdbSavedObjectLen, i.e. its
/// DUMP payload without the type byte and the 10-byte footer), and a list's
/// quicklist nodes as the RDB writes them. Those nodes are cut greedily from
/// the head; Redis's follow the list's push history, so a list grown at both
/// ends can split (and compress) a little differently.
fn with_serialized_length(ctx: &mut Ctx, key: &[u8], reply: Reply) -> Reply {
    let Reply::Status(line) = &reply else {
        return reply;
    };
    // Looked up as DEBUG OBJECT does: stored, expired or not.
    let Some(value) = ctx.engine.dbs[ctx.db_index].get_raw(key) else {
        return reply;
    };
    let enc = crate::codec::Encodings::from_config(&ctx.engine.config);
    let payload = crate::dump::payload(value, &enc, ctx.engine.config.rdbcompression);
    let len = payload.len() - 11;
    let mut fields = vec![("serializedlength", len.to_string())];
    if let ember_core::value::Value::List(list) = value {
        let nodes = crate::codec::quicklist_nodes(list, ctx.engine.config.list_max_listpack_size);
        let bytes: usize = nodes.iter().map(Vec::len).sum();
        let avg = list.len() as f64 / nodes.len().max(1) as f64;
        fields.push(("ql_nodes", nodes.len().to_string()));
        fields.push(("ql_avg_node", format!("{avg:.2}")));
        fields.push(("ql_uncompressed_size", bytes.to_string()));
    }
    let line = line
        .split(' ')
        .map(|field| {
            let name = field.split(':').next().unwrap_or("");
            match fields.iter().find(|(n, _)| *n == name) {
                Some((n, v)) => format!("{n}:{v}"),
                None => field.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    Reply::Status(line.into())
}

#[cfg(test)]
mod misconf_tests {
    use super::*;
    use ember_core::Bytes;

    fn run(e: &mut Engine, id: u64, args: &[&str]) -> Reply {
        let argv: Vec<Bytes> = args.iter().map(|a| Bytes::from(a.to_string())).collect();
        e.execute(id, &argv).unwrap()
    }

    #[test]
    fn misconf_for_failed_bgsave_and_aof_writes() {
        let mut e = crate::build(Engine::builder());
        let id = e.add_client();
        e.config.save = vec![(3600, 1)];
        assert_eq!(run(&mut e, id, &["SET", "k", "v"]), Reply::OK);
        save::state(&mut e).last_bgsave_ok = false;
        let misconf = Reply::error(BGSAVE_ERR);
        assert_eq!(run(&mut e, id, &["SET", "k", "v"]), misconf);
        assert_eq!(run(&mut e, id, &["PING"]), misconf);
        assert_eq!(run(&mut e, id, &["GET", "k"]), Reply::bulk("v"));
        // Our master's writes are applied.
        let master = e.add_client();
        e.client_mut(master).unwrap().kind = ember_core::client::ClientKind::Master;
        assert_eq!(run(&mut e, master, &["SET", "k", "w"]), Reply::OK);
        e.config.stop_writes_on_bgsave_error = false;
        assert_eq!(run(&mut e, id, &["SET", "k", "v"]), Reply::OK);
        // The AOF variant, with the errno's text.
        e.config.appendonly = true;
        let sh = crate::aof::shared(&mut e);
        {
            let mut g = crate::aof::writer::lock(&sh);
            g.status = crate::aof::Status::On;
            g.last_write_ok = false;
            g.last_write_errno = 28;
        }
        assert_eq!(
            run(&mut e, id, &["INCR", "n"]),
            Reply::error("MISCONF Errors writing to the AOF file: No space left on device")
        );
        crate::aof::writer::lock(&sh).last_write_ok = true;
        assert_eq!(run(&mut e, id, &["INCR", "n"]), Reply::Integer(1));
        crate::aof::writer::lock(&sh).status = crate::aof::Status::Off;
    }

    #[test]
    fn loading_refuses_commands_without_the_flag() {
        let mut e = crate::build(Engine::builder());
        let id = e.add_client();
        crate::reload::begin_loading(&mut e, 100);
        let loading = Reply::error("LOADING Redis is loading the dataset in memory");
        assert_eq!(run(&mut e, id, &["PING"]), loading);
        assert_eq!(run(&mut e, id, &["GET", "k"]), loading);
        let (Reply::Bulk(info) | Reply::Verbatim(_, info)) =
            run(&mut e, id, &["INFO", "persistence"])
        else {
            panic!("INFO runs while loading")
        };
        let info = String::from_utf8_lossy(&info).into_owned();
        assert!(info.contains("loading:1\r\n"), "{info}");
        assert!(info.contains("loading_total_bytes:100\r\n"), "{info}");
        assert!(info.contains("loading_loaded_perc:0.00\r\n"), "{info}");
        // MULTI runs; a queued GET is refused, so EXEC aborts.
        assert_eq!(run(&mut e, id, &["MULTI"]), Reply::OK);
        assert_eq!(run(&mut e, id, &["GET", "k"]), loading);
        assert!(
            matches!(run(&mut e, id, &["EXEC"]), Reply::Error(t) if t.starts_with("EXECABORT"))
        );
        crate::reload::end_loading(&mut e);
        assert_eq!(run(&mut e, id, &["PING"]), Reply::status("PONG"));
        let (Reply::Bulk(info) | Reply::Verbatim(_, info)) =
            run(&mut e, id, &["INFO", "persistence"])
        else {
            panic!()
        };
        assert!(!String::from_utf8_lossy(&info).contains("loading_total_bytes"));
    }
}
