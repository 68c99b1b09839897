//! Selectors: the permission sets of a user (the root one, and any added with
//! `(...)`): allowed commands as a bitmap over the [`Universe`], allowed
//! first arguments (`+select|0`), key patterns with read/write flags and
//! channel patterns. `apply` implements Redis's ACLSetSelector rules.

use super::universe::{category_by_name, Universe, BITS, FUTURE_BIT};
use super::SetError;

/// Key pattern permissions (`%R~`, `%W~`, `~` = both).
pub const KEY_READ: u8 = 1;
pub const KEY_WRITE: u8 = 2;
pub const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub root: bool,
    pub allkeys: bool,
    pub allchannels: bool,
    pub allcommands: bool,
    pub bits: [u64; BITS / 64],
    /// Allowed first arguments of otherwise denied commands, by command id,
    /// in the order they were added.
    pub firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    /// Key patterns and their `KEY_*` permissions, in the order added.
    pub patterns: Vec<(Vec<u8>, u8)>,
    pub channels: Vec<Vec<u8>>,
}

/// Redis's ACLStringHasSpaces: whitespace or NUL bytes.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

impl Selector {
    /// An empty selector; `allchannels` follows `acl-pubsub-default`.
    pub fn new(root: bool, allchannels: bool) -> Selector {
        Selector {
            root,
            allkeys: false,
            allchannels,
            allcommands: false,
            bits: [0; BITS / 64],
            firstargs: Vec::new(),
            patterns: Vec::new(),
            channels: Vec::new(),
        }
    }

    pub fn bit(&self, id: usize) -> bool {
        id < BITS && self.bits[id / 64] & (1 << (id % 64)) != 0
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if id >= BITS {
            return;
        }
        if on {
            self.bits[id / 64] |= 1 << (id % 64);
        } else {
            self.bits[id / 64] &= !(1 << (id % 64));
            self.allcommands = false;
        }
    }

    /// True when `+@all` (or `allcommands`) is the base of the rules.
    pub fn runs_future_commands(&self) -> bool {
        self.bit(FUTURE_BIT)
    }

    /// Allows or denies a command and, for a container, all its subcommands
    /// (Redis's ACLChangeSelectorPerm).
    pub fn change(&mut self, u: &Universe, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.retain(|(c, _)| *c != id);
        for &s in &u.cmds[id].subs {
            self.set_bit(s, allow);
        }
    }

    /// `+@cat` / `-@cat`: every command (and subcommand) in the category.
    pub fn change_category(&mut self, u: &Universe, cat: u32, allow: bool) {
        for id in u.walk() {
            if u.cmds[id].cats & cat != 0 {
                self.change(u, id, allow);
            }
        }
    }

    /// (on, off) counts of the commands in a category.
    pub fn count_category(&self, u: &Universe, cat: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for id in u.walk() {
            if u.cmds[id].cats & cat != 0 {
                if self.bit(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    pub fn all_commands(&mut self) {
        self.bits = [u64::MAX; BITS / 64];
        self.allcommands = true;
        self.firstargs.clear();
    }

    pub fn no_commands(&mut self) {
        self.bits = [0; BITS / 64];
        self.allcommands = false;
        self.firstargs.clear();
    }

    fn add_firstarg(&mut self, id: usize, arg: &[u8]) {
        let list = match self.firstargs.iter_mut().find(|(c, _)| *c == id) {
            Some((_, l)) => l,
            None => {
                self.firstargs.push((id, Vec::new()));
                &mut self.firstargs.last_mut().expect("just pushed").1
            }
        };
        if !list.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            list.push(arg.to_vec());
        }
    }

    pub fn firstargs_of(&self, id: usize) -> Option<&[Vec<u8>]> {
        self.firstargs
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, l)| &l[..])
    }

    /// Applies one selector rule (Redis's ACLSetSelector).
    pub fn apply(&mut self, u: &Universe, op: &[u8]) -> Result<(), SetError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if op.is_empty() {
            return Err(SetError::Syntax);
        }
        if is("allkeys") || op == b"~*" {
            self.allkeys = true;
            self.patterns.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.patterns.clear();
        } else if is("allchannels") || op == b"&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.all_commands();
        } else if is("nocommands") || is("-@all") {
            self.no_commands();
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(SetError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(SetError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.allchannels = false;
        } else if op[0] == b'+' && op.get(1) != Some(&b'@') {
            self.allow_command(u, &op[1..])?;
        } else if op[0] == b'-' && op.get(1) != Some(&b'@') {
            let id = u.lookup(&op[1..]).ok_or(SetError::UnknownCommand)?;
            self.change(u, id, false);
        } else if op.len() >= 2 && (op[0] == b'+' || op[0] == b'-') && op[1] == b'@' {
            let cat = category_by_name(&op[2..]).ok_or(SetError::UnknownCommand)?;
            self.change_category(u, cat, op[0] == b'+');
        } else {
            return Err(SetError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), SetError> {
        if self.allkeys {
            return Err(SetError::KeyAfterAll);
        }
        let mut flags = 0;
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                let c = op[offset];
                if c.eq_ignore_ascii_case(&b'R') && flags & KEY_READ == 0 {
                    flags |= KEY_READ;
                } else if c.eq_ignore_ascii_case(&b'W') && flags & KEY_WRITE == 0 {
                    flags |= KEY_WRITE;
                } else if c == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(SetError::Syntax);
                }
                offset += 1;
            }
            // `%~x` names no permission at all.
            if flags == 0 {
                return Err(SetError::Syntax);
            }
        } else {
            flags = KEY_ALL;
        }
        let pat = &op[offset.min(op.len())..];
        if has_spaces(pat) {
            return Err(SetError::Syntax);
        }
        match self.patterns.iter_mut().find(|(p, _)| p == pat) {
            Some((_, f)) => *f |= flags,
            None => self.patterns.push((pat.to_vec(), flags)),
        }
        self.allkeys = false;
        Ok(())
    }

    fn allow_command(&mut self, u: &Universe, name: &[u8]) -> Result<(), SetError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = u.lookup(name).ok_or(SetError::UnknownCommand)?;
            self.change(u, id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = u.lookup(base).ok_or(SetError::UnknownCommand)?;
        if u.cmds[id].parent.is_some() {
            return Err(SetError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(SetError::Syntax);
        }
        if !u.cmds[id].subs.is_empty() {
            let sub_id = u.lookup(name).ok_or(SetError::UnknownCommand)?;
            self.change(u, sub_id, true);
        } else {
            // `+select|0`: a deprecated first-argument allowance.
            self.add_firstarg(id, sub);
        }
        Ok(())
    }
}
