//! MODULE LIST / HELP / LOAD / LOADEX / UNLOAD. Ember cannot load Redis
//! modules (shared objects written against Redis's module API), so it is a
//! server with no modules loaded: LIST is empty, and LOAD and LOADEX fail as
//! a Redis whose module fails to load does (the reason goes to the log).
//! Clients probing for modules (MODULE LIST) get a real answer.
//! LOAD, LOADEX and UNLOAD are refused unless `enable-module-command`
//! allows them (see `acl::protected_command_refusal`).

use crate::args::{is, Args};
use crate::command::{acl, flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use ember_resp::Reply;

pub fn commands() -> Vec<Command> {
    let admin = ADMIN | NOSCRIPT;
    let protected = admin | NO_ASYNC_LOADING | PROTECTED;
    let cats = acl::ADMIN | acl::DANGEROUS;
    vec![Command::container(
        "module",
        -2,
        0,
        0,
        vec![
            Command::new("help", 2, LOADING | STALE, 0, help),
            Command::new("list", 2, admin, cats, list),
            Command::new("load", -3, protected, cats, load),
            Command::new("loadex", -3, protected, cats, loadex),
            Command::new("unload", 3, protected, cats, unload),
        ],
    )]
}

const HELP: &[&str] = &[
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
];

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(super::command_info::help_reply("MODULE", HELP))
}

fn list(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Array(Vec::new()))
}

const LOAD_FAILED: &str = "Error loading the extension. Please check the server logs.";

/// What a load ends with: nothing can be loaded, as the log says.
fn load_failure(path: &[u8]) -> CmdError {
    tracing::warn!(
        "Module {} failed to load: Ember does not load Redis modules",
        String::from_utf8_lossy(path)
    );
    CmdError::err(LOAD_FAILED)
}

fn load(_ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    Err(load_failure(args.next()?))
}

/// LOADEX checks its CONFIG name value pairs and ARGS first, as Redis does
/// (a malformed list is reported without trying to load).
fn loadex(_ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let path = args.next()?;
    while let Some(word) = args.next_opt() {
        if is(word, "config") {
            if args.remaining() < 2 {
                tracing::info!("CONFIG specified without name value pair");
                return Err(CmdError::err(LOAD_FAILED));
            }
            args.next()?;
            args.next()?;
        } else if is(word, "args") {
            break;
        } else {
            tracing::info!(
                "Syntax Error from arguments to loadex around {}.",
                String::from_utf8_lossy(word)
            );
            return Err(CmdError::err(LOAD_FAILED));
        }
    }
    Err(load_failure(path))
}

fn unload(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Err(CmdError::err(
        "Error unloading module: no such module with that name",
    ))
}
