//! Setup shared by the sorted set differential tests (`diff_zsets*.rs`).

use super::Pair;

pub fn zadd(d: &mut Pair, key: &str, pairs: &[(&str, &str)]) {
    let mut cmd = vec!["ZADD".to_string(), key.to_string()];
    for (s, m) in pairs {
        cmd.push(s.to_string());
        cmd.push(m.to_string());
    }
    d.check(&cmd);
}

/// `n` members `m000..` with scores `i % modulo`.
pub fn fill(d: &mut Pair, key: &str, n: usize, modulo: usize) {
    let mut cmd = vec!["ZADD".to_string(), key.to_string()];
    for i in 0..n {
        cmd.push((i % modulo).to_string());
        cmd.push(format!("m{i:03}"));
    }
    d.check(&cmd);
}

/// Forces every new sorted set into the skiplist encoding on both servers.
pub fn skiplist_only(d: &mut Pair) {
    d.check(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]);
}
