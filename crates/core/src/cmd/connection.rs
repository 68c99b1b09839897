//! Connection commands: PING, ECHO, SELECT, QUIT.

use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("ping", -1, FAST | SENTINEL, acl::CONNECTION, ping),
        Command::new("echo", 2, LOADING | STALE | FAST, acl::CONNECTION, echo),
        Command::new("select", 2, LOADING | STALE | FAST, acl::CONNECTION, select),
        Command::new(
            "quit",
            -1,
            ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
            acl::CONNECTION,
            quit,
        ),
    ]
}

fn ping(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    // A subscribed RESP2 client gets `["pong", <message or "">]` (Redis's pingCommand).
    if args.remaining() <= 1 {
        let c = ctx.client();
        if c.proto == ember_resp::Proto::Resp2 && c.subs.total() > 0 {
            let msg = args.next_opt().cloned().unwrap_or_default();
            return Ok(Reply::Array(vec![
                Reply::bulk_static(b"pong"),
                Reply::Bulk(msg),
            ]));
        }
    }
    match args.remaining() {
        0 => Ok(Reply::status("PONG")),
        1 => Ok(Reply::Bulk(args.next()?.clone())),
        _ => Err(CmdError::WrongArity("ping".into())),
    }
}

fn echo(_ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    Ok(Reply::Bulk(args.next()?.clone()))
}

fn select(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let index = super::keys::parse_db_index(args.next()?, None)?;
    if index < 0 || index as usize >= ctx.engine.dbs.len() {
        return Err(CmdError::DbIndexOutOfRange);
    }
    ctx.db_index = index as usize;
    Ok(Reply::OK)
}

fn quit(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    ctx.client().close_after_reply = true;
    Ok(Reply::OK)
}
