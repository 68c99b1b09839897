//! Reading, parsing and formatting parameter values with Redis's rules and
//! error texts: validators, numbers (memory units, percentages, octal), enums
//! and the special parameters (`save`, `client-output-buffer-limit` ...).

use super::*;
use crate::config::{Config, ObufLimit};
use crate::events::classes;

// ---------------------------------------------------------------------------
// Validators with Redis's messages.

pub(crate) fn check_activedefrag(v: bool) -> Result<(), &'static str> {
    if v {
        return Err(
            "Active defragmentation cannot be enabled: it requires a Redis server \
                    compiled with a modified Jemalloc like the one shipped by default with \
                    the Redis source distribution",
        );
    }
    Ok(())
}

fn is_base_name(s: &str) -> bool {
    !s.contains('/') && !s.contains('\\')
}

pub(crate) fn check_dbfilename(s: &str) -> Result<(), &'static str> {
    if !is_base_name(s) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

pub(crate) fn check_aof_filename(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(s) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

pub(crate) fn check_aof_dirname(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(s) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

pub(crate) fn check_hostname(s: &str) -> Result<(), &'static str> {
    if s.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}

/// Redis expands the template with an empty title and rejects unknown
/// variables, unbalanced braces and templates that expand to nothing.
pub(crate) fn check_proc_title(s: &str) -> Result<(), &'static str> {
    const BAD: &str = "template format is invalid or contains unknown variables";
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(BAD);
        }
        if let Some(r) = after.strip_prefix('{') {
            out.push('{');
            rest = r;
            continue;
        }
        let close = after.find('}').ok_or(BAD)?;
        out.push_str(match &after[..close] {
            "title" | "server-mode" | "unixsocket" => "",
            "listen-addr" | "port" | "tls-port" | "config-file" => "x",
            _ => return Err(BAD),
        });
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if out.trim_matches(' ').is_empty() {
        return Err(BAD);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Number parsing as Redis does it.

/// Redis's `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb, any
/// case); overflow saturates like strtoull and the unit multiplication wraps.
pub fn memtoull(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.first() == Some(&b'-') {
        return None;
    }
    let end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    let mul: u64 = match s[end..].to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    if end >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &b[..end] {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((c - b'0') as u64))
        {
            Some(x) => v = x,
            None => {
                v = u64::MAX;
                break;
            }
        }
    }
    Some(v.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` requiring `*end == '\0'`: leading whitespace and a
/// sign are allowed, an empty string is 0, overflow saturates (`Err` when the
/// caller checks errno, i.e. `strict_range`).
pub fn strtoll_full(s: &str, base: u32, strict_range: bool) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        // No conversion: strtoll leaves end at the start of the string.
        return if s.is_empty() { Some(0) } else { None };
    }
    let mut v: i128 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let d = c.to_digit(base)? as i128;
        v = v * base as i128 + d;
        if v > i64::MAX as i128 + 1 {
            overflow = true;
            v = i64::MAX as i128 + 1;
        }
    }
    let v = if neg { -v } else { v };
    if v > i64::MAX as i128 || v < i64::MIN as i128 || overflow {
        if strict_range {
            return None;
        }
        return Some(if neg { i64::MIN } else { i64::MAX });
    }
    Some(v as i64)
}

fn parse_number(s: &str, fmt: NumFmt) -> Result<i64, &'static str> {
    match fmt {
        NumFmt::Memory | NumFmt::MemoryPercent => {
            if let Some(v) = memtoull(s) {
                return Ok(v as i64);
            }
            if fmt == NumFmt::MemoryPercent && s.len() > 1 && s.ends_with('%') {
                if let Some(v) = ember_resp::num::parse_i64(&s.as_bytes()[..s.len() - 1]) {
                    if v >= 0 {
                        return Ok(-v);
                    }
                }
            }
            Err(if fmt == NumFmt::Memory {
                "argument must be a memory value"
            } else {
                "argument must be a memory or percent value"
            })
        }
        NumFmt::Octal => {
            strtoll_full(s, 8, true).ok_or("argument couldn't be parsed as an octal number")
        }
        NumFmt::Int => ember_resp::num::parse_i64(s.as_bytes())
            .ok_or("argument couldn't be parsed into an integer"),
    }
}

pub(crate) fn check_bounds(
    v: i64,
    unsigned: bool,
    min: i64,
    max: i64,
    fmt: NumFmt,
) -> Result<(), String> {
    if unsigned {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            });
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if v > max || v < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(())
}

/// How CONFIG GET prints a number.
pub fn format_number(v: i64, fmt: NumFmt) -> String {
    match fmt {
        NumFmt::MemoryPercent if v < 0 => format!("{}%", -(v as i128)),
        NumFmt::Memory | NumFmt::MemoryPercent => (v as u64).to_string(),
        NumFmt::Octal => format!("{v:o}"),
        NumFmt::Int => v.to_string(),
    }
}

/// Redis's `yesnotoi`.
fn yes_no(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

fn enum_error(values: &[(&str, u32)]) -> String {
    let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    let mut s = format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    );
    s.truncate(255); // Redis formats into a 256-byte buffer.
    s
}

/// The name CONFIG GET shows for an enum value.
pub fn enum_name(values: &[(&'static str, u32)], v: u32, multi: bool) -> String {
    if let Some((n, _)) = values.iter().find(|(_, id)| *id == v) {
        return n.to_string();
    }
    if multi {
        let names: Vec<&str> = values
            .iter()
            .filter(|(_, id)| *id != 0 && v & id == *id)
            .map(|(n, _)| *n)
            .collect();
        return names.join(" ");
    }
    "unknown".into()
}

// ---------------------------------------------------------------------------
// Reading and writing values.

impl Param {
    /// True for the parameter's own name or alias matched case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    }

    fn stored<'c>(&self, c: &'c Config) -> Option<&'c ParamValue> {
        c.params.get(self.name)
    }

    pub fn get_bool(&self, c: &Config) -> bool {
        match (&self.access, &self.kind) {
            (Access::Bool(g, _), _) => g(c),
            (_, Kind::Bool { default, .. }) => match self.stored(c) {
                Some(ParamValue::Bool(b)) => *b,
                _ => *default,
            },
            _ => false,
        }
    }

    pub fn get_num(&self, c: &Config) -> i64 {
        match (&self.access, &self.kind) {
            (Access::Num(g, _), _) => g(c),
            (_, Kind::Num { default, .. }) => match self.stored(c) {
                Some(ParamValue::Num(n)) => *n,
                _ => *default,
            },
            _ => 0,
        }
    }

    /// An enum's numeric id.
    pub fn get_enum(&self, c: &Config) -> u32 {
        let Kind::Enum {
            values, default, ..
        } = &self.kind
        else {
            return 0;
        };
        let by_name = |n: &str| {
            values
                .iter()
                .find(|(v, _)| v.eq_ignore_ascii_case(n))
                .map(|(_, id)| *id)
                .unwrap_or(*default)
        };
        match &self.access {
            Access::Str(g, _) => by_name(g(c)),
            Access::Flags(g, _) => g(c),
            _ => match self.stored(c) {
                Some(ParamValue::Str(s)) => by_name(s),
                Some(ParamValue::Flags(f)) => *f,
                _ => *default,
            },
        }
    }

    pub fn get_str(&self, c: &Config) -> String {
        match (&self.access, &self.kind) {
            (Access::Str(g, _), _) => g(c).to_string(),
            (_, Kind::Str { default, .. }) => match self.stored(c) {
                Some(ParamValue::Str(s)) => s.clone(),
                _ => default.to_string(),
            },
            _ => String::new(),
        }
    }

    /// The value as CONFIG GET answers it.
    pub fn get(&self, c: &Config) -> String {
        match &self.kind {
            Kind::Bool { .. } => if self.get_bool(c) { "yes" } else { "no" }.into(),
            Kind::Str { .. } => self.get_str(c),
            Kind::Enum { values, multi, .. } => enum_name(values, self.get_enum(c), *multi),
            Kind::Num { fmt, .. } => format_number(self.get_num(c), *fmt),
            Kind::Special(s) => special_get(*s, c),
        }
    }

    /// True when the value equals the default (CONFIG REWRITE's `force` test).
    pub fn is_default(&self, c: &Config) -> bool {
        match &self.kind {
            Kind::Bool { default, .. } => self.get_bool(c) == *default,
            Kind::Str { default, .. } => self.get_str(c) == *default,
            Kind::Enum { default, .. } => self.get_enum(c) == *default,
            Kind::Num { default, .. } => self.get_num(c) == *default,
            Kind::Special(_) => false,
        }
    }

    fn put(&self, c: &mut Config, v: ParamValue) {
        match (&self.access, v) {
            (Access::Bool(_, s), ParamValue::Bool(b)) => s(c, b),
            (Access::Str(_, s), ParamValue::Str(v)) => s(c, v),
            (Access::Num(_, s), ParamValue::Num(n)) => s(c, n),
            (Access::Flags(_, s), ParamValue::Flags(f)) => s(c, f),
            (_, v) => {
                if self.default_value() == v {
                    c.params.remove(self.name);
                } else {
                    c.params.insert(self.name, v);
                }
            }
        }
    }

    fn default_value(&self) -> ParamValue {
        match &self.kind {
            Kind::Bool { default, .. } => ParamValue::Bool(*default),
            Kind::Str { default, .. } => ParamValue::Str(default.to_string()),
            Kind::Enum {
                values,
                default,
                multi: false,
            } => ParamValue::Str(enum_name(values, *default, false)),
            Kind::Enum { default, .. } => ParamValue::Flags(*default),
            Kind::Num { default, .. } => ParamValue::Num(*default),
            Kind::Special(_) => ParamValue::Str(String::new()),
        }
    }

    /// Sets the parameter from its arguments (one unless MULTI_ARG) with Redis's
    /// validation; `from_file` selects config-file semantics where they differ.
    pub fn set(&self, c: &mut Config, args: &[String], from_file: bool) -> Result<(), String> {
        let one = || args.first().map(String::as_str).unwrap_or("");
        match &self.kind {
            Kind::Bool { check, .. } => {
                let v = yes_no(one()).ok_or("argument must be 'yes' or 'no'")?;
                if let Some(check) = check {
                    check(v)?;
                }
                self.put(c, ParamValue::Bool(v));
            }
            Kind::Str { check, .. } => {
                if let Some(check) = check {
                    check(one())?;
                }
                self.put(c, ParamValue::Str(one().to_string()));
            }
            Kind::Enum { values, multi, .. } => {
                if args.is_empty() || (!multi && args.len() != 1) {
                    return Err(enum_error(values));
                }
                let mut v = 0;
                for a in args {
                    let id = values
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(a))
                        .map(|(_, id)| *id)
                        .ok_or_else(|| enum_error(values))?;
                    v |= id;
                }
                if *multi {
                    if v & 1 != 0 && v & 2 != 0 {
                        return Err(
                            "shutdown options SAVE and NOSAVE can't be used simultaneously".into(),
                        );
                    }
                    self.put(c, ParamValue::Flags(v));
                } else {
                    self.put(c, ParamValue::Str(enum_name(values, v, false)));
                }
            }
            Kind::Num {
                unsigned,
                min,
                max,
                fmt,
                ..
            } => {
                let v = parse_number(one(), *fmt)?;
                check_bounds(v, *unsigned, *min, *max, *fmt)?;
                self.put(c, ParamValue::Num(v));
            }
            Kind::Special(s) => special_set(*s, c, args, from_file)?,
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Special parameters.

const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// Redis's `keyspaceEventsFlagsToString`.
pub fn notify_flags_to_string(f: u32) -> String {
    let mut s = String::new();
    if f & classes::ALL == classes::ALL {
        s.push('A');
    } else {
        for (bit, ch) in [
            (classes::GENERIC, 'g'),
            (classes::STRING, '$'),
            (classes::LIST, 'l'),
            (classes::SET, 's'),
            (classes::HASH, 'h'),
            (classes::ZSET, 'z'),
            (classes::EXPIRED, 'x'),
            (classes::EVICTED, 'e'),
            (classes::STREAM, 't'),
            (classes::MODULE, 'd'),
            (classes::NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(ch);
            }
        }
    }
    for (bit, ch) in [
        (classes::KEYSPACE, 'K'),
        (classes::KEYEVENT, 'E'),
        (classes::KEY_MISS, 'm'),
    ] {
        if f & bit != 0 {
            s.push(ch);
        }
    }
    s
}

/// `%f` then Redis's trimDoubleString (no trailing zeros or dot).
pub fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn special_get(s: Special, c: &Config) -> String {
    match s {
        Special::Dir => c.dir_absolute(),
        Special::Save => c
            .save
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(" "),
        Special::ClientOutputBufferLimit => c
            .client_output_buffer_limit
            .iter()
            .zip(OBUF_CLASSES)
            .map(|(l, n)| format!("{n} {} {} {}", l.hard_bytes, l.soft_bytes, l.soft_seconds))
            .collect::<Vec<_>>()
            .join(" "),
        Special::OomScoreAdjValues => {
            let v = oom_values(c);
            format!("{} {} {}", v[0], v[1], v[2])
        }
        Special::NotifyKeyspaceEvents => notify_flags_to_string(c.notify_keyspace_events),
        Special::Bind => c.bind.join(" "),
        Special::ReplicaOf => match &c.replicaof {
            Some((h, p)) => format!("{h} {p}"),
            None => String::new(),
        },
        Special::LatencyPercentiles => c
            .latency_tracking_info_percentiles
            .iter()
            .map(|v| format_percentile(*v))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

pub fn oom_values(c: &Config) -> [i64; 3] {
    let mut v = [0, 200, 800];
    if let Some(ParamValue::Str(s)) = c.params.get("oom-score-adj-values") {
        for (slot, n) in v.iter_mut().zip(s.split(' ')) {
            *slot = n.parse().unwrap_or(0);
        }
    }
    v
}

/// strerror() texts for the errors `dir` can meet.
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(2) => "No such file or directory".into(),
        Some(13) => "Permission denied".into(),
        Some(20) => "Not a directory".into(),
        Some(36) => "File name too long".into(),
        Some(40) => "Too many levels of symbolic links".into(),
        _ => e.to_string(),
    }
}

fn special_set(s: Special, c: &mut Config, args: &[String], from_file: bool) -> Result<(), String> {
    const WRONG_ARGS: &str = "wrong number of arguments";
    match s {
        Special::Dir => {
            if args.len() != 1 {
                return Err(WRONG_ARGS.into());
            }
            // Relative to the current dir, as chdir() would be.
            let base = std::path::PathBuf::from(c.dir_absolute());
            let path = base.join(&args[0]);
            let abs = std::fs::canonicalize(&path).map_err(|e| strerror(&e))?;
            if !abs.is_dir() {
                return Err("Not a directory".into());
            }
            c.dir = abs.to_string_lossy().into_owned();
        }
        Special::Save => {
            let mut args = args;
            if args.len() == 1 && args[0].is_empty() {
                c.save.clear();
                args = &[];
            }
            if args.len() % 2 == 1 {
                return Err("Invalid save parameters".into());
            }
            let mut vals = Vec::with_capacity(args.len());
            for (j, a) in args.iter().enumerate() {
                let v = strtoll_full(a, 10, false)
                    .filter(|v| if j % 2 == 0 { *v >= 1 } else { *v >= 0 })
                    .ok_or("Invalid save parameters")?;
                vals.push(v);
            }
            if !from_file {
                c.save.clear();
            } else if !c.save_loaded_from_file {
                c.save_loaded_from_file = true;
                c.save.clear();
            }
            for pair in vals.chunks(2) {
                c.save.push((pair[0], pair[1] as i32));
            }
        }
        Special::ClientOutputBufferLimit => {
            if !args.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut limits = c.client_output_buffer_limit;
            for g in args.chunks(4) {
                let class = match g[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => {
                        return Err(
                            "Invalid client class specified in buffer limit configuration.".into(),
                        )
                    }
                };
                let bad =
                    || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
                let hard = memtoull(&g[1]).ok_or_else(bad)?;
                let soft = memtoull(&g[2]).ok_or_else(bad)?;
                // `int soft_seconds = strtoll(...)`: truncated to int, then checked.
                let secs = strtoll_full(&g[3], 10, false).ok_or_else(bad)? as i32;
                if secs < 0 {
                    return Err(bad().into());
                }
                limits[class] = ObufLimit {
                    hard_bytes: hard,
                    soft_bytes: soft,
                    soft_seconds: secs as i64,
                };
            }
            c.client_output_buffer_limit = limits;
        }
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err(WRONG_ARGS.into());
            }
            let mut v = [0i64; 3];
            for (slot, a) in v.iter_mut().zip(args) {
                *slot = strtoll_full(a, 10, false)
                    .filter(|n| (-2000..=2000).contains(n))
                    .ok_or(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
                    )?;
            }
            let s = format!("{} {} {}", v[0], v[1], v[2]);
            if s == "0 200 800" {
                c.params.remove("oom-score-adj-values");
            } else {
                c.params.insert("oom-score-adj-values", ParamValue::Str(s));
            }
        }
        Special::NotifyKeyspaceEvents => {
            if args.len() != 1 {
                return Err(WRONG_ARGS.into());
            }
            c.notify_keyspace_events = crate::events::parse_flags(&args[0])
                .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
        }
        Special::Bind => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            if args.len() == 1 && args[0].is_empty() {
                c.bind.clear();
            } else {
                c.bind = args.to_vec();
            }
        }
        Special::ReplicaOf => {
            if args.len() != 2 {
                return Err(WRONG_ARGS.into());
            }
            if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                c.replicaof = None;
                return Ok(());
            }
            let port = strtoll_full(&args[1], 10, false)
                .filter(|p| (0..=65535).contains(p))
                .ok_or("Invalid master port")?;
            c.replicaof = Some((args[0].clone(), port as u16));
        }
        Special::LatencyPercentiles => {
            let mut out = Vec::new();
            if !(args.len() == 1 && args[0].is_empty()) {
                for a in args {
                    let v = ember_resp::num::parse_f64(a.as_bytes())
                        .filter(|v| v.is_finite())
                        .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                    if !(0.0..=100.0).contains(&v) {
                        return Err("latency-tracking-info-percentiles parameters should sit \
                                    between [0.0,100.0]"
                            .into());
                    }
                    out.push(v);
                }
            }
            c.latency_tracking_info_percentiles = out;
        }
    }
    Ok(())
}
