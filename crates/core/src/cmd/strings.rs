//! String commands (Redis's t_string.c).

use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::CmdResult;
use crate::events::classes;
use crate::value::{StrValue, Value};
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    vec![
        Command::new("get", 2, READONLY | FAST, acl::STRING, get).keys(1, 1, 1),
        Command::new("set", -3, WRITE | DENYOOM, acl::STRING, set).keys(1, 1, 1),
    ]
}

fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    Ok(match ctx.read_str(key)? {
        Some(v) => Reply::bulk(v.as_bytes()),
        None => Reply::Nil,
    })
}

fn set(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let value = args.next()?;
    ctx.set_key(key, Value::Str(StrValue::from_bytes(value)), false);
    ctx.dirty(1);
    ctx.notify(classes::STRING, "set", key);
    Ok(Reply::OK)
}
