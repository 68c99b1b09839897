//! String commands (Redis's t_string.c). The handlers live in the `strings/`
//! submodules; this file holds the table rows and the helpers they share.

mod edit;
mod incr;
mod lcs;
mod set;
#[cfg(test)]
mod tests;

use crate::client::ClientKind;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::CmdError;

pub fn commands() -> Vec<Command> {
    let rw = WRITE | DENYOOM;
    vec![
        Command::new("get", 2, READONLY | FAST, acl::STRING, set::get).keys(1, 1, 1),
        Command::new("set", -3, rw, acl::STRING, set::set).keys(1, 1, 1),
        Command::new("setnx", 3, rw | FAST, acl::STRING, set::setnx).keys(1, 1, 1),
        Command::new("setex", 4, rw, acl::STRING, set::setex).keys(1, 1, 1),
        Command::new("psetex", 4, rw, acl::STRING, set::psetex).keys(1, 1, 1),
        Command::new("getset", 3, rw | FAST, acl::STRING, set::getset).keys(1, 1, 1),
        Command::new("getdel", 2, WRITE | FAST, acl::STRING, set::getdel).keys(1, 1, 1),
        Command::new("getex", -2, WRITE | FAST, acl::STRING, set::getex).keys(1, 1, 1),
        Command::new("mget", -2, READONLY | FAST, acl::STRING, set::mget).keys(1, -1, 1),
        Command::new("mset", -3, rw, acl::STRING, set::mset).keys(1, -1, 2),
        Command::new("msetnx", -3, rw, acl::STRING, set::msetnx).keys(1, -1, 2),
        Command::new("append", 3, rw | FAST, acl::STRING, edit::append).keys(1, 1, 1),
        Command::new("strlen", 2, READONLY | FAST, acl::STRING, edit::strlen).keys(1, 1, 1),
        Command::new("getrange", 4, READONLY, acl::STRING, edit::getrange).keys(1, 1, 1),
        Command::new("substr", 4, READONLY, acl::STRING, edit::getrange).keys(1, 1, 1),
        Command::new("setrange", 4, rw, acl::STRING, edit::setrange).keys(1, 1, 1),
        Command::new("incr", 2, rw | FAST, acl::STRING, incr::incr).keys(1, 1, 1),
        Command::new("decr", 2, rw | FAST, acl::STRING, incr::decr).keys(1, 1, 1),
        Command::new("incrby", 3, rw | FAST, acl::STRING, incr::incrby).keys(1, 1, 1),
        Command::new("decrby", 3, rw | FAST, acl::STRING, incr::decrby).keys(1, 1, 1),
        Command::new("incrbyfloat", 3, rw | FAST, acl::STRING, incr::incrbyfloat).keys(1, 1, 1),
        Command::new("lcs", -3, READONLY, acl::STRING, lcs::lcs).keys(1, 2, 1),
    ]
}

/// Compares an option argument with a keyword as Redis does with C strings
/// (`strcasecmp`, or byte tests ending at `'\0'`): the argument counts only up
/// to its first NUL byte.
pub(crate) fn opt_is(arg: &[u8], word: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(word.as_bytes())
}

/// Redis's checkStringLength: a string may not grow past `proto-max-bulk-len`
/// (except when written by our master). `size + append` must not overflow.
pub(crate) fn check_string_length(ctx: &mut Ctx, size: i64, append: i64) -> Result<(), CmdError> {
    if ctx.client().kind == ClientKind::Master {
        return Ok(());
    }
    match size.checked_add(append) {
        Some(total) if total <= ctx.engine.config.proto_max_bulk_len => Ok(()),
        _ => Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}
