//! The command universe ACL rules speak about: every Redis 7.0 command and
//! subcommand (from `data/commands.json`, so `+xadd` or `ACL CAT stream` mean
//! what they mean in Redis even where Ember lacks the command), plus any row of
//! Ember's table that Redis does not have. Each gets a bit id in a selector's
//! command bitmap. Like Redis's `orig_commands`, the universe ignores
//! `rename-command`.

use crate::command::{acl as cat, CommandTable};
use ahash::AHashMap;

/// Bits in a selector's command bitmap (Redis's USER_COMMAND_BITS_COUNT).
pub const BITS: usize = 1024;
/// Set only by `+@all`/`allcommands`: "may run commands added later".
pub const FUTURE_BIT: usize = BITS - 1;

#[derive(Debug)]
pub struct CmdEntry {
    /// Full lowercase name (`get`, `config|get`).
    pub name: String,
    /// ACL categories (`command::acl` bits), implied ones included.
    pub cats: u32,
    pub parent: Option<usize>,
    pub subs: Vec<usize>,
    /// NO_AUTH commands (AUTH, HELLO) skip the command-bit check.
    pub no_auth: bool,
}

#[derive(Debug)]
pub struct Universe {
    pub cmds: Vec<CmdEntry>,
    /// Top-level commands in the order rules are described (by name).
    pub top: Vec<usize>,
    by_name: AHashMap<String, usize>,
}

/// Category bit for a name (`read`, `@read` is not accepted), case-insensitive.
pub fn category_by_name(name: &[u8]) -> Option<u32> {
    cat::NAMES
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(bit, _)| bit)
}

impl Universe {
    /// Redis's command list plus the rows of `table` it lacks.
    pub fn new(table: &CommandTable) -> Universe {
        let mut names: Vec<(String, u32, bool)> = crate::command_docs::names()
            .map(|n| {
                let d = crate::command_docs::get(n).expect("listed");
                let cats = d
                    .acl_categories
                    .iter()
                    .filter_map(|c| category_by_name(c.trim_start_matches('@').as_bytes()))
                    .fold(0, |a, b| a | b);
                (n.to_string(), cats, d.flags.iter().any(|f| f == "no_auth"))
            })
            .collect();
        for row in table.iter() {
            let entries = std::iter::once(row).chain(row.subcommands.iter());
            for c in entries {
                if crate::command_docs::get(&c.full_name).is_none() {
                    let no_auth = c.has(crate::command::flags::NO_AUTH);
                    names.push((c.full_name.clone(), c.acl_categories(), no_auth));
                }
            }
        }
        // Parents sort before their `parent|sub` children.
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names.dedup_by(|a, b| a.0 == b.0);
        assert!(
            names.len() < FUTURE_BIT,
            "too many commands for the ACL bitmap"
        );
        let mut u = Universe {
            cmds: Vec::with_capacity(names.len()),
            top: Vec::new(),
            by_name: AHashMap::with_capacity(names.len()),
        };
        for (name, cats, no_auth) in names {
            let id = u.cmds.len();
            let parent = name
                .split_once('|')
                .and_then(|(p, _)| u.by_name.get(p).copied());
            match parent {
                Some(p) => u.cmds[p].subs.push(id),
                None => u.top.push(id),
            }
            u.by_name.insert(name.clone(), id);
            u.cmds.push(CmdEntry {
                name,
                cats,
                parent,
                subs: Vec::new(),
                no_auth,
            });
        }
        u
    }

    /// Id of a command by full name (`config|get`), case-insensitive (Redis's
    /// ACLLookupCommand: a name with more than one `|`, or a `|` after a
    /// command without subcommands, finds nothing).
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let mut parts = lower.split('|');
        let base = parts.next()?;
        let id = *self.by_name.get(base)?;
        match (parts.next(), parts.next()) {
            (None, _) => Some(id),
            (Some(sub), None) if self.cmds[id].parent.is_none() => self.cmds[id]
                .subs
                .iter()
                .copied()
                .find(|&s| self.cmds[s].name.rsplit('|').next() == Some(sub)),
            _ => None,
        }
    }

    /// Id of a table row (by its full name, which renaming never changes).
    pub fn id_of(&self, full_name: &str) -> Option<usize> {
        self.by_name.get(full_name).copied()
    }

    /// Every command in description order: each top-level command followed
    /// by its subcommands (Redis walks the command dict the same way).
    pub fn walk(&self) -> impl Iterator<Item = usize> + '_ {
        self.top
            .iter()
            .flat_map(move |&t| std::iter::once(t).chain(self.cmds[t].subs.iter().copied()))
    }
}
