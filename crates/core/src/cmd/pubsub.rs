//! Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH,
//! the shard variants SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB
//! introspection. Registries and delivery live in `crate::pubsub`.
//!
//! (Un)subscribe commands answer with one confirmation per channel, all of
//! them pushes (`>` in RESP3, arrays in RESP2, never silenced by CLIENT
//! REPLY): the handler queues all but the last in the client's pending output
//! (written before the reply) and returns the last as its reply.

use crate::args::Args;
use crate::cmd::command_info::help_reply;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::pubsub::{self, Scope};
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let ps = acl::PUBSUB;
    let sub = PUBSUB | NOSCRIPT | LOADING | STALE;
    // MAY_REPLICATE (hidden from COMMAND INFO): Redis propagates PUBLISH to
    // replicas, so CLIENT PAUSE WRITE holds it and MONITOR clients may not run it.
    let publish_flags = PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE;
    let intro = PUBSUB | LOADING | STALE;
    vec![
        Command::new("subscribe", -2, sub, ps, subscribe),
        Command::new("unsubscribe", -1, sub, ps, unsubscribe),
        Command::new("psubscribe", -2, sub, ps, psubscribe),
        Command::new("punsubscribe", -1, sub, ps, punsubscribe),
        Command::new("publish", 3, publish_flags, ps, publish),
        Command::new("ssubscribe", -2, sub, ps, ssubscribe).keys(1, -1, 1),
        Command::new("sunsubscribe", -1, sub, ps, sunsubscribe).keys(1, -1, 1),
        Command::new("spublish", 3, publish_flags, ps, spublish).keys(1, 1, 1),
        Command::container(
            "pubsub",
            -2,
            0,
            0,
            vec![
                // In the order Redis's COMMAND INFO lists them.
                Command::new("help", 2, LOADING | STALE, 0, help),
                Command::new("numsub", -2, intro, ps, numsub),
                Command::new("numpat", 2, intro, ps, numpat),
                Command::new("shardnumsub", -2, intro, ps, shardnumsub),
                Command::new("channels", -2, intro, ps, channels),
                Command::new("shardchannels", -2, intro, ps, shardchannels),
            ],
        ),
    ]
}

/// One (un)subscribe confirmation: `[kind, name-or-nil, count]`.
fn confirmation(kind: &'static [u8], name: Option<Bytes>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(Bytes::from_static(kind)),
        name.map_or(Reply::Nil, Reply::Bulk),
        Reply::Integer(count as i64),
    ])
}

/// Sends every confirmation but the last ahead of the reply; returns the last.
fn confirm_all(ctx: &mut Ctx, mut replies: Vec<Reply>) -> CmdResult {
    let last = replies.pop().expect("at least one confirmation");
    let id = ctx.client_id;
    for r in &replies {
        let c = ctx
            .engine
            .clients
            .get_mut(&id)
            .expect("caller is registered");
        ember_resp::encode(r, c.proto, &mut c.pending);
    }
    Ok(last)
}

/// Redis refuses the shard subscription to a DENY_BLOCKING client (inside
/// EXEC; later scripts), which expects exactly one reply per command.
fn deny_blocking(ctx: &mut Ctx) -> bool {
    ctx.blocking_denied()
}

fn subscribe_to(ctx: &mut Ctx, args: &mut Args, scope: Scope, kind: &'static [u8]) -> CmdResult {
    let id = ctx.client_id;
    let replies = args
        .rest()
        .iter()
        .map(|ch| {
            let n = pubsub::subscribe(ctx.engine, id, scope, ch);
            confirmation(kind, Some(ch.clone()), n)
        })
        .collect();
    confirm_all(ctx, replies)
}

fn unsubscribe_from(
    ctx: &mut Ctx,
    args: &mut Args,
    scope: Scope,
    kind: &'static [u8],
) -> CmdResult {
    let id = ctx.client_id;
    let names: Vec<Bytes> = if args.is_empty() {
        let subs = &ctx.client().subs;
        match scope {
            Scope::Global => subs.channels.ordered(),
            Scope::Shard => subs.shard.ordered(),
        }
    } else {
        args.rest().to_vec()
    };
    if names.is_empty() {
        // Nothing to leave: one confirmation with a null name.
        let n = match scope {
            Scope::Global => ctx.client().subs.global_count(),
            Scope::Shard => ctx.client().subs.shard.len(),
        };
        return Ok(confirmation(kind, None, n));
    }
    let replies = names
        .into_iter()
        .map(|ch| {
            let n = pubsub::unsubscribe(ctx.engine, id, scope, &ch);
            confirmation(kind, Some(ch), n)
        })
        .collect();
    confirm_all(ctx, replies)
}

fn subscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    subscribe_to(ctx, args, Scope::Global, b"subscribe")
}

fn unsubscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    unsubscribe_from(ctx, args, Scope::Global, b"unsubscribe")
}

fn ssubscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if deny_blocking(ctx) {
        return Err(CmdError::err(
            "SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_to(ctx, args, Scope::Shard, b"ssubscribe")
}

fn sunsubscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    unsubscribe_from(ctx, args, Scope::Shard, b"sunsubscribe")
}

fn psubscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let id = ctx.client_id;
    let replies = args
        .rest()
        .iter()
        .map(|p| {
            let n = pubsub::psubscribe(ctx.engine, id, p);
            confirmation(b"psubscribe", Some(p.clone()), n)
        })
        .collect();
    confirm_all(ctx, replies)
}

fn punsubscribe(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let id = ctx.client_id;
    let names: Vec<Bytes> = if args.is_empty() {
        ctx.client().subs.patterns.ordered()
    } else {
        args.rest().to_vec()
    };
    if names.is_empty() {
        let n = ctx.client().subs.global_count();
        return Ok(confirmation(b"punsubscribe", None, n));
    }
    let replies = names
        .into_iter()
        .map(|p| {
            let n = pubsub::punsubscribe(ctx.engine, id, &p);
            confirmation(b"punsubscribe", Some(p), n)
        })
        .collect();
    confirm_all(ctx, replies)
}

fn publish(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (channel, message) = (args.next()?, args.next()?);
    let n = pubsub::publish(ctx.engine, Scope::Global, channel, message);
    Ok(Reply::Integer(n as i64))
}

fn spublish(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (channel, message) = (args.next()?, args.next()?);
    let n = pubsub::publish(ctx.engine, Scope::Shard, channel, message);
    Ok(Reply::Integer(n as i64))
}

/// `PUBSUB <sub> [<pattern>]`: more than one argument is a syntax error.
fn subcommand_syntax(args: &Args) -> CmdError {
    CmdError::subcommand_syntax(args.argv())
}

fn channel_list(ctx: &mut Ctx, args: &mut Args, scope: Scope) -> CmdResult {
    if args.remaining() > 1 {
        return Err(subcommand_syntax(args));
    }
    let pattern = args.next_opt();
    let mut names: Vec<Reply> = ctx
        .engine
        .pubsub
        .map(scope)
        .keys()
        .filter(|ch| match pattern {
            Some(p) => crate::glob::glob_match(p, ch, false),
            None => true,
        })
        .map(|ch| Reply::Bulk(ch.clone()))
        .collect();
    // Redis lists in hash order; sorting makes Ember's order at least stable.
    names.sort_unstable_by(|a, b| match (a, b) {
        (Reply::Bulk(a), Reply::Bulk(b)) => a.cmp(b),
        _ => std::cmp::Ordering::Equal,
    });
    Ok(Reply::Array(names))
}

fn counts(ctx: &mut Ctx, args: &mut Args, scope: Scope) -> CmdResult {
    let ps = &ctx.engine.pubsub;
    let mut out = Vec::with_capacity(args.remaining() * 2);
    for ch in args.rest() {
        out.push(Reply::Bulk(ch.clone()));
        out.push(Reply::Integer(ps.numsub(scope, ch) as i64));
    }
    Ok(Reply::Array(out))
}

fn channels(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    channel_list(ctx, args, Scope::Global)
}

fn shardchannels(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    channel_list(ctx, args, Scope::Shard)
}

fn numsub(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    counts(ctx, args, Scope::Global)
}

fn shardnumsub(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    counts(ctx, args, Scope::Shard)
}

fn numpat(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.pubsub.numpat() as i64))
}

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}

#[cfg(test)]
#[path = "pubsub_tests.rs"]
mod tests;
