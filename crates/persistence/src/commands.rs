//! The command rows this layer adds to the engine's table: SAVE, BGSAVE,
//! DUMP, RESTORE, and DEBUG (the core's DEBUG plus RELOAD).

use crate::save;
use ember_core::args::{is, Args};
use ember_core::command::{acl, flags::*, Command, Handler};
use ember_core::{CmdError, CmdResult, Ctx, Reply};
use std::sync::OnceLock;

/// The core's DEBUG handler, to which every subcommand but RELOAD goes.
static CORE_DEBUG: OnceLock<Handler> = OnceLock::new();

pub fn commands() -> Vec<Command> {
    if let Some(h) = ember_core::cmd::server::commands()
        .into_iter()
        .find(|c| c.name == "debug")
        .and_then(|c| c.handler)
    {
        let _ = CORE_DEBUG.set(h);
    }
    vec![
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
        Command::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, 0, debug),
    ]
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
    if allowed && is(&argv[1], "loadaof") {
        return crate::aof::debug_loadaof(ctx);
    }
    match CORE_DEBUG.get() {
        Some(core) => core(ctx, args),
        None => Err(CmdError::err("DEBUG is not available")),
    }
}
