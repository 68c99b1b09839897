//! The COMMAND family: introspection of the command table (COUNT, LIST, INFO,
//! DOCS, GETKEYS, GETKEYSANDFLAGS). Arity, flags, key range and ACL categories
//! come from the table rows; tips, key specs and documentation from the
//! interface data in `command_docs`, joined by full name.

use crate::args::Args;
use crate::command::{acl, flags, flags::*, Command, CommandTable};
use crate::command_docs::{self, Arg, CommandData, Docs};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use crate::glob::glob_match;
use bytes::Bytes;
use ember_resp::Reply;
use std::borrow::Cow;

pub fn commands() -> Vec<Command> {
    let sub =
        |name, arity, handler| Command::new(name, arity, LOADING | STALE, acl::CONNECTION, handler);
    let mut command = Command::container(
        "command",
        -1,
        LOADING | STALE,
        acl::CONNECTION,
        vec![
            sub("count", 2, count),
            sub("docs", -2, docs),
            sub("getkeys", -4, getkeys),
            sub("getkeysandflags", -4, getkeysandflags),
            sub("help", 2, help),
            sub("info", -2, info),
            sub("list", -2, list),
        ],
    );
    // Unlike other containers, COMMAND alone does something: it lists everything.
    command.handler = Some(all_info);
    vec![command]
}

/// Flags as COMMAND INFO shows them: Redis hides may_replicate, sentinel and protected.
const HIDDEN_FLAGS: u32 = MAY_REPLICATE | SENTINEL | PROTECTED;

fn status(s: impl Into<Cow<'static, str>>) -> Reply {
    Reply::Status(s.into())
}

fn statuses(items: &[String]) -> Reply {
    Reply::Set(items.iter().map(|s| status(s.clone())).collect())
}

/// One command's COMMAND INFO entry (Redis's addReplyCommandInfo).
pub fn info_reply(cmd: &Command) -> Reply {
    let data = command_docs::get(&cmd.full_name);
    let flag_names = flags::NAMES
        .iter()
        .filter(|(bit, _)| cmd.flags & bit & !HIDDEN_FLAGS != 0)
        .map(|(_, name)| status(*name))
        .collect();
    let categories = cmd.acl_categories();
    let acl_names = acl::NAMES
        .iter()
        .filter(|(bit, _)| categories & bit != 0)
        .map(|(_, name)| status(format!("@{name}")))
        .collect();
    let (tips, specs) = match data {
        Some(d) => (
            d.tips.iter().map(Reply::bulk).collect(),
            d.key_specs.iter().map(key_spec_reply).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let subcommands = if cmd.subcommands.is_empty() {
        Reply::Set(Vec::new())
    } else {
        Reply::Array(cmd.subcommands.iter().map(info_reply).collect())
    };
    Reply::Array(vec![
        Reply::bulk(&cmd.full_name),
        Reply::Integer(cmd.arity as i64),
        Reply::Set(flag_names),
        Reply::Integer(cmd.first_key as i64),
        Reply::Integer(cmd.last_key as i64),
        Reply::Integer(cmd.step as i64),
        Reply::Set(acl_names),
        Reply::Set(tips),
        Reply::Set(specs),
        subcommands,
    ])
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk_static(name.as_bytes()), value)
}

fn key_spec_reply(spec: &command_docs::KeySpec) -> Reply {
    let mut map = Vec::with_capacity(4);
    if let Some(notes) = &spec.notes {
        map.push(field("notes", Reply::bulk(notes)));
    }
    map.push(field("flags", statuses(&spec.flags)));
    for (name, search) in [
        ("begin_search", &spec.begin_search),
        ("find_keys", &spec.find_keys),
    ] {
        let s = &search.spec;
        let int = |n: Option<i64>| Reply::Integer(n.unwrap_or(0));
        let fields = match search.kind.as_str() {
            "index" => vec![field("index", int(s.index))],
            "keyword" => vec![
                field("keyword", Reply::bulk(s.keyword.as_deref().unwrap_or(""))),
                field("startfrom", int(s.startfrom)),
            ],
            "range" => vec![
                field("lastkey", int(s.lastkey)),
                field("keystep", int(s.keystep)),
                field("limit", int(s.limit)),
            ],
            "keynum" => vec![
                field("keynumidx", int(s.keynumidx)),
                field("firstkey", int(s.firstkey)),
                field("keystep", int(s.keystep)),
            ],
            _ => Vec::new(),
        };
        map.push(field(
            name,
            Reply::Map(vec![
                field("type", Reply::bulk(&search.kind)),
                field("spec", Reply::Map(fields)),
            ]),
        ));
    }
    Reply::Map(map)
}

/// One command's COMMAND DOCS map (Redis's addReplyCommandDocs).
pub fn docs_reply(cmd: &Command) -> Reply {
    let empty = Docs::default();
    let d = command_docs::get(&cmd.full_name).map_or(&empty, |d: &CommandData| &d.docs);
    let mut map = Vec::new();
    let text = |s: &Option<String>| s.as_deref().map(Reply::bulk);
    let optional = [
        ("summary", text(&d.summary)),
        ("since", text(&d.since)),
        ("group", text(&d.group)),
        ("complexity", text(&d.complexity)),
        (
            "doc_flags",
            (!d.doc_flags.is_empty()).then(|| statuses(&d.doc_flags)),
        ),
        ("deprecated_since", text(&d.deprecated_since)),
        ("replaced_by", text(&d.replaced_by)),
        (
            "history",
            (!d.history.is_empty()).then(|| {
                Reply::Set(
                    d.history
                        .iter()
                        .map(|(v, t)| Reply::Array(vec![Reply::bulk(v), Reply::bulk(t)]))
                        .collect(),
                )
            }),
        ),
        (
            "arguments",
            (!d.arguments.is_empty()).then(|| args_reply(&d.arguments)),
        ),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            map.push(field(name, v));
        }
    }
    if !cmd.subcommands.is_empty() {
        let subs = cmd
            .subcommands
            .iter()
            .map(|s| (Reply::bulk(&s.full_name), docs_reply(s)))
            .collect();
        map.push(field("subcommands", Reply::Map(subs)));
    }
    Reply::Map(map)
}

fn args_reply(args: &[Arg]) -> Reply {
    Reply::Array(
        args.iter()
            .map(|a| {
                let mut map = vec![
                    field("name", Reply::bulk(&a.name)),
                    field("type", Reply::bulk(&a.kind)),
                ];
                if let Some(i) = a.key_spec_index {
                    map.push(field("key_spec_index", Reply::Integer(i)));
                }
                for (name, value) in [
                    ("token", &a.token),
                    ("summary", &a.summary),
                    ("since", &a.since),
                    ("deprecated_since", &a.deprecated_since),
                ] {
                    if let Some(v) = value {
                        map.push(field(name, Reply::bulk(v)));
                    }
                }
                if !a.flags.is_empty() {
                    map.push(field("flags", statuses(&a.flags)));
                }
                if a.kind == "oneof" || a.kind == "block" {
                    map.push(field("arguments", args_reply(&a.arguments)));
                }
                Reply::Map(map)
            })
            .collect(),
    )
}

/// Looks a command up by full name (`get`, `config|get`), as Redis's
/// lookupCommandBySds: exactly one level of subcommand, case-insensitive.
pub fn lookup_full_name<'t>(table: &'t CommandTable, name: &[u8]) -> Option<&'t Command> {
    let mut parts = name.split(|&b| b == b'|');
    let base = table.lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) if !base.subcommands.is_empty() => base.subcommand(sub),
        _ => None,
    }
}

/// Looks a command line up as Redis's lookupCommand: a container followed by a
/// word resolves to its subcommand.
fn lookup_argv<'t>(table: &'t CommandTable, argv: &[Bytes]) -> Option<&'t Command> {
    let base = table.lookup(argv.first()?)?;
    match argv.get(1) {
        Some(sub) if !base.subcommands.is_empty() => base.subcommand(sub),
        _ => Some(base),
    }
}

fn all_info(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Array(
        ctx.engine.table.iter().map(info_reply).collect(),
    ))
}

fn count(ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.table.len() as i64))
}

fn info(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if args.is_empty() {
        return all_info(ctx, args);
    }
    let table = ctx.engine.table;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|name| lookup_full_name(table, name).map_or(Reply::Nil, info_reply))
            .collect(),
    ))
}

fn docs(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let table = ctx.engine.table;
    let entry = |c: &Command| (Reply::bulk(&c.full_name), docs_reply(c));
    if args.is_empty() {
        return Ok(Reply::Map(table.iter().map(entry).collect()));
    }
    Ok(Reply::Map(
        args.rest()
            .iter()
            .filter_map(|name| lookup_full_name(table, name))
            .map(entry)
            .collect(),
    ))
}

enum Filter<'a> {
    All,
    Module,
    AclCat(u32),
    Pattern(&'a [u8]),
}

impl Filter<'_> {
    fn keeps(&self, cmd: &Command) -> bool {
        match self {
            Filter::All => true,
            Filter::Module => false,
            Filter::AclCat(cat) => *cat != 0 && cmd.acl_categories() & cat != 0,
            Filter::Pattern(p) => glob_match(p, cmd.full_name.as_bytes(), true),
        }
    }
}

fn list(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let mut filter = Filter::All;
    while !args.is_empty() {
        if args.remaining() != 3 || !args.eat("FILTERBY") {
            return Err(CmdError::Syntax);
        }
        let kind = args.next()?;
        let arg = args.next()?;
        filter = if kind.eq_ignore_ascii_case(b"module") {
            Filter::Module
        } else if kind.eq_ignore_ascii_case(b"aclcat") {
            let cat = acl::NAMES
                .iter()
                .find(|(_, name)| name.as_bytes().eq_ignore_ascii_case(arg))
                .map_or(0, |(bit, _)| *bit);
            Filter::AclCat(cat)
        } else if kind.eq_ignore_ascii_case(b"pattern") {
            Filter::Pattern(arg)
        } else {
            return Err(CmdError::Syntax);
        };
    }
    let mut names = Vec::new();
    for cmd in ctx.engine.table.iter() {
        for c in std::iter::once(cmd).chain(cmd.subcommands.iter()) {
            if filter.keeps(c) {
                names.push(Reply::bulk(&c.full_name));
            }
        }
    }
    Ok(Reply::Array(names))
}

fn getkeys(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = keys_and_flags(ctx.engine.table, args.rest())?;
    Ok(Reply::Array(
        keys.into_iter().map(|(k, _)| Reply::Bulk(k)).collect(),
    ))
}

fn getkeysandflags(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let keys = keys_and_flags(ctx.engine.table, args.rest())?;
    Ok(Reply::Array(
        keys.into_iter()
            .map(|(k, flags)| {
                Reply::Array(vec![
                    Reply::Bulk(k),
                    Reply::Set(flags.into_iter().map(status).collect()),
                ])
            })
            .collect(),
    ))
}

type KeyFlags = Vec<&'static str>;

/// The keys of a full command line with their access flags (Redis's
/// getKeysSubcommandImpl): key specs when they are complete and their flags
/// fixed, otherwise the row's own key extraction.
fn keys_and_flags(
    table: &CommandTable,
    argv: &[Bytes],
) -> Result<Vec<(Bytes, KeyFlags)>, CmdError> {
    let cmd = lookup_argv(table, argv).ok_or_else(|| CmdError::err("Invalid command specified"))?;
    let data = command_docs::get(&cmd.full_name);
    let has_specs = data.is_some_and(CommandData::has_key_specs);
    let has_varflags = data.is_some_and(CommandData::has_variable_flags);
    // Redis: a getkeys function or a spec for real keys; rows without data
    // (Ember's own commands) go by their key range.
    let has_keys = has_specs || cmd.keys_fn.is_some() || (data.is_none() && cmd.first_key > 0);
    if !has_keys {
        return Err(CmdError::err("The command has no key arguments"));
    }
    if !cmd.arity_ok(argv.len()) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let by_specs = match data {
        Some(d) if has_specs && !has_varflags => d.keys_by_specs(argv).ok().map(|keys| {
            keys.into_iter()
                .map(|(pos, spec)| (pos, spec_flags(d, spec)))
                .collect::<Vec<_>>()
        }),
        _ => None,
    };
    let keys = match by_specs {
        Some(keys) => keys,
        // Redis falls back to the command's getkeys function; rows whose keys
        // follow only the specs have none and find no keys.
        None if cmd.keys_fn.is_some() || has_varflags || data.is_none() => cmd
            .key_positions(argv)
            .into_iter()
            .map(|pos| (pos, fallback_flags(cmd, data, argv, pos)))
            .collect(),
        None => Vec::new(),
    };
    if keys.is_empty() && !cmd.has(NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    Ok(keys
        .into_iter()
        .map(|(pos, f)| (argv[pos].clone(), f))
        .collect())
}

/// A spec's flags as static names, in the data's (Redis's) order.
fn spec_flags(d: &'static CommandData, spec: usize) -> KeyFlags {
    d.key_specs[spec].flags.iter().map(String::as_str).collect()
}

/// Key flags when the specs could not be used, as Redis's getkeys functions set them.
fn fallback_flags(
    cmd: &Command,
    data: Option<&'static CommandData>,
    argv: &[Bytes],
    pos: usize,
) -> KeyFlags {
    const RW_ACCESS_UPDATE: &[&str] = &["RW", "access", "update"];
    const OW_UPDATE: &[&str] = &["OW", "update"];
    match cmd.full_name.as_str() {
        "set" => {
            let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            if get { RW_ACCESS_UPDATE } else { OW_UPDATE }.to_vec()
        }
        "bitfield" => {
            if bitfield_writes(argv) {
                RW_ACCESS_UPDATE.to_vec()
            } else {
                vec!["RO", "access"]
            }
        }
        "sort" if pos != 1 => OW_UPDATE.to_vec(),
        _ => match data.and_then(|d| d.key_specs.first()) {
            Some(spec) => spec
                .flags
                .iter()
                .map(String::as_str)
                .filter(|f| *f != "incomplete" && *f != "variable_flags")
                .collect(),
            None => Vec::new(),
        },
    }
}

/// True if a BITFIELD line may write: anything but complete GET and OVERFLOW
/// operations counts as a write (as Redis's bitfieldGetKeys).
fn bitfield_writes(argv: &[Bytes]) -> bool {
    let mut i = 2;
    while i < argv.len() {
        let rest = argv.len() - i - 1;
        let op = &argv[i];
        if op.eq_ignore_ascii_case(b"get") && rest >= 2 {
            i += 3;
        } else if op.eq_ignore_ascii_case(b"overflow") && rest >= 1 {
            i += 2;
        } else {
            return true;
        }
    }
    false
}

fn help(_ctx: &mut Ctx, _args: &mut Args) -> CmdResult {
    Ok(help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    ))
}

/// A `<CMD> HELP` reply (Redis's addReplyHelp): a header, the lines, then HELP itself.
pub fn help_reply(container: &str, lines: &[&'static str]) -> Reply {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(status(format!(
        "{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    )));
    out.extend(lines.iter().map(|l| status(*l)));
    out.push(status("HELP"));
    out.push(status("    Prints this help."));
    Reply::Array(out)
}

#[cfg(test)]
#[path = "command_info_tests.rs"]
mod tests;
