//! CLIENT PAUSE / CLIENT UNPAUSE. The pause itself is checked in the
//! engine's processCommand (`engine/process.rs`), after every refusal.
//!
//! A paused command does not run: the engine marks the client `postponed` and
//! returns no reply; the front end keeps that command and everything after it,
//! and resubmits them when woken (UNPAUSE, the pause's end in the cron) or when
//! the pause's end time passes. Resubmission goes through every check again,
//! as Redis reprocesses postponed clients.

use crate::args::{parse_i64, Args};
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::{CmdError, CmdResult};
use ember_resp::Reply;

/// An active CLIENT PAUSE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// ALL (every command) rather than WRITE (writes and may-replicate commands).
    pub all: bool,
    /// Unix ms; the pause is over once the clock passes it.
    pub end_ms: i64,
}

/// True while a pause (either kind) holds: the dataset must stay constant, so
/// lazy and active expiry leave keys in place.
pub fn is_paused(engine: &Engine) -> bool {
    engine.pause.is_some_and(|p| p.end_ms >= engine.now_ms())
}

/// Ends the pause if its time has passed (called by the cron and lazily).
pub fn end_if_expired(engine: &mut Engine) {
    if engine.pause.is_some() && !is_paused(engine) {
        unpause(engine);
    }
}

/// Lifts the pause and wakes the postponed clients so their front ends retry.
pub fn unpause(engine: &mut Engine) {
    engine.pause = None;
    for c in engine.clients.values_mut() {
        if c.postponed {
            c.postponed = false;
            c.wake();
        }
    }
}

/// Milliseconds until the current pause ends (for a front end holding a
/// postponed command), `None` when there is no pause.
pub fn pause_remaining_ms(engine: &Engine) -> Option<i64> {
    engine.pause.map(|p| (p.end_ms - engine.now_ms()).max(0))
}

/// CLIENT PAUSE timeout [WRITE|ALL]
pub fn pause(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    if argv.len() > 4 {
        return Err(CmdError::subcommand_syntax(argv));
    }
    let timeout = args.next()?;
    let all = match args.next_opt() {
        None => true,
        Some(m) if m.eq_ignore_ascii_case(b"all") => true,
        Some(m) if m.eq_ignore_ascii_case(b"write") => false,
        Some(_) => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let ms = parse_i64(timeout)
        .map_err(|_| CmdError::err("timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    // Redis adds the command time to positive timeouts without an overflow
    // check: a huge timeout wraps into the past and ends at once.
    let end_ms = if ms > 0 {
        ms.wrapping_add(ctx.now_ms)
    } else {
        0
    };
    // A second pause keeps the stricter mode and the later end.
    let merged = match ctx.engine.pause {
        Some(p) => Pause {
            all: p.all || all,
            end_ms: p.end_ms.max(end_ms),
        },
        None => Pause { all, end_ms },
    };
    ctx.engine.pause = Some(merged);
    Ok(Reply::OK)
}

/// CLIENT UNPAUSE
pub fn unpause_cmd(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    unpause(ctx.engine);
    Ok(Reply::OK)
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::engine::Engine;
    use bytes::Bytes;
    use ember_resp::Reply;
    use std::sync::Arc;

    fn run(e: &mut Engine, id: u64, words: &[&str]) -> Option<Reply> {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        e.execute(id, &argv)
    }

    #[test]
    fn write_pause_holds_writes_until_it_ends() {
        let clock = ManualClock::new(1_000_000);
        let mut e = Engine::builder().clock(Arc::new(clock.clone())).build();
        let a = e.add_client();
        let b = e.add_client();
        assert_eq!(
            run(&mut e, a, &["CLIENT", "PAUSE", "100", "WRITE"]),
            Some(Reply::OK)
        );
        assert_eq!(run(&mut e, b, &["SET", "k", "v"]), None);
        assert!(e.clients[&b].postponed);
        assert_eq!(run(&mut e, b, &["GET", "k"]), Some(Reply::Nil));
        assert!(!e.clients[&b].postponed);
        assert_eq!(run(&mut e, b, &["PUBLISH", "c", "m"]), None);
        clock.advance(101);
        assert_eq!(run(&mut e, b, &["SET", "k", "v"]), Some(Reply::OK));
        assert!(e.pause.is_none());
    }

    #[test]
    fn all_pause_holds_everything_and_unpause_wakes() {
        let mut e = Engine::builder().build();
        let a = e.add_client();
        let b = e.add_client();
        assert_eq!(
            run(&mut e, a, &["CLIENT", "PAUSE", "100000"]),
            Some(Reply::OK)
        );
        assert_eq!(run(&mut e, b, &["PING"]), None);
        assert!(e.clients[&b].postponed);
        // The pausing client is held too (Redis: ALL means everyone).
        assert_eq!(run(&mut e, a, &["CLIENT", "UNPAUSE"]), None);
        super::unpause(&mut e);
        assert!(!e.clients[&b].postponed && e.pause.is_none());
        assert_eq!(run(&mut e, b, &["PING"]), Some(Reply::status("PONG")));
    }

    #[test]
    fn pause_argument_errors() {
        let mut e = Engine::builder().build();
        let a = e.add_client();
        let err = |s: &'static str| Some(Reply::error(s));
        assert_eq!(
            run(&mut e, a, &["CLIENT", "PAUSE", "abc", "foo"]),
            err("ERR CLIENT PAUSE mode must be WRITE or ALL")
        );
        assert_eq!(
            run(&mut e, a, &["CLIENT", "PAUSE", "+5"]),
            err("ERR timeout is not an integer or out of range")
        );
        assert_eq!(
            run(&mut e, a, &["CLIENT", "PAUSE", "-1"]),
            err("ERR timeout is negative")
        );
        assert_eq!(
            run(&mut e, a, &["client", "PAUSE", "1", "write", "x"]),
            err(
                "ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."
            )
        );
        assert_eq!(run(&mut e, a, &["CLIENT", "PAUSE", "0"]), Some(Reply::OK));
        assert_eq!(run(&mut e, a, &["PING"]), Some(Reply::status("PONG")));
    }
}
