//! Access control (Redis 7.0 ACLs): users with passwords and selectors, the
//! rules language of ACL SETUSER / `user` config lines / ACL files, the
//! permission check the dispatch runs before every command, the ACL log, and
//! the connection-level policies tied to the default user (authentication
//! required, protected mode).
//!
//! `requirepass` is the default user's password, as in Redis: setting it
//! replaces the default user's passwords (or makes it `nopass` when empty).

pub mod check;
pub mod describe;
pub mod file;
pub mod log;
pub mod selector;
pub mod universe;

use crate::client::ClientId;
use crate::command::{Command, CommandTable};
use crate::config::Config;
use crate::engine::Engine;
use crate::error::CmdError;
use bytes::Bytes;
use check::Denial;
use selector::Selector;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use universe::Universe;

/// User flags, in the order ACL LIST and GETUSER show them.
pub mod user_flags {
    pub const ENABLED: u8 = 1;
    pub const DISABLED: u8 = 2;
    pub const NOPASS: u8 = 4;
    pub const SKIP_SANITIZE_PAYLOAD: u8 = 8;
    pub const SANITIZE_PAYLOAD: u8 = 16;
    pub const NAMES: &[(u8, &str)] = &[
        (ENABLED, "on"),
        (DISABLED, "off"),
        (NOPASS, "nopass"),
        (SKIP_SANITIZE_PAYLOAD, "skip-sanitize-payload"),
        (SANITIZE_PAYLOAD, "sanitize-payload"),
    ];
}

/// Why an ACL rule was refused; `text` is Redis's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    Syntax,
    UnknownCommand,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    Duplicate,
    FirstArgOfSubcommand,
}

impl SetError {
    pub fn text(self) -> &'static str {
        match self {
            SetError::Syntax => "Syntax error",
            SetError::UnknownCommand => "Unknown command or category name in ACL",
            SetError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            SetError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            SetError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            SetError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            SetError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
            SetError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// SHA-256 as 64 lowercase hex characters (how passwords are stored).
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit((b >> 4) as u32, 16).expect("nibble"));
        out.push(char::from_digit((b & 15) as u32, 16).expect("nibble"));
    }
    out
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Compares two hashes in time independent of where they differ.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    /// `user_flags` bits.
    pub flags: u8,
    /// SHA-256 hex of each password, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first, then those added with `(...)`.
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user: off, no passwords, no permissions (channels per
    /// `acl-pubsub-default`).
    pub fn new(name: &[u8], pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            flags: user_flags::DISABLED,
            passwords: Vec::new(),
            selectors: vec![Selector::new(true, pubsub_all)],
        }
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    pub fn enabled(&self) -> bool {
        self.flags & user_flags::DISABLED == 0
    }

    pub fn nopass(&self) -> bool {
        self.flags & user_flags::NOPASS != 0
    }

    /// True if some selector allows every command, key and channel: such a
    /// user needs no per-command check.
    pub fn unrestricted(&self) -> bool {
        self.selectors
            .iter()
            .any(|s| s.allcommands && s.allkeys && s.allchannels)
    }

    /// Would these credentials log in (Redis's ACLCheckUserCredentials)?
    pub fn password_ok(&self, pass: &[u8]) -> bool {
        if !self.enabled() {
            return false;
        }
        if self.nopass() {
            return true;
        }
        let hashed = sha256_hex(pass);
        self.passwords.iter().any(|p| same_hash(p, &hashed))
    }

    fn set_flag(&mut self, on: u8, off: u8) {
        self.flags = (self.flags | on) & !off;
    }

    /// Applies one rule (Redis's ACLSetUser).
    pub fn apply(&mut self, u: &Universe, op: &[u8], pubsub_all: bool) -> Result<(), SetError> {
        use user_flags::*;
        if op.is_empty() {
            return Ok(());
        }
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("on") {
            self.set_flag(ENABLED, DISABLED);
        } else if is("off") {
            self.set_flag(DISABLED, ENABLED);
        } else if is("skip-sanitize-payload") {
            self.set_flag(SKIP_SANITIZE_PAYLOAD, SANITIZE_PAYLOAD);
        } else if is("sanitize-payload") {
            self.set_flag(SANITIZE_PAYLOAD, SKIP_SANITIZE_PAYLOAD);
        } else if is("nopass") {
            self.flags |= NOPASS;
            self.passwords.clear();
        } else if is("resetpass") {
            self.flags &= !NOPASS;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                sha256_hex(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(SetError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags &= !NOPASS;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                sha256_hex(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(SetError::BadHash);
            };
            let pos = self.passwords.iter().position(|p| *p == hash);
            self.passwords.remove(pos.ok_or(SetError::NoSuchPassword)?);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let inner = &op[1..op.len() - 1];
            let mut sel = Selector::new(false, pubsub_all);
            let rules = crate::config_rewrite::split_args(inner).ok_or(SetError::Syntax)?;
            for r in rules {
                sel.apply(u, &r)?;
            }
            self.selectors.push(sel);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            for step in ["resetpass", "resetkeys", "resetchannels"] {
                self.apply(u, step.as_bytes(), pubsub_all)?;
            }
            if pubsub_all {
                self.apply(u, b"allchannels", pubsub_all)?;
            }
            for step in ["off", "sanitize-payload", "clearselectors", "-@all"] {
                self.apply(u, step.as_bytes(), pubsub_all)?;
            }
        } else {
            self.selectors[0].apply(u, op)?;
        }
        Ok(())
    }
}

/// Redis's ACLMergeSelectorArguments: a selector may be spread over several
/// arguments (`(~a` `+get)`). Err carries the index of an unclosed `(`.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, op) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                out.push(open.take().expect("open").1);
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((i, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

/// The engine's ACL state.
pub struct Acl {
    /// Users by name; iteration order is Redis's (byte order of names).
    /// Call [`Acl::refresh`] after changing them.
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: VecDeque<log::Entry>,
    pub universe: Arc<Universe>,
    /// True while every user may run everything: the dispatch skips checks.
    pub unrestricted: bool,
    /// Cached [`Acl::default_is_open`] (asked for every command).
    default_open: bool,
    /// Set when `user` lines or the `aclfile` could not be loaded at startup;
    /// the server refuses to start with this message.
    pub startup_error: Option<String>,
}

impl Acl {
    /// The default user (`on nopass ~* &* +@all`, or with `requirepass`'s
    /// password), then the configured `user` lines or `aclfile`.
    pub fn new(table: &CommandTable, config: &Config) -> Acl {
        let mut acl = Acl {
            users: BTreeMap::new(),
            log: VecDeque::new(),
            universe: Arc::new(Universe::new(table)),
            unrestricted: true,
            default_open: true,
            startup_error: None,
        };
        let default = acl.default_template();
        acl.users.insert(b"default".to_vec(), default);
        acl.set_default_password(&config.requirepass);
        acl.startup_error = file::load_at_startup(&mut acl, config).err();
        acl.refresh();
        acl
    }

    /// A fresh default user (Redis's ACLCreateDefaultUser).
    pub fn default_template(&self) -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            u.apply(&self.universe, op.as_bytes(), false)
                .expect("valid default rules");
        }
        u
    }

    pub fn default_user(&self) -> &User {
        &self.users[&b"default"[..]]
    }

    pub fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.get(name)
    }

    /// True when new connections need no AUTH: the default user is `nopass`
    /// and enabled (the negation of Redis's authRequired for a fresh client).
    pub fn default_is_open(&self) -> bool {
        self.default_open
    }

    /// `requirepass`: replaces the default user's passwords (Redis's
    /// ACLUpdateDefaultUserPassword).
    pub fn set_default_password(&mut self, password: &str) {
        let universe = self.universe.clone();
        let d = self.users.get_mut(&b"default"[..]).expect("default user");
        let _ = d.apply(&universe, b"resetpass", false);
        if password.is_empty() {
            let _ = d.apply(&universe, b"nopass", false);
        } else {
            let mut op = b">".to_vec();
            op.extend_from_slice(password.as_bytes());
            let _ = d.apply(&universe, &op, false);
        }
    }

    /// Recomputes the cached answers the dispatch asks for after users changed.
    pub fn refresh(&mut self) {
        self.unrestricted = self.users.values().all(User::unrestricted);
        let d = self.default_user();
        self.default_open = d.nopass() && d.enabled();
    }

    /// `user <name> ...` lines for every user (CONFIG REWRITE, ACL SAVE).
    pub fn user_lines(&self) -> Vec<Vec<u8>> {
        self.users
            .values()
            .map(|u| describe::user_line(u, &self.universe))
            .collect()
    }
}

/// The client's CLIENT LIST line without newline (ACL log entries, log lines).
pub fn client_info(engine: &Engine, id: ClientId) -> String {
    let mut line = String::new();
    if let Some(c) = engine.clients.get(&id) {
        let qbuf = if Some(c.id) == engine.current_client() {
            engine.batch_input.max(c.qbuf)
        } else {
            c.qbuf
        };
        let argv = (c.argv_mem, c.argv_count);
        crate::cmd::client::write_client_line(&mut line, c, engine.now_ms(), argv, qbuf);
    }
    line.truncate(line.trim_end().len());
    line
}

fn log_context(engine: &Engine, id: ClientId) -> log::Context {
    if crate::multi::in_multi(engine, id) {
        log::Context::Multi
    } else {
        log::Context::Toplevel
    }
}

/// Records a denial or failed authentication in the ACL log.
pub fn add_log_entry(
    engine: &mut Engine,
    id: ClientId,
    reason: log::Reason,
    context: log::Context,
    object: &[u8],
    username: &[u8],
) {
    let entry = log::Entry {
        count: 1,
        reason,
        context,
        object: object.to_vec(),
        username: username.to_vec(),
        ctime: engine.now_ms(),
        cinfo: client_info(engine, id),
    };
    let max = engine.config.acllog_max_len as usize;
    log::add(&mut engine.acl.log, entry, max);
}

/// AUTH / HELLO AUTH: checks the credentials and, when good, makes `user`
/// the client's user; a failure is logged (Redis's ACLAuthenticateUser).
/// `argv0` is the command as the client typed it.
pub fn authenticate(
    engine: &mut Engine,
    id: ClientId,
    user: &[u8],
    pass: &[u8],
    argv0: &[u8],
) -> bool {
    let ok = engine.acl.user(user).is_some_and(|u| u.password_ok(pass));
    if ok {
        if let Some(c) = engine.clients.get_mut(&id) {
            c.authenticated = true;
            c.user = String::from_utf8_lossy(user).into_owned();
        }
    } else {
        let context = log_context(engine, id);
        add_log_entry(engine, id, log::Reason::Auth, context, argv0, user);
    }
    ok
}

/// The user a client runs as (a deleted user's clients fall back to default).
fn client_user(engine: &Engine, id: ClientId) -> &User {
    engine
        .clients
        .get(&id)
        .and_then(|c| engine.acl.user(c.user.as_bytes()))
        .unwrap_or_else(|| engine.acl.default_user())
}

/// The dispatch's permission check (after NOAUTH, in Redis's order): Err is
/// the NOPERM error to reply, already logged.
pub fn check_command(
    engine: &mut Engine,
    id: ClientId,
    cmd: &Command,
    argv: &[Bytes],
) -> Result<(), CmdError> {
    let user = client_user(engine, id);
    let denial = match check::check_user(&engine.acl.universe, user, cmd, argv) {
        Ok(()) => return Ok(()),
        Err(d) => d,
    };
    let username = user.name.clone();
    let context = log_context(engine, id);
    let (reason, object, err) = match denial {
        Denial::Command => (
            log::Reason::Command,
            cmd.full_name.as_bytes(),
            format!(
                "NOPERM this user has no permissions to run the '{}' command",
                cmd.full_name
            ),
        ),
        Denial::Key(pos) => (
            log::Reason::Key,
            &argv[pos][..],
            "NOPERM this user has no permissions to access one of the keys used as arguments"
                .to_string(),
        ),
        Denial::Channel(pos) => (
            log::Reason::Channel,
            &argv[pos][..],
            "NOPERM this user has no permissions to access one of the channels used as \
             arguments"
                .to_string(),
        ),
    };
    add_log_entry(engine, id, reason, context, object, &username);
    Err(CmdError::other(err))
}

/// The reason EXEC gives for a queued command the ACL now refuses (Redis
/// re-checks at EXEC time); `None` when it is allowed. The denial is logged
/// with the `multi` context.
pub fn exec_time_refusal(
    engine: &mut Engine,
    id: ClientId,
    cmd: &Command,
    argv: &[Bytes],
) -> Option<CmdError> {
    if engine.acl.unrestricted {
        return None;
    }
    let user = client_user(engine, id);
    let denial = check::check_user(&engine.acl.universe, user, cmd, argv).err()?;
    let username = user.name.clone();
    let (reason, object, why) = match denial {
        Denial::Command => (
            log::Reason::Command,
            cmd.full_name.as_bytes(),
            "no permission to execute the command or subcommand",
        ),
        Denial::Key(pos) => (
            log::Reason::Key,
            &argv[pos][..],
            "no permission to touch the specified keys",
        ),
        Denial::Channel(pos) => (
            log::Reason::Channel,
            &argv[pos][..],
            "no permission to access one of the channels used as arguments",
        ),
    };
    add_log_entry(engine, id, reason, log::Context::Multi, object, &username);
    Some(CmdError::other(format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    )))
}

/// SORT's question before following BY/GET patterns: may the client's user
/// read any key with this command? When not, Redis refuses with `BY option
/// of SORT denied due to insufficient ACL permissions.` (or `GET option`).
pub fn client_reads_any_key(engine: &Engine, id: ClientId, cmd: &Command, argv: &[Bytes]) -> bool {
    engine.acl.unrestricted || {
        let user = client_user(engine, id);
        check::unrestricted_key_access(&engine.acl.universe, user, cmd, argv, selector::KEY_READ)
    }
}

/// True for a loopback peer (`127.0.0.1`, `::1`, exactly, as Redis's
/// connIsLocal compares them), a unix socket or an in-process client.
pub fn client_is_local(engine: &Engine, id: ClientId) -> bool {
    engine
        .clients
        .get(&id)
        .is_some_and(|c| c.is_local || c.loopback)
}

/// Whether an address string (`ip:port`, `[ip6]:port`) is Redis-local.
pub fn addr_is_loopback(addr: &str) -> bool {
    addr.starts_with("127.0.0.1:") || addr.starts_with("[::1]:")
}

/// DEBUG and MODULE while `enable-debug-command` / `enable-module-command`
/// forbid them: refused before authentication, as Redis does.
pub fn protected_command_refusal(engine: &Engine, id: ClientId, cmd: &Command) -> Option<CmdError> {
    let (setting, upper, option) = match cmd.name {
        "debug" => (
            &engine.config.enable_debug_command,
            "DEBUG",
            "enable-debug-command",
        ),
        // MODULE LOAD, LOADEX and UNLOAD (LIST and HELP are open).
        _ if cmd.has(crate::command::flags::PROTECTED) && cmd.full_name.starts_with("module|") => (
            &engine.config.enable_module_command,
            "MODULE",
            "enable-module-command",
        ),
        _ => return None,
    };
    let allowed = setting == "yes" || (setting == "local" && client_is_local(engine, id));
    (!allowed).then(|| {
        CmdError::err(format!(
            "{upper} command not allowed. If the {option} option is set to \"local\", you can \
             run it from a local connection, otherwise you need to set this option in the \
             configuration file, and then restart the server."
        ))
    })
}

/// Sent to a non-local client when protected mode is on and the default
/// user has no password; the connection is then closed.
pub const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because \
    protected mode is enabled and no password is set for the default user. In this mode \
    connections are only accepted from the loopback interface. If you want to connect from \
    external computers to Redis you may adopt one of the following solutions: 1) Just disable \
    protected mode sending the command 'CONFIG SET protected-mode no' from the loopback \
    interface by connecting to Redis from the same host the server is running, however MAKE \
    SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to \
    make this change permanent. 2) Alternatively you can just disable the protected mode by \
    editing the Redis configuration file, and setting the protected mode option to 'no', and \
    then restarting the server. 3) If you started the server manually just for testing, \
    restart it with the '--protected-mode no' option. 4) Setup a an authentication password \
    for the default user. NOTE: You only need to do one of the above things in order for the \
    server to start accepting connections from the outside.\r\n";

/// Protected mode's decision for a new connection (Redis's
/// clientAcceptHandler): refuse non-local clients while `protected-mode` is
/// on and the default user is `nopass`.
pub fn protected_mode_refuses(engine: &Engine, local: bool) -> bool {
    engine.config.protected_mode && engine.acl.default_user().nopass() && !local
}

/// CONFIG SET requirepass (and config loading): the default user follows.
pub fn requirepass_changed(engine: &mut Engine) {
    let pass = engine.config.requirepass.clone();
    engine.acl.set_default_password(&pass);
    engine.acl.refresh();
}

/// Closes every client authenticated as `name` (its user was deleted or
/// replaced): the caller itself after its reply, the others at once.
pub fn kill_user_clients(engine: &mut Engine, name: &[u8], caller: ClientId) {
    for c in engine.clients.values_mut() {
        if c.user.as_bytes() == name {
            c.user = "default".to_string();
            c.authenticated = false;
            if c.id == caller {
                c.close_after_reply = true;
            } else {
                c.killed = true;
                c.wake();
            }
        }
    }
}

/// After ACL SETUSER changed `old` into `new`: pub/sub clients of that user
/// whose subscriptions the new channel rules no longer allow are closed
/// (Redis's ACLKillPubsubClientsIfNeeded).
pub fn kill_pubsub_clients_if_needed(
    engine: &mut Engine,
    new: &User,
    old: &User,
    caller: ClientId,
) {
    if new.selectors.iter().any(|s| s.allchannels) {
        return;
    }
    let upcoming: Vec<&Vec<u8>> = new.selectors.iter().flat_map(|s| &s.channels).collect();
    // Losing allchannels is never a superset of the old rules.
    let kept = !old.selectors.iter().any(|s| s.allchannels)
        && old
            .selectors
            .iter()
            .flat_map(|s| &s.channels)
            .all(|c| upcoming.contains(&c));
    if kept {
        return;
    }
    let mut all = Selector::new(false, false);
    all.channels = upcoming.into_iter().cloned().collect();
    let mut doomed = Vec::new();
    for c in engine.clients.values() {
        if c.user.as_bytes() != &old.name[..] || c.subs.total() == 0 {
            continue;
        }
        let bad_pattern = c
            .subs
            .patterns
            .ordered()
            .iter()
            .any(|p| !check::channel_allowed(&all, p, true));
        let bad_channel = c
            .subs
            .channels
            .ordered()
            .iter()
            .chain(c.subs.shard.ordered().iter())
            .any(|ch| !check::channel_allowed(&all, ch, false));
        if bad_pattern || bad_channel {
            doomed.push(c.id);
        }
    }
    for id in doomed {
        if let Some(c) = engine.clients.get_mut(&id) {
            if id == caller {
                c.close_after_reply = true;
            } else {
                c.killed = true;
                c.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests;
