//! CLUSTER, READONLY, READWRITE and ASKING as a Redis 7.0 server started
//! with `cluster-enabled no` answers them: the commands exist (COMMAND
//! lists them, arity and unknown subcommands are checked as for any
//! command) and every call says cluster support is disabled. Clients probe
//! `CLUSTER INFO` / `CLUSTER SLOTS` to tell a standalone server from a
//! cluster by that reply.

use crate::args::Args;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};

const DISABLED: &str = "ERR This instance has cluster support disabled";

/// (name, arity, flags) of each CLUSTER subcommand in Redis 7.0.
const SUBCOMMANDS: &[(&str, i32, u32)] = &[
    ("addslots", -3, ADMIN | STALE | NO_ASYNC_LOADING),
    ("addslotsrange", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    ("bumpepoch", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    ("count-failure-reports", 3, ADMIN | STALE),
    ("countkeysinslot", 3, STALE),
    ("delslots", -3, ADMIN | STALE | NO_ASYNC_LOADING),
    ("delslotsrange", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    ("failover", -2, ADMIN | STALE | NO_ASYNC_LOADING),
    ("flushslots", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    ("forget", 3, ADMIN | STALE | NO_ASYNC_LOADING),
    ("getkeysinslot", 4, STALE),
    ("help", 2, LOADING | STALE),
    ("info", 2, STALE),
    ("keyslot", 3, STALE),
    ("links", 2, STALE),
    ("meet", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    ("myid", 2, STALE),
    ("nodes", 2, STALE),
    ("replicas", 3, ADMIN | STALE),
    ("replicate", 3, ADMIN | STALE | NO_ASYNC_LOADING),
    ("reset", -2, ADMIN | NOSCRIPT | STALE),
    ("saveconfig", 2, ADMIN | STALE | NO_ASYNC_LOADING),
    ("set-config-epoch", 3, ADMIN | STALE | NO_ASYNC_LOADING),
    ("setslot", -4, ADMIN | STALE | NO_ASYNC_LOADING),
    ("shards", 2, STALE),
    ("slaves", 3, ADMIN | STALE),
    ("slots", 2, STALE),
];

pub fn commands() -> Vec<Command> {
    let subs = SUBCOMMANDS
        .iter()
        .map(|&(name, arity, flags)| {
            let cats = if flags & ADMIN != 0 {
                acl::ADMIN | acl::DANGEROUS
            } else {
                0
            };
            Command::new(name, arity, flags, cats, disabled)
        })
        .collect();
    vec![
        Command::container("cluster", -2, 0, 0, subs),
        Command::new(
            "readonly",
            1,
            LOADING | STALE | FAST,
            acl::CONNECTION,
            disabled,
        ),
        Command::new(
            "readwrite",
            1,
            LOADING | STALE | FAST,
            acl::CONNECTION,
            disabled,
        ),
        Command::new("asking", 1, FAST, acl::CONNECTION, disabled),
    ]
}

/// Every call: even CLUSTER HELP answers this in a standalone Redis.
fn disabled(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Err(CmdError::other(DISABLED))
}
