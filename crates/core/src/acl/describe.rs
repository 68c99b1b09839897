//! Turning users back into rules (ACL LIST, ACL GETUSER, ACL SAVE, CONFIG
//! REWRITE), exactly as Redis 7.0 does: command rules are rebuilt from the
//! bitmap by starting from `+@all` or `-@all`, greedily applying the category
//! that best fits what is left, then fixing single commands.
//!
//! Redis walks its command dict, whose order is seeded randomly per process:
//! the order of the single-command rules (`+get +set`) varies between Redis
//! runs. Ember walks commands by name; the set of rules is the same.

use super::selector::{Selector, KEY_ALL, KEY_READ, KEY_WRITE};
use super::universe::Universe;
use super::{user_flags, User};
use crate::command::acl::NAMES as CATEGORIES;

/// `~pat`, `%R~pat` or `%W~pat`.
pub fn pattern_string(out: &mut Vec<u8>, pat: &[u8], flags: u8) {
    out.extend_from_slice(match flags {
        KEY_ALL => &b"~"[..],
        KEY_READ => b"%R~",
        KEY_WRITE => b"%W~",
        _ => b"~",
    });
    out.extend_from_slice(pat);
}

/// The command rules of a selector (Redis's ACLDescribeSelectorCommandRules).
pub fn command_rules(sel: &Selector, u: &Universe) -> String {
    let additive = !sel.runs_future_commands();
    let mut rules = String::new();
    let mut fake = Selector::new(false, false);
    if additive {
        rules.push_str("-@all ");
        fake.no_commands();
    } else {
        rules.push_str("+@all ");
        fake.all_commands();
    }
    // Categories first: the best fit each round, never one twice.
    let mut temp = Selector::new(false, false);
    temp.bits = sel.bits;
    let mut applied = [false; CATEGORIES.len()];
    loop {
        let mut best = None;
        let (mut mindiff, mut maxsame) = (usize::MAX, 0);
        for (j, &(cat, _)) in CATEGORIES.iter().enumerate() {
            if applied[j] {
                continue;
            }
            let (on, off) = temp.count_category(u, cat);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                best = Some(j);
                mindiff = diff;
                maxsame = same;
            }
        }
        let Some(j) = best else { break };
        let (cat, name) = CATEGORIES[j];
        fake.change_category(u, cat, additive);
        temp.change_category(u, cat, !additive);
        rules.push_str(if additive { "+@" } else { "-@" });
        rules.push_str(name);
        rules.push(' ');
        applied[j] = true;
    }
    // Then single commands where the bitmaps still differ.
    for id in u.walk() {
        let user_bit = sel.bit(id);
        if user_bit != fake.bit(id) {
            rules.push(if user_bit { '+' } else { '-' });
            rules.push_str(&u.cmds[id].name);
            rules.push(' ');
            fake.change(u, id, user_bit);
        }
        if !user_bit {
            for arg in sel.firstargs_of(id).unwrap_or_default() {
                rules.push('+');
                rules.push_str(&u.cmds[id].name);
                rules.push('|');
                rules.push_str(&String::from_utf8_lossy(arg));
                rules.push(' ');
            }
        }
    }
    rules.pop();
    rules
}

/// Keys, channels and commands of a selector, as in `ACL LIST`.
pub fn selector(sel: &Selector, u: &Universe) -> Vec<u8> {
    let mut out = Vec::new();
    if sel.allkeys {
        out.extend_from_slice(b"~* ");
    } else {
        for (p, f) in &sel.patterns {
            pattern_string(&mut out, p, *f);
            out.push(b' ');
        }
    }
    if sel.allchannels {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in &sel.channels {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend_from_slice(command_rules(sel, u).as_bytes());
    out
}

/// Everything about a user in rule form (Redis's ACLDescribeUser), without
/// the leading `user <name> `.
pub fn user(user: &User, u: &Universe) -> Vec<u8> {
    let mut out = Vec::new();
    for &(flag, name) in user_flags::NAMES {
        if user.flags & flag != 0 {
            out.extend_from_slice(name.as_bytes());
            out.push(b' ');
        }
    }
    for p in &user.passwords {
        out.push(b'#');
        out.extend_from_slice(p.as_bytes());
        out.push(b' ');
    }
    for sel in &user.selectors {
        let d = selector(sel, u);
        if sel.root {
            out.extend_from_slice(&d);
        } else {
            out.extend_from_slice(b" (");
            out.extend_from_slice(&d);
            out.push(b')');
        }
    }
    out
}

/// `user <name> <rules>`: an ACL LIST entry, an ACL file or config line.
pub fn user_line(u: &User, universe: &Universe) -> Vec<u8> {
    let mut line = b"user ".to_vec();
    line.extend_from_slice(&u.name);
    line.push(b' ');
    line.extend_from_slice(&user(u, universe));
    line
}

/// The `keys` field of ACL GETUSER.
pub fn keys_field(sel: &Selector) -> Vec<u8> {
    if sel.allkeys {
        return b"~*".to_vec();
    }
    let mut out = Vec::new();
    for (i, (p, f)) in sel.patterns.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        pattern_string(&mut out, p, *f);
    }
    out
}

/// The `channels` field of ACL GETUSER.
pub fn channels_field(sel: &Selector) -> Vec<u8> {
    if sel.allchannels {
        return b"&*".to_vec();
    }
    let mut out = Vec::new();
    for (i, c) in sel.channels.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.push(b'&');
        out.extend_from_slice(c);
    }
    out
}
