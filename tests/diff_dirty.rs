//! Differential test of the change counter (`rdb_changes_since_last_save`,
//! Redis's `server.dirty`): every write command, including its no-op and
//! partial cases, must add what redis-server adds. The counter drives the
//! save points, and a command that adds nothing is not propagated.

mod support;

use support::Diff;

/// `rdb_changes_since_last_save` of (redis, ember).
fn changes(d: &mut Diff) -> (i64, i64) {
    let field = "rdb_changes_since_last_save";
    let r = d.redis.info_u64("persistence", field) as i64;
    let e = d.ember.info_u64("persistence", field) as i64;
    (r, e)
}

/// Runs each command on both servers (same reply) and compares how much it
/// added to the change counter.
fn check_deltas(d: &mut Diff, script: &[&[&str]]) {
    for cmd in script {
        let before = changes(d);
        d.check(cmd);
        let after = changes(d);
        assert_eq!(
            after.1 - before.1,
            after.0 - before.0,
            "changes added by {cmd:?}: ember (left) vs redis (right)"
        );
    }
}

#[test]
fn strings_and_keys() {
    let mut d = Diff::new();
    check_deltas(
        &mut d,
        &[
            &["SET", "s", "v"],
            &["SET", "s", "v", "NX"],
            &["SET", "s", "w", "XX", "GET"],
            &["SETNX", "s", "x"],
            &["MSET", "a", "1", "b", "2", "c", "3"],
            &["MSETNX", "a", "1", "z", "2"],
            &["APPEND", "s", "x"],
            &["APPEND", "s", ""],
            &["SETRANGE", "s", "0", ""],
            &["SETRANGE", "s", "1", "yy"],
            &["INCR", "a"],
            &["INCRBYFLOAT", "a", "1.5"],
            &["GETDEL", "b"],
            &["GETDEL", "b"],
            &["GETEX", "c", "EX", "100"],
            &["GETEX", "c", "PERSIST"],
            &["GETEX", "c", "PERSIST"],
            &["SETBIT", "bits", "7", "1"],
            &["SETBIT", "bits", "7", "1"],
            &["BITOP", "OR", "dest", "bits", "nokey"],
            &[
                "BITFIELD", "bf", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "1",
            ],
            &["BITFIELD", "bf", "GET", "u8", "0"],
            &["EXPIRE", "s", "100"],
            &["EXPIRE", "nokey", "100"],
            &["PERSIST", "s"],
            &["PERSIST", "s"],
            &["RENAME", "s", "s2"],
            &["COPY", "s2", "s3"],
            &["MOVE", "s3", "1"],
            &["DEL", "a", "nokey", "z"],
            &["UNLINK", "s2", "c"],
            &["PFADD", "hll", "a", "b"],
            &["PFADD", "hll", "a"],
        ],
    );
}

#[test]
fn collections() {
    let mut d = Diff::new();
    check_deltas(
        &mut d,
        &[
            &["RPUSH", "l", "a", "b", "c", "d", "e"],
            &["LPOP", "l", "2"],
            &["RPOP", "l", "100"],
            &["RPUSH", "l", "a", "b", "a"],
            &["LREM", "l", "0", "a"],
            &["LREM", "l", "0", "zz"],
            &["LINSERT", "l", "BEFORE", "b", "x"],
            &["LSET", "l", "0", "y"],
            &["LTRIM", "l", "0", "0"],
            &["LMOVE", "l", "l2", "LEFT", "RIGHT"],
            &["SADD", "s", "1", "2", "3", "4", "5"],
            &["SADD", "s", "1", "6"],
            &["SREM", "s", "1", "9"],
            &["SPOP", "s", "100"],
            &["SADD", "s", "a"],
            &["SPOP", "s"],
            &["SADD", "s", "a", "b", "c"],
            &["SMOVE", "s", "t", "zz"],
            &["SINTERSTORE", "dst", "s", "nokey"],
            &["SUNIONSTORE", "dst", "s", "t"],
            &["HSET", "h", "a", "1", "b", "2"],
            &["HSET", "h", "a", "1", "c", "3"],
            &["HSETNX", "h", "a", "9"],
            &["HINCRBY", "h", "a", "5"],
            &["HDEL", "h", "a", "zz"],
            &["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            &["ZADD", "z", "1", "a", "5", "b"],
            &["ZADD", "z", "XX", "CH", "1", "a", "9", "new"],
            &["ZINCRBY", "z", "2", "a"],
            &["ZREM", "z", "a", "zz"],
            &["ZPOPMIN", "z", "100"],
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
            &["ZREMRANGEBYSCORE", "z", "2", "3"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZUNIONSTORE", "zd", "2", "z", "nokey"],
            &["ZRANGESTORE", "zd", "z", "0", "-1"],
        ],
    );
}
