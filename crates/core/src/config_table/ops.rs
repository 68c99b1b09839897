//! The operations over the table: atomic CONFIG SET, glob CONFIG GET and
//! config-file directives.

use super::*;
use crate::config::Config;

/// Validation CONFIG SET does after setting (Redis's apply functions) for what
/// Ember cannot do: bind addresses must be addresses, TLS cannot be turned on.
fn apply_check(p: &Param, c: &Config) -> Result<(), String> {
    const TLS_ERR: &str = "Unable to update TLS configuration. Check server logs.";
    match p.name {
        "maxclients" => {
            if let Some(can) = adjust_open_files_limit(c.maxclients) {
                return Err(format!(
                    "The operating system is not able to handle the specified number of \
                     clients, try with {can}"
                ));
            }
        }
        "bind" => {
            let ok = c.bind.iter().all(|a| {
                let a = a.strip_prefix('-').unwrap_or(a);
                a == "*" || a == "::*" || a.parse::<std::net::IpAddr>().is_ok()
            });
            if !ok {
                return Err("Failed to bind to specified addresses.".into());
            }
        }
        "tls-port" => return Err(TLS_ERR.into()),
        n if n.starts_with("tls-") && n != "tls-auth-clients" => {
            let on = |name: &str| lookup(name.as_bytes()).is_some_and(|(q, _)| q.get_bool(c));
            if on("tls-replication") || on("tls-cluster") {
                return Err(TLS_ERR.into());
            }
        }
        _ => {}
    }
    Ok(())
}

/// Descriptors Redis keeps for itself beyond `maxclients`.
const RESERVED_FDS: u64 = 32;

/// Redis's adjustOpenFilesLimit: raises the process's open-files limit to make
/// room for `maxclients` clients, by steps of 16 down from what is needed.
/// Returns the number of clients the process can serve when that is fewer.
/// The server crate should call it at startup too. Unlike Redis it never
/// lowers the hard limit.
pub fn adjust_open_files_limit(maxclients: u64) -> Option<u64> {
    let wanted = maxclients.saturating_add(RESERVED_FDS);
    // SAFETY: getrlimit/setrlimit only read and write the struct we own.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == -1 {
        return Some(1024 - RESERVED_FDS).filter(|can| *can < maxclients);
    }
    let old = lim.rlim_cur as u64;
    if old >= wanted {
        return None;
    }
    let mut best = wanted;
    while best > old {
        let try_lim = libc::rlimit {
            rlim_cur: best as libc::rlim_t,
            rlim_max: lim.rlim_max.max(best as libc::rlim_t),
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &try_lim) } != -1 {
            break;
        }
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    let best = best.max(old);
    (best < wanted).then(|| best.saturating_sub(RESERVED_FDS))
}

/// Splits a CONFIG SET value into a MULTI_ARG parameter's arguments (Redis's
/// sdssplitlen on single spaces: "" gives none, "a  b" gives an empty middle).
fn split_value(v: &str) -> Vec<String> {
    if v.is_empty() {
        Vec::new()
    } else {
        v.split(' ').map(str::to_string).collect()
    }
}

/// Error replies never contain CR or LF (Redis replaces them with spaces).
fn clean(s: &[u8]) -> String {
    String::from_utf8_lossy(s).replace(['\r', '\n'], " ")
}

/// The error of a CONFIG SET refused because a DENY_LOADING parameter was
/// named while the dataset loads (the whole reply, no `ERR `).
pub const LOADING_REFUSED: &str = "LOADING Redis is loading the dataset in memory";

/// CONFIG SET of one or more (name, value) pairs, atomically: either every
/// value is set or none. `protected_ok`: the client may set PROTECTED
/// parameters (`enable-protected-configs`); `loading`: the dataset loads, so
/// DENY_LOADING ones are refused ([`LOADING_REFUSED`], which takes precedence
/// as in Redis). Other errors are Redis's texts without the leading `ERR `.
pub fn config_set(
    config: &mut Config,
    pairs: &[(&[u8], &[u8])],
    protected_ok: bool,
    loading: bool,
) -> Result<(), String> {
    let mut chosen: Vec<(&'static Param, &'static str, String)> = Vec::new();
    let mut unknown: Option<String> = None;
    let mut failure: Option<(String, &'static str)> = None;
    let mut refused_loading = false;
    for (name, value) in pairs {
        let Some((p, reg)) = lookup(name) else {
            if unknown.is_none() && failure.is_none() {
                unknown = Some(clean(name));
            }
            continue;
        };
        if unknown.is_some() || failure.is_some() || refused_loading {
            continue;
        }
        if p.flags & IMMUTABLE != 0 {
            failure = Some((clean(name), "can't set immutable config"));
            continue;
        }
        if p.flags & PROTECTED != 0 && !protected_ok {
            failure = Some((clean(name), "can't set protected config"));
            continue;
        }
        if loading && p.flags & DENY_LOADING != 0 {
            refused_loading = true;
            continue;
        }
        if chosen.iter().any(|(q, _, _)| std::ptr::eq(*q, p)) {
            failure = Some((clean(name), "duplicate parameter"));
            continue;
        }
        chosen.push((p, reg, String::from_utf8_lossy(value).into_owned()));
    }
    if refused_loading {
        return Err(LOADING_REFUSED.to_string());
    }
    if let Some(name) = unknown {
        return Err(format!(
            "Unknown option or number of arguments for CONFIG SET - '{name}'"
        ));
    }
    if let Some((name, why)) = failure {
        return Err(format!(
            "CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ));
    }
    let mut next = config.clone();
    let mut changed = Vec::new();
    for (p, reg, value) in &chosen {
        let args = if p.flags & MULTI_ARG != 0 {
            split_value(value)
        } else {
            vec![value.clone()]
        };
        let before = p.get(&next);
        p.set(&mut next, &args, false).map_err(|why| {
            format!(
                "CONFIG SET failed (possibly related to argument '{reg}') - {}",
                clean(why.as_bytes())
            )
        })?;
        if p.get(&next) != before {
            changed.push((*p, *reg));
        }
    }
    for (p, reg) in changed {
        apply_check(p, &next).map_err(|why| {
            format!("CONFIG SET failed (possibly related to argument '{reg}') - {why}")
        })?;
    }
    *config = next;
    Ok(())
}

/// Applies one config-file directive (or `--name value` command-line option):
/// `name` and its arguments as Redis's sdssplitargs splits the line. Returns
/// the message Redis prints for a fatal config error. The server crate handles
/// `include`, `rename-command`, `user`, `loadmodule` and `sentinel` itself
/// before calling this; anything else unknown is "Bad directive ...".
pub fn apply_directive(config: &mut Config, name: &str, args: &[Vec<u8>]) -> Result<(), String> {
    let lname = name.to_ascii_lowercase();
    if let Some((p, _)) = lookup(lname.as_bytes()) {
        if p.flags & MULTI_ARG == 0 && args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        let mut args: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        // Like Redis, a multi-argument parameter given one non-empty argument
        // (`--save "900 1"`) has it split again with the config-line rules.
        if p.flags & MULTI_ARG != 0 && args.len() == 1 && !args[0].is_empty() {
            args = crate::config_rewrite::split_args(args[0].as_bytes())
                .unwrap_or_default()
                .into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect();
        }
        return p.set(config, &args, true);
    }
    if DEPRECATED.contains(&lname.as_str()) && args.len() == 1 {
        return Ok(());
    }
    Err("Bad directive or wrong number of arguments".into())
}

/// Redis's case-insensitive glob (`stringmatchlen` with nocase).
fn glob(pattern: &[u8], string: &[u8]) -> bool {
    crate::glob::glob_match(pattern, string, true)
}

/// CONFIG GET: the (name, value) pairs matching any pattern. A pattern without
/// `*?[` is an exact name (hidden parameters included) reported as typed; a
/// glob matches registered names and aliases. Each parameter name appears once.
pub fn config_get(config: &Config, patterns: &[&[u8]]) -> Vec<(String, String)> {
    let mut found: Vec<(String, &'static Param)> = Vec::new();
    let seen = |found: &Vec<(String, &Param)>, n: &[u8]| {
        found
            .iter()
            .any(|(k, _)| k.as_bytes().eq_ignore_ascii_case(n))
    };
    for pat in patterns {
        if !pat.iter().any(|c| b"[*?".contains(c)) {
            if seen(&found, pat) {
                continue;
            }
            if let Some((p, _)) = lookup(pat) {
                found.push((String::from_utf8_lossy(pat).into_owned(), p));
            }
            continue;
        }
        for (name, p) in registered() {
            if p.flags & HIDDEN != 0 || seen(&found, name.as_bytes()) {
                continue;
            }
            if glob(pat, name.as_bytes()) {
                found.push((name.to_string(), p));
            }
        }
    }
    found
        .into_iter()
        .map(|(k, p)| {
            let v = p.get(config);
            (k, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directive(c: &mut Config, line: &str) -> Result<(), String> {
        let mut words = line.split(' ');
        let name = words.next().unwrap();
        let args: Vec<Vec<u8>> = words.map(|w| w.as_bytes().to_vec()).collect();
        apply_directive(c, name, &args)
    }

    /// Messages checked against `redis-server` started with bad config files.
    #[test]
    fn directive_errors_match_redis() {
        let mut c = Config::default();
        let cases = [
            ("hz abc", "argument couldn't be parsed into an integer"),
            ("hz 1 2", "wrong number of arguments"),
            ("foo bar", "Bad directive or wrong number of arguments"),
            ("maxmemory 1zb", "argument must be a memory value"),
            ("save 1", "Invalid save parameters"),
            ("port", "wrong number of arguments"),
            ("appendonly maybe", "argument must be 'yes' or 'no'"),
            (
                "loglevel loud",
                "argument(s) must be one of the following: debug, verbose, notice, warning",
            ),
            (
                "list-max-ziplist-entries 5 6",
                "Bad directive or wrong number of arguments",
            ),
            ("replicaof 1.2.3.4", "wrong number of arguments"),
            ("replicaof 1.2.3.4 99999", "Invalid master port"),
            (
                "client-output-buffer-limit normal 1 2",
                "Wrong number of arguments in buffer limit configuration.",
            ),
            ("dir /nonexistent-ember-dir", "No such file or directory"),
            ("notify-keyspace-events", "wrong number of arguments"),
            ("notify-keyspace-events a b", "wrong number of arguments"),
            (
                "unixsocketperm 999",
                "argument couldn't be parsed as an octal number",
            ),
            (
                "unixsocketperm abc",
                "argument couldn't be parsed as an octal number",
            ),
            (
                "unixsocketperm 1000",
                "argument must be between 0 and 777 inclusive",
            ),
            ("include", "Bad directive or wrong number of arguments"),
        ];
        for (line, msg) in cases {
            assert_eq!(directive(&mut c, line), Err(msg.to_string()), "{line}");
        }
    }

    #[test]
    fn directives_set_typed_fields() {
        let mut c = Config::default();
        for line in [
            "HZ 0",
            "list-max-ziplist-entries 5",
            "slave-priority 5",
            "unixsocketperm 777",
            "bind 127.0.0.1 ::1",
            "databases 4",
            "daemonize yes",
            "replicaof 10.0.0.1 6380",
            "notify-keyspace-events Ex",
            "maxmemory 2gb",
            "enable-debug-command local",
            "shutdown-on-sigterm now force",
        ] {
            directive(&mut c, line).unwrap();
        }
        assert_eq!(c.hz, 1);
        assert_eq!(c.replica_priority, 5);
        assert_eq!(c.unixsocketperm, 0o777);
        assert_eq!(c.bind, ["127.0.0.1", "::1"]);
        assert_eq!(c.databases, 4);
        assert!(c.daemonize);
        assert_eq!(c.replicaof, Some(("10.0.0.1".into(), 6380)));
        assert_eq!(c.maxmemory, 2 << 30);
        assert_eq!(c.enable_debug_command, "local");
        assert_eq!(c.shutdown_on_sigterm, 4 | 8);
        assert_eq!(c.get("notify-keyspace-events").unwrap(), "xE");
        assert_eq!(c.get("unixsocketperm").unwrap(), "777");
        assert_eq!(c.get("slaveof").unwrap(), "10.0.0.1 6380");
        assert_eq!(c.get("shutdown-on-sigterm").unwrap(), "now force");
        directive(&mut c, "bind").unwrap();
        assert!(c.bind.is_empty());
    }

    /// The first `save` line of a file replaces the defaults, later ones add;
    /// `save ""` clears.
    #[test]
    fn save_directives_accumulate() {
        let mut c = Config::default();
        directive(&mut c, "save 900 1").unwrap();
        directive(&mut c, "save 300 10").unwrap();
        assert_eq!(c.get("save").unwrap(), "900 1 300 10");
        apply_directive(&mut c, "save", &[Vec::new()]).unwrap();
        assert_eq!(c.get("save").unwrap(), "");
        directive(&mut c, "save 60 5").unwrap();
        assert_eq!(c.get("save").unwrap(), "60 5");
        assert_eq!(
            Config::default().get("save").unwrap(),
            "3600 1 300 100 60 10000"
        );
    }

    #[test]
    fn numbers_memory_and_percent() {
        assert_eq!(memtoull("1gb"), Some(1 << 30));
        assert_eq!(memtoull("1G"), Some(1_000_000_000));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("99999999999999999999"), Some(u64::MAX));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull(" 5"), None);
        assert_eq!(memtoull("5kbb"), None);
        let mut c = Config::default();
        config_set(&mut c, &[(b"maxmemory-clients", b"5%")], true, false).unwrap();
        assert_eq!(c.maxmemory_clients, -5);
        assert_eq!(c.get("maxmemory-clients").unwrap(), "5%");
        assert_eq!(
            config_set(&mut c, &[(b"maxmemory-clients", b"101%")], true, false),
            Err(
                "CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
                 percentage argument must be less or equal to 100"
                    .into()
            )
        );
        config_set(
            &mut c,
            &[(b"maxmemory", b"99999999999999999999")],
            true,
            false,
        )
        .unwrap();
        assert_eq!(c.maxmemory, u64::MAX);
        assert_eq!(c.get("maxmemory").unwrap(), "18446744073709551615");
    }

    #[test]
    fn glob_like_stringmatch() {
        let g = |p: &str, s: &str| glob(p.as_bytes(), s.as_bytes());
        assert!(g("*", "maxmemory"));
        assert!(g("MAX*", "maxmemory"));
        assert!(g("*mem*y", "maxmemory"));
        assert!(g("h?", "hz"));
        assert!(g("[a-c]*", "bind"));
        assert!(g("[^a-c]*", "dir"));
        assert!(!g("[^a-c]*", "bind"));
        assert!(g("[c-a]ind", "bind"));
        assert!(g("a\\*b", "a*b"));
        assert!(!g("a\\*b", "axb"));
        assert!(!g("x[", "x"));
        assert!(g("h[z", "hz"));
        assert!(!g("hz?", "hz"));
    }

    #[test]
    fn every_default_round_trips() {
        // Setting each parameter to what CONFIG GET shows changes nothing.
        let c = Config::default();
        for p in PARAMS {
            if p.flags & IMMUTABLE != 0 {
                continue;
            }
            let mut d = c.clone();
            let v = p.get(&c);
            config_set(&mut d, &[(p.name.as_bytes(), v.as_bytes())], true, false)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(p.get(&d), v, "{}", p.name);
        }
    }

    /// While loading, `dir` and `appendonly` are refused with LOADING (first
    /// in precedence, as Redis's deny_loading_error), other names as usual.
    #[test]
    fn deny_loading_parameters() {
        let mut c = Config::default();
        let set = |c: &mut Config, pairs: &[(&[u8], &[u8])]| config_set(c, pairs, true, true);
        assert_eq!(set(&mut c, &[(b"loglevel", b"debug")]), Ok(()));
        assert_eq!(
            set(&mut c, &[(b"dir", b"/tmp")]),
            Err(LOADING_REFUSED.into())
        );
        assert_eq!(
            set(&mut c, &[(b"appendonly", b"yes")]),
            Err(LOADING_REFUSED.into())
        );
        assert_eq!(
            set(&mut c, &[(b"dir", b"/tmp"), (b"nosuch", b"1")]),
            Err(LOADING_REFUSED.into())
        );
        assert!(set(&mut c, &[(b"nosuch", b"1"), (b"dir", b"/tmp")])
            .unwrap_err()
            .starts_with("Unknown option"));
        assert!(!c.appendonly);
        assert_eq!(
            config_set(&mut c, &[(b"appendonly", b"yes")], true, false),
            Ok(())
        );
    }
}
