//! Interface data behind `COMMAND INFO` and `COMMAND DOCS`: for every Redis 7.0
//! command, its tips, key specs and documentation (summary, since, group,
//! complexity, history, argument tree), plus the arity, flags and key range
//! Redis reports, which the table's unit test checks rows against.
//!
//! The data lives in `data/commands.json`, generated once from a real
//! redis-server by `scripts/gen_command_data.py`. It is joined with the command
//! table by full name (`get`, `config|get`) at reply time, so only commands the
//! table has are ever shown.

use bytes::Bytes;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/commands.json");

#[derive(Debug, Deserialize)]
pub struct CommandData {
    pub arity: i32,
    pub flags: Vec<String>,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// With the `@` prefix, in Redis's order.
    pub acl_categories: Vec<String>,
    pub tips: Vec<String>,
    pub key_specs: Vec<KeySpec>,
    #[serde(default)]
    pub docs: Docs,
}

#[derive(Debug, Deserialize)]
pub struct KeySpec {
    pub notes: Option<String>,
    pub flags: Vec<String>,
    pub begin_search: Search,
    pub find_keys: Search,
}

/// A `begin_search` (`index`, `keyword`, `unknown`) or `find_keys` (`range`,
/// `keynum`, `unknown`) step; `spec` holds the fields of its type.
#[derive(Debug, Deserialize)]
pub struct Search {
    #[serde(rename = "type")]
    pub kind: String,
    pub spec: SearchSpec,
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchSpec {
    pub index: Option<i64>,
    pub keyword: Option<String>,
    pub startfrom: Option<i64>,
    pub lastkey: Option<i64>,
    pub keystep: Option<i64>,
    pub limit: Option<i64>,
    pub keynumidx: Option<i64>,
    pub firstkey: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Docs {
    pub summary: Option<String>,
    pub since: Option<String>,
    pub group: Option<String>,
    pub complexity: Option<String>,
    #[serde(default)]
    pub doc_flags: Vec<String>,
    pub deprecated_since: Option<String>,
    pub replaced_by: Option<String>,
    #[serde(default)]
    pub history: Vec<(String, String)>,
    #[serde(default)]
    pub arguments: Vec<Arg>,
}

#[derive(Debug, Deserialize)]
pub struct Arg {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub key_spec_index: Option<i64>,
    pub token: Option<String>,
    pub summary: Option<String>,
    pub since: Option<String>,
    pub deprecated_since: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub arguments: Vec<Arg>,
}

fn all() -> &'static HashMap<String, CommandData> {
    static PARSED: OnceLock<HashMap<String, CommandData>> = OnceLock::new();
    PARSED.get_or_init(|| serde_json::from_str(DATA).expect("data/commands.json is valid"))
}

/// The data for a command by full name (`get`, `client|list`).
pub fn get(full_name: &str) -> Option<&'static CommandData> {
    all().get(full_name)
}

/// Every command and subcommand Redis 7.0 has, by full name.
pub fn names() -> impl Iterator<Item = &'static str> {
    all().keys().map(String::as_str)
}

impl KeySpec {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// Where a key-spec search failed: Redis then falls back to the command's own
/// key-extraction function.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidSpec;

impl CommandData {
    /// True if some key spec describes real keys (not `not_key` channels).
    pub fn has_key_specs(&self) -> bool {
        self.key_specs.iter().any(|s| !s.has_flag("not_key"))
    }

    /// True if some key spec's flags depend on the arguments (SET ... GET).
    pub fn has_variable_flags(&self) -> bool {
        self.key_specs.iter().any(|s| s.has_flag("variable_flags"))
    }

    /// Key positions and the index of the spec that found each, following the
    /// specs as Redis's getKeysUsingKeySpecs does (`argv` includes the name).
    pub fn keys_by_specs(&self, argv: &[Bytes]) -> Result<Vec<(usize, usize)>, InvalidSpec> {
        let argc = argv.len() as i64;
        let mut keys = Vec::new();
        for (n, spec) in self.key_specs.iter().enumerate() {
            if spec.has_flag("not_key") {
                continue;
            }
            let s = &spec.begin_search.spec;
            let mut first = match spec.begin_search.kind.as_str() {
                "index" => s.index.unwrap_or(0),
                "keyword" => {
                    let found = keyword_position(argv, s);
                    if found == 0 {
                        continue;
                    }
                    found
                }
                _ => return Err(InvalidSpec),
            };
            let f = &spec.find_keys.spec;
            let (last, step) = match spec.find_keys.kind.as_str() {
                "range" => {
                    let lastkey = f.lastkey.unwrap_or(0);
                    let limit = f.limit.unwrap_or(0);
                    let last = if lastkey >= 0 {
                        first + lastkey
                    } else if limit == 0 {
                        argc + lastkey
                    } else {
                        first + ((argc - first) / limit + lastkey)
                    };
                    (last, f.keystep.unwrap_or(1))
                }
                "keynum" => {
                    let idx = f.keynumidx.unwrap_or(0);
                    if idx >= argc {
                        return Err(InvalidSpec);
                    }
                    let numkeys = argv
                        .get((first + idx) as usize)
                        .and_then(|a| ember_resp::num::parse_i64(a))
                        .filter(|&n| n >= 0)
                        .ok_or(InvalidSpec)?;
                    first += f.firstkey.unwrap_or(0);
                    (first + numkeys - 1, f.keystep.unwrap_or(1))
                }
                _ => return Err(InvalidSpec),
            };
            if last >= argc || last < first || first >= argc {
                return Err(InvalidSpec);
            }
            let mut i = first;
            while i <= last {
                keys.push((i as usize, n));
                i += step.max(1);
            }
            if spec.has_flag("incomplete") {
                return Err(InvalidSpec);
            }
        }
        Ok(keys)
    }
}

/// The position after the keyword a `keyword` begin-search looks for, or 0.
fn keyword_position(argv: &[Bytes], s: &SearchSpec) -> i64 {
    let argc = argv.len() as i64;
    let startfrom = s.startfrom.unwrap_or(0);
    let keyword = s.keyword.as_deref().unwrap_or("").as_bytes();
    let (start, end) = if startfrom > 0 {
        (startfrom, argc - 1)
    } else {
        (argc + startfrom, 1)
    };
    let mut i = start;
    while i != end {
        if i >= argc || i < 1 {
            break;
        }
        if argv[i as usize].eq_ignore_ascii_case(keyword) {
            return i + 1;
        }
        i = if start <= end { i + 1 } else { i - 1 };
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::argv;

    #[test]
    fn data_covers_redis_7_0() {
        assert_eq!(all().len(), 366);
        let get = get("get").unwrap();
        assert_eq!(
            (get.arity, get.first_key, get.last_key, get.step),
            (2, 1, 1, 1)
        );
        assert_eq!(get.docs.summary.as_deref(), Some("Get the value of a key"));
        assert!(super::get("config|get").is_some());
    }

    #[test]
    fn key_specs_find_keys_like_redis() {
        let mset = get("mset").unwrap();
        let keys = mset.keys_by_specs(&argv(&["mset", "a", "b", "c"]));
        assert_eq!(keys, Ok(vec![(1, 0), (3, 0)]));
        let zu = get("zunionstore").unwrap();
        let a = argv(&["zunionstore", "d", "2", "a", "b", "weights", "1", "2"]);
        assert_eq!(zu.keys_by_specs(&a), Ok(vec![(1, 0), (3, 1), (4, 1)]));
        let a = argv(&["zunionstore", "d", "5", "a"]);
        assert_eq!(zu.keys_by_specs(&a), Err(InvalidSpec));
        let geo = get("georadius").unwrap();
        let a = argv(&[
            "georadius",
            "a",
            "1",
            "2",
            "3",
            "m",
            "store",
            "x",
            "storedist",
            "y",
        ]);
        assert_eq!(geo.keys_by_specs(&a), Ok(vec![(1, 0), (7, 1), (9, 2)]));
        let xread = get("xread").unwrap();
        let a = argv(&["xread", "count", "1", "streams", "a", "b", "0", "0"]);
        assert_eq!(xread.keys_by_specs(&a), Ok(vec![(4, 0), (5, 0)]));
    }
}
