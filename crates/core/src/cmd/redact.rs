//! Which arguments Redis shows as `(redacted)` wherever it echoes a command
//! (MONITOR, SLOWLOG): credentials and secrets, found as the commands' own
//! parsers would find them.

use bytes::Bytes;

/// Parameters whose CONFIG SET value is never shown (Redis's SENSITIVE_CONFIG).
const SENSITIVE_CONFIGS: &[&[u8]] = &[
    b"masterauth",
    b"masteruser",
    b"requirepass",
    b"tls-key-file-pass",
    b"tls-client-key-file-pass",
];

/// Argument positions Redis replaces by `(redacted)`: AUTH's credentials
/// (unless it has too many arguments), the user and password of each HELLO
/// `AUTH` option reached before a syntax error, everything after ACL
/// SETUSER, and the values CONFIG SET gives sensitive parameters.
pub fn redacted_args(argv: &[Bytes]) -> Vec<usize> {
    let name = &argv[0];
    if name.eq_ignore_ascii_case(b"auth") {
        return match argv.len() {
            2 => vec![1],
            3 => vec![1, 2],
            _ => Vec::new(),
        };
    }
    let sub_is = |s: &[u8]| argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(s));
    if name.eq_ignore_ascii_case(b"acl") && sub_is(b"setuser") {
        return (2..argv.len()).collect();
    }
    if name.eq_ignore_ascii_case(b"config") && sub_is(b"set") {
        // Past the arity check (name value pairs), each sensitive value.
        if argv.len() < 4 || !argv.len().is_multiple_of(2) {
            return Vec::new();
        }
        return (2..argv.len())
            .step_by(2)
            .filter(|&i| {
                SENSITIVE_CONFIGS
                    .iter()
                    .any(|c| argv[i].eq_ignore_ascii_case(c))
            })
            .map(|i| i + 1)
            .collect();
    }
    let mut out = Vec::new();
    if name.eq_ignore_ascii_case(b"hello") && argv.len() > 2 {
        // The protocol version must parse and be 2 or 3 before options are read.
        if !matches!(crate::args::parse_i64(&argv[1]), Ok(2 | 3)) {
            return out;
        }
        let mut j = 2;
        while j < argv.len() {
            let more = argv.len() - 1 - j;
            if argv[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                out.extend([j + 1, j + 2]);
                j += 3;
            } else if argv[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                j += 2;
            } else {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::argv;

    #[test]
    fn redaction_follows_the_parsers() {
        assert_eq!(redacted_args(&argv(&["auth", "p"])), vec![1]);
        assert_eq!(redacted_args(&argv(&["AUTH", "u", "p"])), vec![1, 2]);
        assert!(redacted_args(&argv(&["auth", "a", "b", "c"])).is_empty());
        assert_eq!(
            redacted_args(&argv(&["hello", "3", "auth", "a", "b", "x"])),
            vec![3, 4]
        );
        assert!(redacted_args(&argv(&["hello", "3", "x", "auth", "a", "b"])).is_empty());
        assert!(redacted_args(&argv(&["hello", "4", "auth", "a", "b"])).is_empty());
        assert!(redacted_args(&argv(&["hello", "3", "auth", "a"])).is_empty());
        assert_eq!(
            redacted_args(&argv(&["hello", "2", "setname", "n", "auth", "a", "b"])),
            vec![5, 6]
        );
        assert_eq!(
            redacted_args(&argv(&["acl", "SETUSER", "u", "on", ">p"])),
            vec![2, 3, 4]
        );
        assert!(redacted_args(&argv(&["acl", "getuser", "u"])).is_empty());
        assert_eq!(
            redacted_args(&argv(&[
                "config",
                "set",
                "maxmemory",
                "1",
                "MasterAuth",
                "x",
                "requirepass",
                "y"
            ])),
            vec![5, 7]
        );
        assert!(redacted_args(&argv(&["config", "set", "requirepass", "y", "z"])).is_empty());
        assert!(redacted_args(&argv(&["config", "get", "requirepass"])).is_empty());
    }
}
