//! Differential tests of the protocol and connection layer: inline and multibulk
//! requests, pipelining, protocol errors, unknown commands and arity, PING, ECHO,
//! SELECT, QUIT and basic GET/SET, against the real redis-server.

mod support;

use support::{gen, seeds, Diff, Resp};

#[test]
fn ping_and_echo() {
    let mut d = Diff::new();
    assert_eq!(d.check(&["PING"]), Resp::Simple(b"PONG".to_vec()));
    d.check(&["PING", "hello"]);
    d.check(&["PING", ""]);
    d.check(&["PING", "a", "b"]);
    d.check(&["ping"]);
    d.check(&["pInG", "x"]);
    d.check(&["ECHO", "hello world"]);
    d.check(&["ECHO", ""]);
    d.check(&["ECHO"]);
    d.check(&["ECHO", "a", "b"]);
    d.check(&["echo", "\u{e9}t\u{e9}"]);
}

#[test]
fn command_names_are_case_insensitive() {
    let mut d = Diff::new();
    for name in ["SET", "set", "Set", "sEt"] {
        d.check(&[name, "k", name]);
        d.check(&["get", "k"]);
        d.check(&["GeT", "k"]);
    }
}

#[test]
fn select_edge_cases() {
    let mut d = Diff::new();
    for idx in [
        "0",
        "15",
        "16",
        "-1",
        "abc",
        "",
        "1.0",
        " 1",
        "1 ",
        "+1",
        "01",
        "0x1",
        "9223372036854775808",
        "99999999999999999999",
    ] {
        d.check(&["SELECT", idx]);
    }
    d.check(&["SELECT"]);
    d.check(&["SELECT", "1", "2"]);
    // Databases are separate and the selection is per connection.
    d.check(&["SELECT", "3"]);
    d.check(&["SET", "k", "in-3"]);
    d.check(&["GET", "k"]);
    d.check(&["SELECT", "0"]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "k", "in-0"]);
    let mut other = d.connect();
    other.check(&["GET", "k"]);
    other.check(&["SELECT", "3"]);
    other.check(&["GET", "k"]);
    d.check(&["GET", "k"]);
}

#[test]
fn select_index_outside_int_range() {
    // Redis parses the index as a C int: longs outside it get their own error.
    let mut d = Diff::new();
    for idx in [
        "2147483647",
        "2147483648",
        "-2147483649",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
    ] {
        d.check(&["SELECT", idx]);
    }
}

#[test]
fn get_set_basics() {
    let mut d = Diff::new();
    d.check(&["GET", "missing"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "k", "v2"]);
    d.check(&["GET", "k"]);
    d.check(&["SET", "empty", ""]);
    d.check(&["GET", "empty"]);
    d.check(&["SET", "", "empty key"]);
    d.check(&["GET", ""]);
    d.check(&["SET", "n", "12345"]);
    d.check(&["GET", "n"]);
    d.check(&["SET", "n", "-0"]);
    d.check(&["GET", "n"]);
    d.check(&["GET"]);
    d.check(&["GET", "a", "b"]);
    d.check(&["SET"]);
    d.check(&["SET", "k"]);
    d.check(&["SET", "k", "v", "BADOPTION"]);
}

#[test]
fn binary_safe_keys_and_values() {
    let mut d = Diff::new();
    let values: [&[u8]; 6] = [
        b"a\0b",
        b"\0",
        b"line1\r\nline2\r\n",
        b"\r\n",
        b"\xff\xfe\x80\x00\x7f",
        b"$5\r\nhello\r\n*1\r\n",
    ];
    for (i, v) in values.iter().enumerate() {
        let key = [b"bin\0key\r\n".as_slice(), &[i as u8]].concat();
        d.check(&[b"SET".as_slice(), &key, v]);
        d.check(&[b"GET".as_slice(), &key]);
        d.check(&[b"ECHO".as_slice(), v]);
    }
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    d.check(&[b"SET".as_slice(), b"big", &big]);
    d.check(&[b"GET".as_slice(), b"big"]);
}

#[test]
fn unknown_commands() {
    let mut d = Diff::new();
    d.check(&["NOSUCHCOMMAND"]);
    d.check(&["nosuchcommand", "a", "b", "c"]);
    d.check(&["foo", ""]);
    d.check(&[""]);
    d.check(&["", "x"]);
    let long = "x".repeat(300);
    d.check(&[long.as_str()]);
    d.check(&["foo", long.as_str()]);
    d.check(&["foo", "a", long.as_str(), "b"]);
    let many: Vec<String> = (0..60).map(|i| format!("arg{i}")).collect();
    let mut cmd = vec!["foo".to_string()];
    cmd.extend(many);
    d.check(&cmd);
    let args: Vec<String> = (0..10).map(|i| format!("{i}").repeat(20)).collect();
    let mut cmd = vec!["bar".to_string()];
    cmd.extend(args);
    d.check(&cmd);
    // Quotes in the name and arguments are shown as they are.
    d.check(&["it's", "a 'quoted' arg"]);
}

#[test]
fn unknown_command_with_binary_bytes() {
    // Redis prints the raw bytes, and an argument stops at its first NUL (C string).
    let mut d = Diff::new();
    d.check(&[b"\xff\xfe".as_slice(), b"\x00\x01"]);
    d.check(&[b"cmd\x00tail".as_slice(), b"ab\x00cd", b"\xc3\xa9"]);
}

#[test]
fn unknown_command_with_newlines_is_sanitized() {
    // Redis turns CR/LF inside error texts into spaces so the reply stays one line.
    let mut d = Diff::new();
    d.check(&["a\r\nb", "x"]);
    d.check(&["foo", "line1\nline2"]);
    d.check(&["PING"]);
}

#[test]
fn wrong_arity() {
    let mut d = Diff::new();
    d.check_seq(&[
        &["GET"][..],
        &["GET", "a", "b"],
        &["SET", "a"],
        &["ECHO"],
        &["SELECT"],
        &["get"],
        &["Echo", "a", "b", "c"],
    ]);
}

#[test]
fn inline_commands() {
    let mut d = Diff::new();
    d.check_raw_replies(b"PING\r\n", 1);
    d.check_raw_replies(b"PING\n", 1);
    d.check_raw_replies(b"ping hello\r\n", 1);
    d.check_raw_replies(b"   ECHO    spaced    \r\n", 1);
    d.check_raw_replies(b"ECHO\ttabbed\r\n", 1);
    d.check_raw_replies(b"SET \"a key\" 'a value'\r\nGET \"a key\"\r\n", 2);
    d.check_raw_replies(b"ECHO \"esc\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"\"\r\n", 1);
    d.check_raw_replies(b"ECHO \"\\xzz\\q\"\r\n", 1);
    d.check_raw_replies(b"ECHO 'it\\'s' 'x\\\\y'\r\n", 1);
    d.check_raw_replies(b"ECHO 'back\\nslash'\r\n", 1);
    d.check_raw_replies(b"ECHO \"\"\r\n", 1);
    d.check_raw_replies(b"ECHO ''\r\n", 1);
    // A quote may open in the middle of a word.
    d.check_raw_replies(b"ECHO a\"b c\"\r\n", 1);
    // Empty and blank lines produce no reply at all.
    d.check_raw_replies(b"\r\n\n   \r\n\t\r\nPING\r\n", 1);
    d.check_raw_replies(b"NOSUCH inline args\r\n", 1);
    d.check_raw_replies(b"GET\r\n", 1);
    // Inline and multibulk mixed in one write.
    d.check_raw_replies(
        b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nECHO inline\r\n",
        3,
    );
}

#[test]
fn unbalanced_quotes_close_the_connection() {
    let d = Diff::new();
    for input in [
        &b"ECHO \"abc\r\n"[..],
        b"ECHO 'abc\r\n",
        b"ECHO \"abc\"def\r\n",
        b"ECHO 'abc'def\r\n",
        b"ECHO a\"b\"c\r\n",
        b"PING\r\nSET \"k v\r\nPING\r\n",
    ] {
        let (_, closed) = d.check_raw(input);
        assert!(
            closed,
            "connection should close after {}",
            support::escape(input)
        );
    }
}

#[test]
fn multibulk_protocol_errors() {
    let d = Diff::new();
    for input in [
        &b"*abc\r\n"[..],
        b"*1x\r\n",
        b"*3000000000\r\n",
        b"*1\r\n$abc\r\n",
        b"*1\r\n$-1\r\n",
        b"*1\r\n$-5\r\n",
        b"*1\r\n$600000000\r\n",
        b"*1\r\n$536870913\r\n",
        b"*1\r\nPING\r\n",
        b"*2\r\n$3\r\nGET\r\n*1\r\n",
        b"*2\r\n$3\r\nGET\r\n:1\r\n",
        b"PING\r\n*1\r\nfoo\r\n",
        b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n",
    ] {
        let (reply, closed) = d.check_raw(input);
        assert!(
            closed,
            "connection should close after {}",
            support::escape(input)
        );
        assert!(
            String::from_utf8_lossy(&reply).contains("Protocol error"),
            "expected a protocol error for {}",
            support::escape(input)
        );
    }
}

#[test]
fn protocol_error_naming_a_newline_is_sanitized() {
    // "expected '$', got '\n'": Redis replaces CR/LF in error texts with spaces.
    let d = Diff::new();
    let (_, closed) = d.check_raw(b"*2\r\n$1\r\nab\r\n$1\r\nx\r\n");
    assert!(closed);
    let (_, closed) = d.check_raw(b"*2\r\n$1\r\nx\r\n\r\n");
    assert!(closed);
}

#[test]
fn too_big_requests() {
    let d = Diff::new();
    // An inline line longer than 64 KiB without a newline.
    let (reply, closed) = d.check_raw(&vec![b'a'; 70 * 1024]);
    assert!(closed);
    assert!(String::from_utf8_lossy(&reply).contains("too big inline request"));
    // A multibulk count line that never ends.
    let mut mbulk = b"*".to_vec();
    mbulk.extend(vec![b'1'; 70 * 1024]);
    let (reply, closed) = d.check_raw(&mbulk);
    assert!(closed);
    assert!(String::from_utf8_lossy(&reply).contains("too big mbulk count string"));
    // A bulk length line that never ends.
    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend(vec![b'1'; 70 * 1024]);
    let (reply, closed) = d.check_raw(&bulk);
    assert!(closed);
    assert!(String::from_utf8_lossy(&reply).contains("too big bulk count string"));
}

#[test]
fn long_inline_line_under_the_limit() {
    let mut d = Diff::new();
    let line = format!("ECHO {}\r\n", "y".repeat(60_000));
    d.check_raw_replies(line.as_bytes(), 1);
    let line = format!("SET long {}\r\nGET long\r\n", "z".repeat(50_000));
    d.check_raw_replies(line.as_bytes(), 2);
}

#[test]
fn empty_and_negative_multibulk_are_ignored() {
    let mut d = Diff::new();
    d.check_raw_replies(b"*0\r\nPING\r\n", 1);
    d.check_raw_replies(b"*-1\r\nPING\r\n", 1);
    d.check_raw_replies(b"*-10\r\n*0\r\n*-1\r\nECHO ok\r\n", 1);
    let (reply, closed) = d.check_raw(b"*0\r\n*-1\r\n");
    assert!(reply.is_empty() && !closed);
}

#[test]
fn bulk_terminator_bytes_are_not_checked() {
    // Redis skips the two bytes after a bulk payload without looking at them.
    let mut d = Diff::new();
    d.check_raw_replies(b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", 2);
    d.check_raw_replies(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcZZ", 1);
}

#[test]
fn pipelined_batches() {
    let mut d = Diff::new();
    d.check_pipeline(&[
        &["SET", "a", "1"][..],
        &["GET", "a"],
        &["PING"],
        &["ECHO", "x"],
        &["GET", "nope"],
        &["NOSUCH", "cmd"],
        &["SET", "a"],
        &["SELECT", "1"],
        &["GET", "a"],
        &["SELECT", "0"],
        &["GET", "a"],
    ]);
    let cmds: Vec<Vec<String>> = (0..1000)
        .map(|i| match i % 3 {
            0 => vec!["SET".into(), format!("k{i}"), format!("v{i}")],
            1 => vec!["GET".into(), format!("k{}", i - 1)],
            _ => vec!["PING".into(), format!("p{i}")],
        })
        .collect();
    let refs: Vec<&[String]> = cmds.iter().map(|c| c.as_slice()).collect();
    d.check_pipeline(&refs);
    // The same batch as inline commands.
    let inline: String = (0..300).map(|i| format!("ECHO e{i}\r\n")).collect();
    d.check_raw_replies(inline.as_bytes(), 300);
}

#[test]
fn commands_split_across_writes() {
    let mut d = Diff::new();
    let cmd = support::encode_command(&["SET", "split", "value with spaces"]);
    for chunk in cmd.chunks(3) {
        d.redis.write_raw(chunk);
        d.ember.write_raw(chunk);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let r = d.redis.read_reply().unwrap();
    let e = d.ember.read_reply().unwrap();
    assert_eq!(r.0, e.0);
    d.check(&["GET", "split"]);
    for chunk in [&b"EC"[..], b"HO par", b"ts\r", b"\n"] {
        d.redis.write_raw(chunk);
        d.ember.write_raw(chunk);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert_eq!(
        d.redis.read_reply().unwrap().0,
        d.ember.read_reply().unwrap().0
    );
}

#[test]
fn quit_replies_ok_and_closes() {
    let mut d = Diff::new();
    let (reply, closed) = d.check_raw(b"QUIT\r\n");
    assert_eq!(reply, b"+OK\r\n");
    assert!(closed);
    // Commands after QUIT in the same write are not answered.
    let (reply, closed) = d.check_raw(b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(reply, b"+PONG\r\n+OK\r\n");
    assert!(closed);
    let (_, closed) = d.check_raw(b"*2\r\n$4\r\nQUIT\r\n$5\r\nextra\r\n");
    assert!(closed);
    d.check(&["PING"]);
    d.check(&["QUIT"]);
    d.reconnect();
    d.check(&["PING"]);
}

#[test]
fn clients_share_the_keyspace() {
    let mut d = Diff::new();
    let mut c2 = d.connect();
    let mut c3 = d.second();
    d.check(&["SET", "shared", "1"]);
    c2.check(&["GET", "shared"]);
    c2.check(&["SET", "shared", "2"]);
    c3.check(&["GET", "shared"]);
    d.check(&["GET", "shared"]);
}

fn gen_set(rng: &mut rand::rngs::SmallRng) -> Vec<String> {
    vec!["SET".into(), gen::key(rng, "k", 8), gen::text(rng, 6)]
}

fn gen_get(rng: &mut rand::rngs::SmallRng) -> Vec<String> {
    vec!["GET".into(), gen::key(rng, "k", 8)]
}

fn gen_misc(rng: &mut rand::rngs::SmallRng) -> Vec<String> {
    match gen::int(rng, 0, 3).as_str() {
        "0" => vec!["PING".into()],
        "1" => vec!["ECHO".into(), gen::text(rng, 10)],
        "2" => vec!["SELECT".into(), gen::int(rng, -1, 16)],
        _ => vec![gen::pick(rng, &["GET", "SET", "ECHO", "PING"]).into()],
    }
}

#[test]
fn random_basic_sequences() {
    for seed in seeds(&[1, 2, 3]) {
        let mut d = Diff::new();
        d.random_sequence(seed, 300, &[gen_set, gen_get, gen_misc]);
    }
}

#[test]
fn harness_parses_every_resp3_type() {
    use support::resp::parse;
    let input: &[u8] = b"%2\r\n+a\r\n,3.14\r\n$1\r\nb\r\n~2\r\n#t\r\n_\r\n";
    let (r, used) = parse(input).unwrap().unwrap();
    assert_eq!(used, input.len());
    assert_eq!(
        r,
        Resp::Map(vec![
            (Resp::Simple(b"a".to_vec()), Resp::Double("3.14".into())),
            (
                Resp::Bulk(b"b".to_vec()),
                Resp::Set(vec![Resp::Bool(true), Resp::Null])
            ),
        ])
    );
    let (r, _) = parse(b">2\r\n(12345678901234567890\r\n=8\r\ntxt:ab\r\n\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(
        r,
        Resp::Push(vec![
            Resp::BigNum("12345678901234567890".into()),
            Resp::Verbatim("txt".into(), b"ab\r\n".to_vec()),
        ])
    );
    let (r, _) = parse(b"!5\r\nERR x\r\n").unwrap().unwrap();
    assert!(r.is_error());
    let (r, _) = parse(b"|1\r\n+k\r\n:1\r\n*-1\r\n").unwrap().unwrap();
    assert!(matches!(r, Resp::Attr(_, ref v) if **v == Resp::NilArray));
    // Incomplete input asks for more; garbage is an error.
    assert_eq!(parse(b"*2\r\n$1\r\na\r\n").unwrap(), None);
    assert_eq!(parse(b"$3\r\nab").unwrap(), None);
    assert!(parse(b"?x\r\n").is_err());
    // Multiset and shape comparisons.
    let a = Resp::Array(vec![Resp::Int(1), Resp::Int(2)]);
    let b = Resp::Array(vec![Resp::Int(2), Resp::Int(1)]);
    assert_ne!(a, b);
    assert_eq!(a.sorted(), b.sorted());
    assert!(a.same_shape(&Resp::Array(vec![Resp::Int(7), Resp::Int(8)])));
    assert!(!a.same_shape(&Resp::Array(vec![Resp::Int(7)])));
    let pairs = Resp::Array(vec![Resp::Int(1), Resp::Int(9), Resp::Int(0), Resp::Int(8)]);
    let swapped = Resp::Array(vec![Resp::Int(0), Resp::Int(8), Resp::Int(1), Resp::Int(9)]);
    assert_eq!(pairs.sorted_pairs(), swapped.sorted_pairs());
}

#[test]
fn resp3_basics() {
    let mut d = Diff::new();
    d.hello3();
    d.check(&["PING"]);
    d.check(&["PING", "x"]);
    d.check(&["GET", "missing"]);
    d.check(&["SET", "k", "v"]);
    d.check(&["GET", "k"]);
    d.check(&["ECHO", "e"]);
    d.check(&["NOSUCH", "a"]);
    d.check(&["GET"]);
    d.check(&["SELECT", "99"]);
    d.check_pipeline(&[
        &["SET", "a", "1"][..],
        &["GET", "a"],
        &["GET", "b"],
        &["PING"],
    ]);
    // Back to RESP2 on the same connection.
    d.check_shape(&["HELLO", "2"]);
    d.check(&["GET", "missing"]);
}

/// LOLWUT: the version line, argument errors, and the drawings byte for
/// byte where they hold no chance (Schotter with at most two rows of
/// squares, whose first two rows are always straight; a one-row skyline,
/// where no building rises). Random drawings are compared by form and by
/// their straight top rows.
#[test]
fn lolwut_matches_redis() {
    let mut d = Diff::new();
    let exact: &[&[&str]] = &[
        &["LOLWUT"],
        &["LOLWUT", "5", "6", "7", "8"],
        &["LOLWUT", "VERSION"],
        &["LOLWUT", "version", "x"],
        &["LOLWUT", "VERSION", "7"],
        &["LOLWUT", "VERSION", "4"],
        &["LOLWUT", "VERSION", "59"],
        &["LOLWUT", "VERSION", "-1"],
        &["LOLWUT", "VERSION", "5", "x"],
        &["LOLWUT", "VERSION", "5", "10", "x"],
        &["LOLWUT", "VERSION", "5", "10", "2", "x"],
        &["LOLWUT", "VERSION", "6", "x"],
        &["LOLWUT", "VERSION", "6", "3", "x"],
        &["LOLWUT", "VERSION", "5", "1", "1", "1"],
        &["LOLWUT", "VERSION", "5", "2", "1", "1"],
        &["LOLWUT", "VERSION", "5", "3", "1", "1"],
        &["LOLWUT", "VERSION", "5", "0", "-4", "0"],
        &["LOLWUT", "VERSION", "5", "66", "8", "2"],
        &["LOLWUT", "VERSION", "5", "33", "3", "2", "ignored"],
        &["LOLWUT", "VERSION", "5", "10", "200", "2"],
        &["LOLWUT", "VERSION", "5", "1000", "7", "2"],
        &["LOLWUT", "VERSION", "5", "5000", "999", "1"],
        // 2^32 + 5: Redis keeps the low 32 bits of the version.
        &["LOLWUT", "VERSION", "4294967301", "40", "9", "2"],
        &["LOLWUT", "VERSION", "6", "7", "1"],
        &["LOLWUT", "VERSION", "6", "5000", "-3"],
    ];
    for cmd in exact {
        d.check(cmd);
    }
    // Schotter's first two rows of squares are straight: with the default
    // size the next row reaches no higher than pixel row 30.
    let (r, e) = d.both(&["LOLWUT", "VERSION", "5"]);
    let (r, e) = (r.text(), e.text());
    let top = |t: &str| t.lines().take(7).collect::<Vec<_>>().join("\n");
    assert_eq!(top(&r), top(&e));
    for args in [
        &["VERSION", "5"][..],
        &["VERSION", "5", "40", "5", "9"],
        &["VERSION", "6"],
        &["VERSION", "6", "30", "12"],
    ] {
        let cmd: Vec<&str> = std::iter::once("LOLWUT")
            .chain(args.iter().copied())
            .collect();
        let (r, e) = d.both(&cmd);
        let (r, e) = (r.text(), e.text());
        // Characters per line; a gray cell (an escape, a space, a reset)
        // counts as one, since the escapes' lengths differ by color.
        let form = |t: &str| -> Vec<usize> {
            t.lines()
                .map(|l| match l.matches(" \x1b[0m").count() {
                    0 => l.chars().count(),
                    cells => cells,
                })
                .collect()
        };
        assert_eq!(form(&r), form(&e), "{cmd:?}");
        let last = |t: &str| t.lines().last().map(str::to_string);
        assert_eq!(last(&r), last(&e), "{cmd:?}");
        // Only the four grays, or only Braille, make up the drawing.
        let art: Vec<&str> = e.lines().filter(|l| !l.contains("Redis ver.")).collect();
        if args[1] == "6" {
            for line in art.iter().filter(|l| !l.starts_with("Dedicated")) {
                let cells = line.replace(" \x1b[0m", "");
                let cells = cells
                    .replace("\x1b[0;30;40m", "")
                    .replace("\x1b[0;90;100m", "")
                    .replace("\x1b[0;37;47m", "")
                    .replace("\x1b[0;97;107m", "");
                assert!(cells.is_empty(), "{line:?}");
            }
        } else {
            let braille = |c: char| ('\u{2800}'..='\u{28ff}').contains(&c);
            assert!(art.iter().all(|l| l.chars().all(braille)), "{e}");
        }
    }
    d.hello3();
    d.check(&["LOLWUT"]);
    d.check(&["LOLWUT", "VERSION", "6", "3", "1"]);
}
