//! Connection handshake commands: HELLO (protocol switch, AUTH, SETNAME), AUTH
//! and RESET. Credentials are checked against the ACL users (`crate::acl`);
//! `requirepass` is the default user's password.

use crate::args::Args;
use crate::client::{ClientKind, ReplyMode};
use crate::cmd::client::set_name;
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::{Proto, Reply};

pub fn commands() -> Vec<Command> {
    let flags = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY;
    vec![
        Command::new("hello", -1, flags, acl::CONNECTION, hello),
        Command::new("auth", -2, flags, acl::CONNECTION, auth),
        Command::new("reset", 1, flags, acl::CONNECTION, reset),
    ]
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Checks credentials and, when they are good, authenticates the caller as
/// `user` (Redis's ACLAuthenticateUser); failures go to the ACL log.
fn authenticate(ctx: &mut Ctx, args: &Args, user: &[u8], pass: &[u8]) -> bool {
    let argv0 = args.argv()[0].clone();
    let id = ctx.client_id;
    crate::acl::authenticate(ctx.engine, id, user, pass, &argv0)
}

fn hello(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut proto = None;
    if let Some(v) = args.next_opt() {
        let v = crate::args::parse_i64(v)
            .map_err(|_| CmdError::err("Protocol version is not an integer or out of range"))?;
        proto = Some(match v {
            2 => Proto::Resp2,
            3 => Proto::Resp3,
            _ => return Err(CmdError::other("NOPROTO unsupported protocol version")),
        });
    }
    let mut credentials = None;
    let mut name = None;
    while let Some(opt) = args.next_opt() {
        if opt.eq_ignore_ascii_case(b"AUTH") && args.remaining() >= 2 {
            credentials = Some((args.next()?, args.next()?));
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && args.remaining() >= 1 {
            name = Some(args.next()?);
        } else {
            return Err(CmdError::err(format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if let Some((user, pass)) = credentials {
        if !authenticate(ctx, args, user, pass) {
            return Err(CmdError::other(WRONGPASS));
        }
    }
    if !ctx.client().authenticated {
        return Err(CmdError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = name {
        set_name(ctx.client(), name)?;
    }
    let role = if ctx.engine.is_replica {
        "replica"
    } else {
        "master"
    };
    let id = ctx.client_id as i64;
    let c = ctx.client();
    if let Some(p) = proto {
        c.proto = p;
    }
    let proto_num = match c.proto {
        Proto::Resp2 => 2,
        Proto::Resp3 => 3,
    };
    let text = |s: &'static str| Reply::Bulk(Bytes::from_static(s.as_bytes()));
    Ok(Reply::Map(vec![
        (text("server"), text("redis")),
        (text("version"), text(crate::REDIS_VERSION)),
        (text("proto"), Reply::Integer(proto_num)),
        (text("id"), Reply::Integer(id)),
        (text("mode"), text("standalone")),
        (text("role"), text(role)),
        (text("modules"), Reply::Array(Vec::new())),
    ]))
}

fn auth(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (user, pass) = match args.rest() {
        [pass] => {
            if ctx.engine.acl.default_user().nopass() {
                return Err(CmdError::err(
                    "AUTH <password> called without any password configured for the default \
                     user. Are you sure your configuration is correct?",
                ));
            }
            (&b"default"[..], pass)
        }
        [user, pass] => (&user[..], pass),
        _ => return Err(CmdError::Syntax),
    };
    if authenticate(ctx, args, user, pass) {
        Ok(Reply::OK)
    } else {
        Err(CmdError::other(WRONGPASS))
    }
}

/// RESET: back to a fresh connection's state (Redis's clearClientConnectionState).
/// Families with per-connection state (transactions, pub/sub, tracking) clear
/// theirs here as they land.
fn reset(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    if matches!(ctx.client().kind, ClientKind::Master | ClientKind::Replica) {
        return Err(CmdError::err("can only reset normal client connections"));
    }
    ctx.db_index = 0;
    // Leaves pub/sub mode and MONITOR mode without confirmations.
    let id = ctx.client_id;
    crate::pubsub::forget_client(ctx.engine, id);
    crate::cmd::monitor::stop(ctx.engine, id);
    crate::tracking::disable(ctx.engine, id);
    // Discards MULTI and unwatches every key.
    crate::multi::discard(ctx.engine, id);
    let nopass = ctx.engine.acl.default_is_open();
    let c = ctx.client();
    c.db = 0;
    c.proto = Proto::Resp2;
    c.user = "default".to_string();
    c.authenticated = nopass;
    c.name = None;
    c.kind = ClientKind::Normal;
    // Replies come back on, but a RESET right after CLIENT REPLY SKIP is still skipped.
    if c.reply_mode != ReplyMode::SkipThis {
        c.reply_mode = ReplyMode::On;
    }
    Ok(Reply::status("RESET"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::Engine;

    fn run(engine: &mut Engine, id: crate::ClientId, words: &[&str]) -> Option<Reply> {
        let argv: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        engine.execute(id, &argv)
    }

    fn err(s: &'static str) -> Option<Reply> {
        Some(Reply::error(s))
    }

    #[test]
    fn hello_switches_protocol_and_reports_the_server() {
        let mut e = Engine::builder().build();
        let id = e.add_client();
        let Some(Reply::Map(m)) = run(&mut e, id, &["HELLO", "3", "SETNAME", "app"]) else {
            panic!("HELLO replies with a map")
        };
        assert_eq!(m.len(), 7);
        assert_eq!(m[1].1, Reply::bulk("7.0.15"));
        assert_eq!(m[2].1, Reply::Integer(3));
        assert_eq!(m[3].1, Reply::Integer(id as i64));
        assert_eq!(m[6].1, Reply::Array(vec![]));
        assert_eq!(e.clients[&id].proto, Proto::Resp3);
        assert_eq!(e.clients[&id].name.as_deref(), Some(&b"app"[..]));
        assert_eq!(
            run(&mut e, id, &["HELLO", "4"]),
            err("NOPROTO unsupported protocol version")
        );
        assert_eq!(
            run(&mut e, id, &["HELLO", "x"]),
            err("ERR Protocol version is not an integer or out of range")
        );
        assert_eq!(
            run(&mut e, id, &["HELLO", "2", "AUTH", "a"]),
            err("ERR Syntax error in HELLO option 'AUTH'")
        );
        assert_eq!(
            run(&mut e, id, &["HELLO", "2", "AUTH", "bob", "x"]),
            Some(Reply::error(WRONGPASS))
        );
        assert_eq!(e.clients[&id].proto, Proto::Resp3);
    }

    #[test]
    fn auth_against_requirepass() {
        let config = Config {
            requirepass: "secret".into(),
            ..Config::default()
        };
        let mut e = Engine::builder().config(config).build();
        let id = e.add_client();
        let noauth = "NOAUTH Authentication required.";
        assert_eq!(run(&mut e, id, &["GET", "k"]), Some(Reply::error(noauth)));
        assert_eq!(
            run(&mut e, id, &["GET"]),
            err("ERR wrong number of arguments for 'get' command")
        );
        let Some(Reply::Error(hello)) = run(&mut e, id, &["HELLO", "3"]) else {
            panic!("HELLO needs authentication")
        };
        assert!(hello.starts_with("NOAUTH HELLO must be called"));
        assert_eq!(
            run(&mut e, id, &["AUTH", "nope"]),
            Some(Reply::error(WRONGPASS))
        );
        assert_eq!(run(&mut e, id, &["AUTH", "secret"]), Some(Reply::OK));
        assert_eq!(
            run(&mut e, id, &["AUTH", "default", "secret"]),
            Some(Reply::OK)
        );
        assert_eq!(
            run(&mut e, id, &["AUTH", "Default", "secret"]),
            Some(Reply::error(WRONGPASS))
        );
        assert_eq!(
            run(&mut e, id, &["AUTH", "a", "b", "c"]),
            err("ERR syntax error")
        );
        assert_eq!(run(&mut e, id, &["GET", "k"]), Some(Reply::Nil));
        assert_eq!(run(&mut e, id, &["RESET"]), Some(Reply::status("RESET")));
        assert!(!e.clients[&id].authenticated);
        assert_eq!(run(&mut e, id, &["GET", "k"]), Some(Reply::error(noauth)));
        let Some(Reply::Map(_)) = run(&mut e, id, &["HELLO", "3", "AUTH", "default", "secret"])
        else {
            panic!("HELLO AUTH authenticates")
        };
        assert!(e.clients[&id].authenticated);
    }

    #[test]
    fn auth_without_password_configured() {
        let mut e = Engine::builder().build();
        let id = e.add_client();
        assert_eq!(
            run(&mut e, id, &["AUTH", "x"]),
            err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
        );
        assert_eq!(
            run(&mut e, id, &["AUTH", "default", "anything"]),
            Some(Reply::OK)
        );
    }

    #[test]
    fn reset_restores_connection_defaults() {
        let mut e = Engine::builder().build();
        let id = e.add_client();
        run(&mut e, id, &["HELLO", "3", "SETNAME", "n"]);
        run(&mut e, id, &["SELECT", "5"]);
        assert_eq!(run(&mut e, id, &["CLIENT", "REPLY", "OFF"]), None);
        assert_eq!(run(&mut e, id, &["RESET"]), Some(Reply::status("RESET")));
        let c = &e.clients[&id];
        assert_eq!((c.db, c.proto, c.name.is_none()), (0, Proto::Resp2, true));
        assert_eq!(c.reply_mode, ReplyMode::On);
    }
}
