//! Tests of `config_file`: splitting, includes, command-line arguments and
//! error texts as redis-server 7.0.15 prints them.

use super::*;

fn words(v: &[&str]) -> Vec<Vec<u8>> {
    v.iter().map(|s| s.as_bytes().to_vec()).collect()
}

/// `line:text` of each directive, joined with `|`.
fn summary(dirs: &[Directive]) -> String {
    let v: Vec<String> = dirs
        .iter()
        .map(|d| format!("{}:{}", d.line, d.text))
        .collect();
    v.join("|")
}

/// Parses what a command line (arguments separated by `|`) gives after `file`.
fn cmdline(argv: &str, file: &str, stdin: &str) -> (Option<String>, Vec<Directive>) {
    let argv: Vec<String> = argv.split('|').map(str::to_string).collect();
    let stdin = stdin.as_bytes().to_vec();
    let (path, extra) = args_to_config_text_with(&argv, move || Ok(stdin)).unwrap();
    (path, parse_config_text(&format!("{file}{extra}")).unwrap())
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.path(name), text).unwrap();
        self.path(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn split_args_follows_sdssplitargs() {
    let s = |line: &str| split_args(line.as_bytes());
    assert_eq!(s("  set  a\tb  "), Some(words(&["set", "a", "b"])));
    assert_eq!(s(""), Some(vec![]));
    assert_eq!(s(r#"a "b c" '' """#), Some(words(&["a", "b c", "", ""])));
    let escapes = b"Ax4gq\n\r\t\x08\x07\"\\".to_vec();
    assert_eq!(s(r#""\x41\x4g\q\n\r\t\b\a\"\\""#), Some(vec![escapes]));
    assert_eq!(s(r#""\xff\x00z""#), Some(vec![vec![0xff, 0, b'z']]));
    assert_eq!(s(r"'a\'b' 'c\n'"), Some(words(&["a'b", "c\\n"])));
    assert_eq!(s(r#"ab"c d" e"#), Some(words(&["abc d", "e"])));
    assert_eq!(s("a\x0bb"), Some(words(&["a\x0bb"]))); // \v only separates as a lead
    assert_eq!(s("a\0b c"), Some(words(&["a"]))); // a C string ends at NUL
                                                  // A closing quote must end the word; quotes must close.
    for bad in [r#"ab"c d"e"#, "'x'y", "\"open", "'open", "\"trailing\\"] {
        assert_eq!(s(bad), None, "{bad}");
    }
}

#[test]
fn quote_arg_round_trips() {
    let nasty: &[u8] = b"q\"x\\y\nz\x01\x07\x08\xff \t'";
    let mut out = String::new();
    quote_arg(&mut out, nasty);
    assert_eq!(out, r#""q\"x\\y\nz\x01\a\b\xff \t'""#);
    assert_eq!(split_args(out.as_bytes()), Some(vec![nasty.to_vec()]));
}

const SAMPLE: &str = "# Redis configuration sample\r\n\
    \n\
    bind 127.0.0.1 -::1\n\
    \x20  PORT 6380   \n\
    save 900 1\n\
    save \"\"\n\
    requirepass \"p@ss word\"\n\
    \t# indented comment\n\
    proc-title-template \"{title} {listen-addr} {server-mode}\"\n\
    notify-keyspace-events \"\"\n\
    client-output-buffer-limit normal 0 0 0\n\
    rename-command CONFIG ''\n\
    user alice on >pw ~* +@all\n";

#[test]
fn parses_embedded_sample() {
    let dirs = parse_config_text(SAMPLE).unwrap();
    let expect = "3:bind 127.0.0.1 -::1|4:PORT 6380|5:save 900 1|6:save \"\"|\
        7:requirepass \"p@ss word\"|\
        9:proc-title-template \"{title} {listen-addr} {server-mode}\"|\
        10:notify-keyspace-events \"\"|11:client-output-buffer-limit normal 0 0 0|\
        12:rename-command CONFIG ''|13:user alice on >pw ~* +@all";
    assert_eq!(summary(&dirs), expect);
    assert!(dirs.iter().all(|d| is_known_redis_directive(&d.name)));
    assert_eq!(
        (dirs[1].name.as_str(), &dirs[1].args),
        ("port", &words(&["6380"]))
    );
    assert_eq!(dirs[0].args, words(&["127.0.0.1", "-::1"]));
    assert_eq!(dirs[3].args, words(&[""]));
    assert_eq!(dirs[4].args, words(&["p@ss word"]));
    assert_eq!(
        dirs[5].args,
        words(&["{title} {listen-addr} {server-mode}"])
    );
    assert_eq!(dirs[8].args, words(&["CONFIG", ""]));
    assert_eq!(dirs[9].args.len(), 5);
}

#[test]
fn parses_debian_redis_conf_if_present() {
    let Ok(text) = std::fs::read("/etc/redis/redis.conf") else {
        return;
    };
    let dirs = parse_config_bytes(&text).unwrap();
    assert!(!dirs.is_empty());
    for d in &dirs {
        assert!(is_known_redis_directive(&d.name), "unknown {}", d.name);
    }
}

#[test]
fn error_text_matches_redis() {
    let block = |body: &str| format!("*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{body}");
    let err = parse_config_text("port 7101\nfoo \"x\"y\n").unwrap_err();
    let expect = block(
        "Reading the configuration file, at line 2\n>>> 'foo \"x\"y'\n\
                        Unbalanced quotes in configuration line",
    );
    assert_eq!((err.to_string(), err.line()), (expect, Some(2)));
    let d = &parse_config_text("port 7101\nfoo bar\n").unwrap()[1];
    let expect = block(
        "Reading the configuration file, at line 2\n>>> 'foo bar'\n\
                        Bad directive or wrong number of arguments",
    );
    assert_eq!(ConfigError::at(d, BAD_DIRECTIVE).to_string(), expect);
    let msg = "Can't open the log file: No such file or directory";
    assert_eq!(ConfigError::general(msg).to_string(), block(msg));
    let err = assemble_config(Some("/nonexistent/ember.conf"), "").unwrap_err();
    assert!(err.is_open_failure());
    let expect = "Fatal error, can't open config file '/nonexistent/ember.conf': \
                  No such file or directory";
    assert_eq!(err.to_string(), expect);
    // `include` takes exactly one argument.
    let err = parse_config_text("include a b").unwrap_err();
    assert_eq!((err.line(), err.message()), (Some(1), BAD_DIRECTIVE));
}

#[test]
fn includes_and_globs() {
    let dir = TempDir(std::env::temp_dir().join(format!("ember-inc-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let inner = dir.write("inner.conf", "a 1\nb 2\n");
    dir.write("g-b.conf", "zzz_b\n");
    dir.write("g-a.conf", "port 1\n");
    dir.write(".g-c.conf", "hidden\n");
    dir.write("g-n.conf", "no-newline");
    let (ab, none) = (dir.path("g-[ab]*.conf"), dir.path("nomatch-*.conf"));
    let main = format!("top 0\ninclude {inner}\n\ninclude {ab}\nINCLUDE '{none}'\nafter x\n");
    let dirs = parse_config_text(&main).unwrap();
    assert_eq!(
        summary(&dirs),
        "1:top 0|1:a 1|2:b 2|1:port 1|2:zzz_b|6:after x"
    );
    // Matches are concatenated, so a file without a final newline runs into the next.
    let all = parse_config_text(&format!("include {}", dir.path("g-*.conf"))).unwrap();
    assert_eq!(summary(&all), "1:port 1|2:zzz_b|3:no-newline");
    // Errors inside an included file use its own line numbers.
    let bad = dir.write("bad.conf", "ok 1\nfoo \"x\n");
    let err = parse_config_text(&format!("x\ny\ninclude {bad}")).unwrap_err();
    assert_eq!((err.line(), err.message()), (Some(2), UNBALANCED_QUOTES));
    // A missing plain include is fatal, reported like Redis does.
    let missing = dir.path("missing.conf");
    let err = parse_config_text(&format!("include {missing}")).unwrap_err();
    let expect = format!("Fatal error, can't open config file '{missing}': ");
    assert!(err.to_string().starts_with(&expect));
    // Include loops stop instead of overflowing the stack.
    let looped = dir.path("loop.conf");
    dir.write("loop.conf", &format!("include {looped}\n"));
    assert!(parse_config_text(&format!("include {looped}")).is_err());
    // The main config file may be a glob too.
    let text = assemble_config(Some(&dir.path("g-?.conf")), "\nextra 1").unwrap();
    assert_eq!(text, b"port 1\nzzz_b\nno-newline\nextra 1");
}

/// Arguments joined by '|' => the `line:text` of each directive they give. Rows with
/// `zzz` were checked against redis-server 7.0.15, which echoes that line in its error.
const CMDLINE_CASES: &str = r#"
--port|70|--save||--appendonly|no => 2:port "70"|3:save ""|4:appendonly "no"
--loglevel|verbose => 2:loglevel "verbose"
--replicaof|127.0.0.1|6379 => 2:replicaof "127.0.0.1" "6379"
--zzz|a b|c => 2:zzz "a b" "c"
--port|71|--save|--zzz => 2:port "71"|3:save ""|4:zzz
--port|71|--save => 2:port "71"|3:save ""
--save|--port => 2:save ""|3:port
--zzz|--port|7101 => 2:zzz "--port" "7101"
--zzz a|b => 2:zzz a "b"
--port|71|--zzz| => 2:port "71"|3:zzz ""
--port|71|--save 1 1|--zzz|1 => 2:port "71"|3:save 1 1|4:zzz "1"
--port => 2:port
--port|71|x|y|--zzz => 2:port "71" "x" "y"|3:zzz
-|--zzz => 2:zzz
--zzz|- => 2:zzz
--port|-|x => 2:port "-" "x"
--sentinel|--zzz => 2:sentinel|3:zzz
--SAVE|--zzz|x => 2:SAVE ""|3:zzz "x"
--zzz|--sentinel => 2:zzz "--sentinel"
"#;

#[test]
fn command_line_texts_match_redis_server() {
    for row in CMDLINE_CASES.lines().filter(|l| !l.is_empty()) {
        let (argv, expect) = row.split_once(" => ").unwrap();
        let (file, dirs) = cmdline(argv, "", "");
        assert_eq!((file, summary(&dirs).as_str()), (None, expect), "{argv:?}");
    }
    let (_, d) = cmdline("--zzz|q\"x\\y|n\nz|\x01", "", "");
    assert_eq!(d[0].text, r#"zzz "q\"x\\y" "n\nz" "\x01""#);
    assert_eq!(cmdline("--save|", "", "").1[0].args, words(&[""]));
    let (_, extra) = args_to_config_text(&["--port".into(), "7000".into()]).unwrap();
    assert_eq!(extra, "\nport \"7000\" ");
    assert_eq!(args_to_config_text(&[]).unwrap(), (None, String::new()));
}

#[test]
fn command_line_with_file_and_stdin() {
    // Options follow the file's lines after a "\n" (line 3 for a one-line file).
    let (file, d) = cmdline("b.conf|--foo|bar|--x", "port 7101\n", "");
    assert_eq!(file.as_deref(), Some("b.conf"));
    assert_eq!(summary(&d), r#"1:port 7101|3:foo "bar"|4:x"#);
    // Stdin ("-" first or last) goes between the file and the options.
    let (file, d) = cmdline("-|--zzz", "", "port 1\n");
    assert_eq!((file, summary(&d)), (None, "1:port 1|3:zzz".to_string()));
    let (file, d) = cmdline("f.conf|--a|1|-", "x 1", "y 2\n");
    assert_eq!(file.as_deref(), Some("f.conf"));
    assert_eq!(summary(&d), r#"1:x 1y 2|3:a "1""#);
    // Multi-argument configs split a single quoted value.
    let (_, d) = cmdline("--save|900 1|--replicaof|h 1", "", "");
    assert_eq!(d[0].args, words(&["900 1"]));
    assert_eq!(d[0].expanded_args(), words(&["900", "1"]));
    assert_eq!(d[1].expanded_args(), words(&["h", "1"]));
}

#[test]
fn known_directives() {
    let names: Vec<&str> = KNOWN_DIRECTIVES.split_ascii_whitespace().collect();
    assert_eq!(names.len(), 206);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    let known = "slaveof slave-read-only hash-max-ziplist-entries include rename-command \
                 user loadmodule sentinel lua-replicate-commands key-load-delay Port";
    for n in known.split(' ') {
        assert!(is_known_redis_directive(n), "{n}");
    }
    for n in ["foo", "", "por", "module.option"] {
        assert!(!is_known_redis_directive(n), "{n}");
    }
}
