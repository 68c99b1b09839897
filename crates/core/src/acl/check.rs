//! Permission checks (Redis's ACLCheckAllUserCommandPerm): may a user run a
//! command with these arguments? Keys come from the command's key specs with
//! their access flags, so `%R~`/`%W~` patterns see reads and writes as Redis
//! classifies them.

use super::selector::{Selector, KEY_ALL, KEY_READ, KEY_WRITE};
use super::universe::Universe;
use super::User;
use crate::command::{flags, Command};
use crate::command_docs::{self, CommandData};
use crate::glob::glob_match;
use bytes::Bytes;

/// Why a command was refused, with the argv position of the key or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    Command,
    Key(usize),
    Channel(usize),
}

// Redis's ACL_DENIED_* values, which rank the reasons when selectors disagree.
const DENIED_CMD: u8 = 1;
const DENIED_KEY: u8 = 2;
const DENIED_CHANNEL: u8 = 4;

/// The permissions a key spec asks for (ACCESS reads, INSERT/DELETE/UPDATE write).
fn spec_perms(spec_flags: &[String]) -> u8 {
    let mut p = 0;
    for f in spec_flags {
        match f.as_str() {
            "access" => p |= KEY_READ,
            "insert" | "delete" | "update" => p |= KEY_WRITE,
            _ => {}
        }
    }
    p
}

/// Key positions and the permissions each needs (Redis's
/// getKeysFromCommandWithSpecs, with the getkeys functions of the commands
/// whose specs are incomplete or argument-dependent).
pub fn keys_with_perms(
    cmd: &Command,
    data: Option<&CommandData>,
    argv: &[Bytes],
) -> Vec<(usize, u8)> {
    let name = cmd.full_name.as_str();
    match name {
        // SET ... GET reads; without GET the key is only overwritten.
        "set" => {
            let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            return vec![(1, if get { KEY_ALL } else { KEY_WRITE })];
        }
        "bitfield" => return vec![(1, bitfield_perms(argv))],
        "sort" | "sort_ro" => return sort_keys(argv),
        _ => {}
    }
    if let Some(d) = data {
        if d.has_key_specs() {
            if let Ok(keys) = d.keys_by_specs(argv) {
                return keys
                    .into_iter()
                    .map(|(pos, spec)| (pos, spec_perms(&d.key_specs[spec].flags)))
                    .collect();
            }
        } else if !d.key_specs.is_empty() && cmd.keys_fn.is_none() {
            // Only `not_key` specs (SPUBLISH's and SSUBSCRIBE's shard
            // channels): no keys; the channels are checked as channels.
            return Vec::new();
        }
    }
    // Fallback: the table's own key positions, asking for what any spec asks.
    let perms = match data {
        Some(d) => d.key_specs.iter().fold(0, |p, s| p | spec_perms(&s.flags)),
        None if cmd.has(flags::READONLY) => KEY_READ,
        None => KEY_ALL,
    };
    cmd.key_positions(argv)
        .into_iter()
        .map(|pos| (pos, perms))
        .collect()
}

/// BITFIELD only reads when every operation is a GET (Redis's bitfieldGetKeys).
fn bitfield_perms(argv: &[Bytes]) -> u8 {
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let arg = &argv[i];
        if arg.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 3;
        } else if arg.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 2;
        } else {
            // SET, INCRBY or a syntax error: treated as a write.
            return KEY_ALL;
        }
    }
    KEY_READ
}

/// SORT reads its key and writes the last STORE destination (Redis's sortGetKeys).
fn sort_keys(argv: &[Bytes]) -> Vec<(usize, u8)> {
    let mut keys = vec![(1, KEY_READ)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push((pos, KEY_WRITE));
    }
    keys
}

/// Channel arguments: (first position, how many, literal match).
fn channel_args(name: &str, argc: usize) -> Option<(usize, usize, bool)> {
    match name {
        "publish" | "spublish" => Some((1, 1, false)),
        "subscribe" | "ssubscribe" => Some((1, argc - 1, false)),
        "psubscribe" => Some((1, argc - 1, true)),
        _ => None,
    }
}

/// May `sel` name this channel? Patterns glob-match channels, and match
/// PSUBSCRIBE patterns only literally.
pub fn channel_allowed(sel: &Selector, channel: &[u8], literal: bool) -> bool {
    sel.allchannels
        || sel.channels.iter().any(|p| {
            if literal {
                p[..] == *channel
            } else {
                glob_match(p, channel, false)
            }
        })
}

/// May `sel` touch `key` with permissions `perms`?
fn key_allowed(sel: &Selector, key: &[u8], perms: u8) -> bool {
    sel.allkeys
        || sel
            .patterns
            .iter()
            .any(|(p, f)| f & perms == perms && glob_match(p, key, false))
}

struct Call<'a> {
    universe: &'a Universe,
    id: usize,
    cmd: &'a Command,
    argv: &'a [Bytes],
    keys: Option<Vec<(usize, u8)>>,
}

impl Call<'_> {
    fn check_selector(&mut self, sel: &Selector, idx: &mut usize) -> Result<(), u8> {
        let entry = &self.universe.cmds[self.id];
        if !sel.allcommands && !entry.no_auth && !sel.bit(self.id) {
            // Maybe allowed for this first argument only (`+select|0`).
            let arg_pos = if entry.parent.is_some() { 2 } else { 1 };
            let allowed = self.argv.len() >= 2
                && sel.firstargs_of(self.id).is_some_and(|list| {
                    self.argv
                        .get(arg_pos)
                        .is_some_and(|a| list.iter().any(|f| f.eq_ignore_ascii_case(a)))
                });
            if !allowed {
                return Err(DENIED_CMD);
            }
        }
        let data = command_docs::get(&self.cmd.full_name);
        let has_keys = data.is_some_and(CommandData::has_key_specs)
            || self.cmd.keys_fn.is_some()
            || self.cmd.first_key > 0;
        if !sel.allkeys && has_keys {
            let (cmd, argv) = (self.cmd, self.argv);
            let keys = self
                .keys
                .get_or_insert_with(|| keys_with_perms(cmd, data, argv));
            for &(pos, perms) in keys.iter() {
                if !key_allowed(sel, &self.argv[pos], perms) {
                    *idx = pos;
                    return Err(DENIED_KEY);
                }
            }
        }
        if !sel.allchannels {
            if let Some((first, count, literal)) = channel_args(&entry.name, self.argv.len()) {
                for pos in first..first + count {
                    if !channel_allowed(sel, &self.argv[pos], literal) {
                        *idx = pos;
                        return Err(DENIED_CHANNEL);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks every selector of `user`; the first that allows the call wins.
/// When none does, the reported reason is the highest ranked one (and for
/// equal reasons, the furthest argument), as Redis picks it.
pub fn check_user(
    universe: &Universe,
    user: &User,
    cmd: &Command,
    argv: &[Bytes],
) -> Result<(), Denial> {
    let Some(id) = universe.id_of(&cmd.full_name) else {
        return Err(Denial::Command);
    };
    let mut call = Call {
        universe,
        id,
        cmd,
        argv,
        keys: None,
    };
    let (mut relevant, mut last_idx, mut local_idx) = (DENIED_CMD, 0, 0);
    for sel in &user.selectors {
        match call.check_selector(sel, &mut local_idx) {
            Ok(()) => return Ok(()),
            Err(code) => {
                if code > relevant || (code == relevant && local_idx > last_idx) {
                    relevant = code;
                    last_idx = local_idx;
                }
            }
        }
    }
    Err(match relevant {
        DENIED_KEY => Denial::Key(last_idx),
        DENIED_CHANNEL => Denial::Channel(last_idx),
        _ => Denial::Command,
    })
}

/// True if a selector that allows this call may also touch any key with
/// `perms` (`allkeys`, or a `*` pattern with those permissions): Redis's
/// ACLUserCheckCmdWithUnrestrictedKeyAccess, which SORT asks before
/// following BY/GET patterns.
pub fn unrestricted_key_access(
    universe: &Universe,
    user: &User,
    cmd: &Command,
    argv: &[Bytes],
    perms: u8,
) -> bool {
    let Some(id) = universe.id_of(&cmd.full_name) else {
        return false;
    };
    let mut call = Call {
        universe,
        id,
        cmd,
        argv,
        keys: None,
    };
    let mut idx = 0;
    user.selectors.iter().any(|s| {
        call.check_selector(s, &mut idx).is_ok()
            && (s.allkeys
                || s.patterns
                    .iter()
                    .any(|(p, f)| f & perms == perms && p[..] == *b"*"))
    })
}

/// May `user` access `key` with `perms` in some selector (Redis's
/// ACLUserCheckKeyPerm).
pub fn user_key_allowed(user: &User, key: &[u8], perms: u8) -> bool {
    user.selectors.iter().any(|s| key_allowed(s, key, perms))
}
