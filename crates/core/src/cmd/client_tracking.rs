//! CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR: client-side
//! caching's switches (the tables live in `crate::tracking`), with Redis
//! 7.0's option checks and error texts.

use crate::args::{is, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::tracking::{self, ClientTracking};
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let base = NOSCRIPT | LOADING | STALE;
    let conn = acl::CONNECTION;
    vec![
        Command::new("tracking", -3, base, conn, tracking_cmd),
        Command::new("caching", 3, base, conn, caching),
        Command::new("trackinginfo", 2, base, conn, trackinginfo),
        Command::new("getredir", 2, base, conn, getredir),
    ]
}

/// CLIENT TRACKING on|off [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
/// [OPTOUT] [NOLOOP]
fn tracking_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mode = args.next()?;
    let mut opts = ClientTracking::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    while let Some(word) = args.next_opt() {
        let more = args.remaining() > 0;
        if is(word, "redirect") && more {
            if opts.redirect != 0 {
                return Err(CmdError::err(
                    "A client can only redirect to a single other client",
                ));
            }
            let id = args.next_i64()?;
            if !ctx.engine.clients.contains_key(&(id as u64)) {
                return Err(CmdError::err(
                    "The client ID you want redirect to does not exist",
                ));
            }
            opts.redirect = id as u64;
        } else if is(word, "bcast") {
            opts.bcast = true;
        } else if is(word, "optin") {
            opts.optin = true;
        } else if is(word, "optout") {
            opts.optout = true;
        } else if is(word, "noloop") {
            opts.noloop = true;
        } else if is(word, "prefix") && more {
            prefixes.push(args.next()?.clone());
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if is(mode, "off") {
        tracking::disable(ctx.engine, ctx.client_id);
        return Ok(Reply::OK);
    }
    if !is(mode, "on") {
        return Err(CmdError::Syntax);
    }
    check_options(ctx, &opts, &prefixes)?;
    tracking::enable(ctx.engine, ctx.client_id, opts, prefixes);
    Ok(Reply::OK)
}

/// The checks CLIENT TRACKING on makes, in Redis's order.
fn check_options(ctx: &mut Ctx, opts: &ClientTracking, prefixes: &[Bytes]) -> Result<(), CmdError> {
    if !opts.bcast && !prefixes.is_empty() {
        return Err(CmdError::err(
            "PREFIX option requires BCAST mode to be enabled",
        ));
    }
    let current = ctx.client().tracking.as_deref();
    if current.is_some_and(|t| t.bcast != opts.bcast) {
        return Err(CmdError::err(
            "You can't switch BCAST mode on/off before disabling tracking for this client, and \
             then re-enabling it with a different mode.",
        ));
    }
    if opts.bcast && (opts.optin || opts.optout) {
        return Err(CmdError::err(
            "OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if opts.optin && opts.optout {
        return Err(CmdError::err(
            "You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if current.is_some_and(|t| (opts.optin && t.optout) || (opts.optout && t.optin)) {
        return Err(CmdError::err(
            "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and \
             then re-enabling it with a different mode.",
        ));
    }
    if opts.bcast {
        let existing = current.map(|t| &t.prefixes);
        check_prefix_collisions(existing, prefixes)?;
    }
    Ok(())
}

/// Two prefixes collide when one starts the other: both would report the
/// same keys (Redis's checkPrefixCollisionsOrReply).
fn check_prefix_collisions(
    existing: Option<&std::collections::BTreeSet<Bytes>>,
    prefixes: &[Bytes],
) -> Result<(), CmdError> {
    let overlap = |a: &[u8], b: &[u8]| a.starts_with(b) || b.starts_with(a);
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, p) in prefixes.iter().enumerate() {
        if let Some(old) = existing.into_iter().flatten().find(|old| overlap(old, p)) {
            return Err(CmdError::other(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single \
                 client must not overlap.",
                show(p),
                show(old)
            )));
        }
        if let Some(other) = prefixes[i + 1..].iter().find(|q| overlap(p, q)) {
            return Err(CmdError::other(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a \
                 single client must not overlap.",
                show(p),
                show(other)
            )));
        }
    }
    Ok(())
}

/// CLIENT CACHING yes|no: whether the next command's keys are tracked, in
/// OPTIN (yes) or OPTOUT (no) mode.
fn caching(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let word = args.next()?;
    let Some(t) = ctx.client().tracking.as_deref_mut() else {
        return Err(CmdError::err(
            "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or \
             OPTOUT mode enabled",
        ));
    };
    if is(word, "yes") {
        if !t.optin {
            return Err(CmdError::err(
                "CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(word, "no") {
        if !t.optout {
            return Err(CmdError::err(
                "CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    t.caching = true;
    Ok(Reply::OK)
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes.
fn trackinginfo(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let t = ctx.client().tracking.as_deref();
    let mut flags: Vec<&'static [u8]> = vec![if t.is_some() { b"on" } else { b"off" }];
    if let Some(t) = t {
        let named: [(bool, &'static [u8]); 7] = [
            (t.bcast, b"bcast"),
            (t.optin, b"optin"),
            (t.optin && t.caching, b"caching-yes"),
            (t.optout, b"optout"),
            (t.optout && t.caching, b"caching-no"),
            (t.noloop, b"noloop"),
            (t.broken_redirect, b"broken_redirect"),
        ];
        flags.extend(named.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
    }
    let redirect = t.map_or(-1, |t| t.redirect as i64);
    let prefixes = t
        .map(|t| t.prefixes.iter().cloned().map(Reply::Bulk).collect())
        .unwrap_or_default();
    Ok(Reply::Map(vec![
        (
            Reply::bulk_static(b"flags"),
            Reply::Set(flags.into_iter().map(Reply::bulk_static).collect()),
        ),
        (Reply::bulk_static(b"redirect"), Reply::Integer(redirect)),
        (Reply::bulk_static(b"prefixes"), Reply::Array(prefixes)),
    ]))
}

/// CLIENT GETREDIR: the redirect target while tracking (0: none), else -1.
fn getredir(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let redirect = ctx
        .client()
        .tracking
        .as_deref()
        .map_or(-1, |t| t.redirect as i64);
    Ok(Reply::Integer(redirect))
}
