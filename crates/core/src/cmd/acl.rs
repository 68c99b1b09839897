//! ACL: users and permissions (SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT
//! LOG DRYRUN GENPASS LOAD SAVE HELP). The model and the rules language live
//! in `crate::acl`.

use crate::acl::{self, check, describe, log, merge_selector_args, selector, User};
use crate::args::Args;
use crate::cmd::command_info::help_reply;
use crate::command::{acl as cat, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let base = NOSCRIPT | LOADING | STALE;
    let admin = ADMIN | base;
    vec![Command::container(
        "acl",
        -2,
        0,
        0,
        vec![
            Command::new("cat", -2, base, 0, cat_cmd),
            Command::new("deluser", -3, admin, 0, deluser),
            Command::new("dryrun", -4, admin, 0, dryrun),
            Command::new("genpass", -2, base, 0, genpass),
            Command::new("getuser", 3, admin, 0, getuser),
            Command::new("help", 2, LOADING | STALE, 0, help),
            Command::new("list", 2, admin, 0, list),
            Command::new("load", 2, admin, 0, load),
            Command::new("log", -2, admin, 0, log_cmd),
            Command::new("save", 2, admin, 0, save),
            Command::new("setuser", -3, admin, 0, setuser),
            Command::new("users", 2, admin, 0, users),
            Command::new("whoami", 2, base, 0, whoami),
        ],
    )]
}

/// Redis's reply when a subcommand gets arguments it does not take.
fn syntax_error(args: &Args) -> CmdError {
    CmdError::subcommand_syntax(args.argv())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn pubsub_all(ctx: &Ctx) -> bool {
    ctx.engine.config.acl_pubsub_default == "allchannels"
}

fn setuser(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let name = args.next()?;
    if selector::has_spaces(name) {
        return Err(CmdError::err(
            "Usernames can't contain spaces or null characters",
        ));
    }
    let ops: Vec<Vec<u8>> = args.rest().iter().map(|a| a.to_vec()).collect();
    let rules = merge_selector_args(&ops).map_err(|i| {
        CmdError::err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            lossy(&ops[i])
        ))
    })?;
    // All rules are staged on a copy: one bad rule changes nothing.
    let universe = ctx.engine.acl.universe.clone();
    let all_channels = pubsub_all(ctx);
    let existing = ctx.engine.acl.user(name).cloned();
    let mut user = existing
        .clone()
        .unwrap_or_else(|| User::new(name, all_channels));
    for r in &rules {
        if let Err(e) = user.apply(&universe, r, all_channels) {
            return Err(CmdError::err(format!(
                "Error in ACL SETUSER modifier '{}': {}",
                lossy(r),
                e.text()
            )));
        }
    }
    if let Some(old) = &existing {
        let caller = ctx.client_id;
        acl::kill_pubsub_clients_if_needed(ctx.engine, &user, old, caller);
    }
    ctx.engine.acl.users.insert(name.to_vec(), user);
    ctx.engine.acl.refresh();
    Ok(Reply::OK)
}

fn selector_fields(sel: &selector::Selector, u: &acl::universe::Universe) -> Vec<(Reply, Reply)> {
    vec![
        (
            Reply::bulk_static(b"commands"),
            Reply::bulk(describe::command_rules(sel, u)),
        ),
        (
            Reply::bulk_static(b"keys"),
            Reply::bulk(describe::keys_field(sel)),
        ),
        (
            Reply::bulk_static(b"channels"),
            Reply::bulk(describe::channels_field(sel)),
        ),
    ]
}

fn getuser(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let name = args.next()?;
    let acl = &ctx.engine.acl;
    let Some(user) = acl.user(name) else {
        return Ok(Reply::Nil);
    };
    let flags = acl::user_flags::NAMES
        .iter()
        .filter(|(f, _)| user.flags & f != 0)
        .map(|(_, n)| Reply::bulk(n))
        .collect();
    let passwords = user.passwords.iter().map(Reply::bulk).collect();
    let mut fields = vec![
        (Reply::bulk_static(b"flags"), Reply::Set(flags)),
        (Reply::bulk_static(b"passwords"), Reply::Array(passwords)),
    ];
    fields.extend(selector_fields(user.root(), &acl.universe));
    let selectors = user.selectors[1..]
        .iter()
        .map(|s| Reply::Map(selector_fields(s, &acl.universe)))
        .collect();
    fields.push((Reply::bulk_static(b"selectors"), Reply::Array(selectors)));
    Ok(Reply::Map(fields))
}

fn deluser(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let names = args.rest();
    if names.iter().any(|n| &n[..] == b"default") {
        return Err(CmdError::err("The 'default' user cannot be removed"));
    }
    let mut deleted = 0;
    for n in names {
        if ctx.engine.acl.users.remove(&n[..]).is_some() {
            let caller = ctx.client_id;
            acl::kill_user_clients(ctx.engine, n, caller);
            deleted += 1;
        }
    }
    ctx.engine.acl.refresh();
    Ok(Reply::Integer(deleted))
}

fn list(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let lines = ctx.engine.acl.user_lines();
    Ok(Reply::Array(lines.into_iter().map(Reply::bulk).collect()))
}

fn users(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let names = ctx.engine.acl.users.keys().map(Reply::bulk).collect();
    Ok(Reply::Array(names))
}

fn whoami(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::bulk(ctx.client().user.as_bytes()))
}

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
    want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
    you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn load(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let path = ctx.engine.config.aclfile.clone();
    if path.is_empty() {
        return Err(CmdError::other(NO_ACL_FILE));
    }
    let all_channels = pubsub_all(ctx);
    let replaced =
        acl::file::load_file(&mut ctx.engine.acl, &path, all_channels).map_err(CmdError::err)?;
    let caller = ctx.client_id;
    for name in replaced {
        acl::kill_user_clients(ctx.engine, &name, caller);
    }
    Ok(Reply::OK)
}

fn save(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    let path = ctx.engine.config.aclfile.clone();
    if path.is_empty() {
        return Err(CmdError::other(NO_ACL_FILE));
    }
    let now = ctx.engine.now_ms();
    acl::file::save_file(&ctx.engine.acl, &path, now).map_err(|_| {
        CmdError::err(
            "There was an error trying to save the ACLs. Please check the server logs for more \
             information",
        )
    })?;
    Ok(Reply::OK)
}

fn cat_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    match args.rest() {
        [] => Ok(Reply::Array(
            cat::NAMES.iter().map(|(_, n)| Reply::bulk(n)).collect(),
        )),
        [name] => {
            let bit = acl::universe::category_by_name(name).ok_or_else(|| {
                let shown: String = lossy(name).chars().take(128).collect();
                CmdError::err(format!("Unknown category '{shown}'"))
            })?;
            let u = &ctx.engine.acl.universe;
            Ok(Reply::Array(
                u.walk()
                    .filter(|&id| u.cmds[id].cats & bit != 0)
                    .map(|id| Reply::bulk(&u.cmds[id].name))
                    .collect(),
            ))
        }
        _ => Err(syntax_error(args)),
    }
}

fn genpass(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let bits = match args.rest() {
        [] => 256,
        [b] => crate::args::parse_i64(b)?,
        _ => return Err(syntax_error(args)),
    };
    if bits <= 0 || bits > 4096 {
        return Err(CmdError::err(
            "ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096",
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut buf = vec![0u8; chars.div_ceil(2)];
    random_bytes(ctx, &mut buf);
    let hex: String = buf
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .take(chars)
        .map(|n| char::from_digit(n as u32, 16).expect("nibble"))
        .collect();
    Ok(Reply::bulk(hex))
}

/// Password material comes from the OS (`/dev/urandom`), like Redis's
/// getRandomBytes, falling back to the engine's generator.
fn random_bytes(ctx: &mut Ctx, buf: &mut [u8]) {
    use std::io::Read;
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .is_ok();
    if !ok {
        rand::RngCore::fill_bytes(&mut ctx.engine.rng, buf);
    }
}

fn log_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let count = match args.rest() {
        [] => 10,
        [a] if a.eq_ignore_ascii_case(b"reset") => {
            ctx.engine.acl.log.clear();
            return Ok(Reply::OK);
        }
        [a] => crate::args::parse_i64(a)?.max(0) as usize,
        _ => return Err(syntax_error(args)),
    };
    let now = ctx.engine.now_ms();
    Ok(log::reply(&ctx.engine.acl.log, count, now))
}

fn dryrun(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let name = args.next()?;
    let argv: Vec<Bytes> = args.rest().to_vec();
    let engine = &*ctx.engine;
    let Some(user) = engine.acl.user(name) else {
        return Err(CmdError::err(format!("User '{}' not found", lossy(name))));
    };
    let not_found = || CmdError::err(format!("Command '{}' not found", lossy(&argv[0])));
    let mut cmd = engine.table.lookup(&argv[0]).ok_or_else(not_found)?;
    if !cmd.subcommands.is_empty() && argv.len() >= 2 {
        cmd = cmd.subcommand(&argv[1]).ok_or_else(not_found)?;
    }
    if !cmd.arity_ok(argv.len()) {
        return Err(CmdError::WrongArity(cmd.full_name.clone()));
    }
    let text = match check::check_user(&engine.acl.universe, user, cmd, &argv) {
        Ok(()) => return Ok(Reply::OK),
        Err(check::Denial::Command) => format!(
            "This user has no permissions to run the '{}' command",
            cmd.full_name
        ),
        Err(check::Denial::Key(pos)) => format!(
            "This user has no permissions to access the '{}' key",
            lossy(&argv[pos])
        ),
        Err(check::Denial::Channel(pos)) => format!(
            "This user has no permissions to access the '{}' channel",
            lossy(&argv[pos])
        ),
    };
    Ok(Reply::bulk(text))
}

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    ))
}
