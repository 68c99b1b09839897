//! Users from outside: `user` lines of the config file (checked while the
//! file is read, loaded when the engine is built), the `aclfile` (ACL LOAD,
//! ACL SAVE, startup), with Redis's error texts.

use super::selector::has_spaces;
use super::universe::Universe;
use super::{merge_selector_args, Acl, SetError, User};
use crate::command::TableBuilder;
use crate::config::Config;
use std::collections::BTreeMap;
use std::io::Write;

/// The universe of Redis's own commands, for checking rules before the
/// engine (and its table) exists.
fn redis_universe() -> Universe {
    Universe::new(&TableBuilder::new().build())
}

/// Checks a config-file `user <name> <rules...>` line (Redis's
/// ACLAppendUserForLoading) and returns the user as stored for loading
/// (name, then the rules with selectors merged). `earlier` holds the users
/// declared before. Unknown commands are accepted here and refused at load.
pub fn check_config_user(
    args: &[Vec<u8>],
    earlier: &[Vec<Vec<u8>>],
) -> Result<Vec<Vec<u8>>, String> {
    // Redis prints argv[index of the bad rule among the rules] of the whole
    // line (`user` being argv[0]), not the rule itself.
    let shown = |i: usize| match i {
        0 => "user".to_string(),
        i => String::from_utf8_lossy(args.get(i - 1).map_or(&b""[..], |a| a)).into_owned(),
    };
    let fail =
        |i: usize, e: SetError| format!("Error in user declaration '{}': {}", shown(i), e.text());
    let Some(name) = args.first() else {
        return Err(fail(0, SetError::Syntax));
    };
    if earlier.iter().any(|u| u.first() == Some(name)) {
        return Err(fail(1, SetError::Duplicate));
    }
    let rules = merge_selector_args(&args[1..]).map_err(|i| fail(i, SetError::Syntax))?;
    let universe = redis_universe();
    let mut fake = User::new(b"__fakeuser:0__", false);
    for (j, r) in rules.iter().enumerate() {
        match fake.apply(&universe, r, false) {
            Ok(()) | Err(SetError::UnknownCommand) => {}
            Err(e) => return Err(fail(j, e)),
        }
    }
    let mut stored = vec![name.clone()];
    stored.extend(rules);
    Ok(stored)
}

/// Loads the configured users, or the ACL file, when the engine is built
/// (Redis's ACLLoadUsersAtStartup). Err is the log text of a fatal error.
pub fn load_at_startup(acl: &mut Acl, config: &Config) -> Result<(), String> {
    if !config.aclfile.is_empty() && !config.acl_users.is_empty() {
        return Err(
            "Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to \
                    configuration errors and security holes, please define either an ACL file \
                    or declare users directly in your redis.conf, but not both."
                .into(),
        );
    }
    let pubsub_all = config.acl_pubsub_default == "allchannels";
    let universe = acl.universe.clone();
    for def in &config.acl_users {
        let name = &def[0];
        if has_spaces(name) {
            return Err(
                "Spaces not allowed in ACL usernames\nCritical error while loading ACLs. Exiting."
                    .into(),
            );
        }
        let user = acl
            .users
            .entry(name.clone())
            .or_insert_with(|| User::new(name, pubsub_all));
        if &name[..] == b"default" {
            let _ = user.apply(&universe, b"reset", pubsub_all);
        }
        for rule in &def[1..] {
            if let Err(e) = user.apply(&universe, rule, pubsub_all) {
                return Err(format!(
                    "Error loading ACL rule '{}' for the user named '{}': {}\nCritical error \
                     while loading ACLs. Exiting.",
                    String::from_utf8_lossy(rule),
                    String::from_utf8_lossy(name),
                    e.text()
                ));
            }
        }
    }
    if !config.aclfile.is_empty() {
        load_file(acl, &config.aclfile, pubsub_all)
            .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
    }
    Ok(())
}

/// strerror()'s text for an I/O error.
fn os_error_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        // SAFETY: strerror returns a pointer to a static, NUL-terminated string.
        Some(code) => unsafe { std::ffi::CStr::from_ptr(libc::strerror(code)) }
            .to_string_lossy()
            .into_owned(),
        None => e.to_string(),
    }
}

/// ACL LOAD: replaces every user with those of `path`, or changes nothing
/// and returns Redis's one-line list of problems. On success returns the
/// names of the users that were replaced (their clients must go).
pub fn load_file(acl: &mut Acl, path: &str, pubsub_all: bool) -> Result<Vec<Vec<u8>>, String> {
    let content = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            os_error_text(&e)
        )
    })?;
    let universe = acl.universe.clone();
    let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in content.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if has_spaces(name) {
            errors.push_str(&format!(
                "'{path}:{linenum}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name, pubsub_all);
        match merge_selector_args(&argv[2..]) {
            Err(_) => errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            )),
            Ok(rules) => {
                for r in rules {
                    let r = trim(&r, b"\t\r\n");
                    if let Err(e) = user.apply(&universe, r, pubsub_all) {
                        errors.push_str(&format!("{path}:{linenum}: {}. ", e.text()));
                    }
                }
            }
        }
        users.insert(name.clone(), user);
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        return Err(errors);
    }
    if !users.contains_key(&b"default"[..]) {
        users.insert(b"default".to_vec(), acl.default_template());
    }
    let replaced = acl
        .users
        .keys()
        .filter(|n| &n[..] != b"default")
        .cloned()
        .collect();
    acl.users = users;
    acl.refresh();
    Ok(replaced)
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// ACL SAVE: writes every user to `path` through a temporary file.
pub fn save_file(acl: &Acl, path: &str, now_ms: i64) -> std::io::Result<()> {
    let mut content = Vec::new();
    for line in acl.user_lines() {
        content.extend_from_slice(&line);
        content.push(b'\n');
    }
    let tmp = format!("{path}.tmp-{}-{now_ms}", std::process::id());
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&content)?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Names a `rename-command` line may refer to: Redis's commands and Ember's.
pub fn known_command_names() -> std::collections::HashSet<Vec<u8>> {
    let mut names: std::collections::HashSet<Vec<u8>> = crate::command_docs::names()
        .filter(|n| !n.contains('|'))
        .map(|n| n.as_bytes().to_vec())
        .collect();
    names.extend(
        crate::cmd::all_commands()
            .iter()
            .map(|c| c.name.as_bytes().to_vec()),
    );
    names
}

/// Checks a `rename-command <from> <to>` line against the names known so far
/// (which it then updates), with Redis's config errors. `to` empty disables.
pub fn check_rename(
    known: &mut std::collections::HashSet<Vec<u8>>,
    from: &[u8],
    to: &[u8],
) -> Result<(), &'static str> {
    let from = from.to_ascii_lowercase();
    if !known.remove(&from) {
        return Err("No such command in rename-command");
    }
    if !to.is_empty() && !known.insert(to.to_ascii_lowercase()) {
        known.insert(from);
        return Err("Target command name already exists");
    }
    Ok(())
}
