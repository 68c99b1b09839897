//! README's "Supported commands" list must equal the command table.
//! Regenerate it with `EMBER_UPDATE_README=1 cargo test --test readme_commands`.

const BEGIN: &str = "<!-- commands:begin -->";
const END: &str = "<!-- commands:end -->";

/// The list as README shows it: one line per command, subcommands after
/// their container; every layer's commands (SAVE, RESTORE, REPLICAOF...).
fn expected_block() -> String {
    let engine = ember::builder().build();
    let mut rows: Vec<_> = engine.table.iter().collect();
    rows.sort_by_key(|c| c.name);
    let mut out = String::new();
    for c in rows {
        let mut line = format!("- `{}`", c.name.to_ascii_uppercase());
        if !c.subcommands.is_empty() {
            let mut subs: Vec<_> = c
                .subcommands
                .iter()
                .map(|s| s.name.to_ascii_uppercase())
                .collect();
            subs.sort();
            line.push_str(&format!(": {}", subs.join(", ")));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[test]
fn readme_lists_exactly_the_command_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let start = readme.find(BEGIN).expect("begin marker") + BEGIN.len();
    let end = readme.find(END).expect("end marker");
    let current = readme[start..end].trim_matches('\n');
    let want = expected_block();
    if std::env::var_os("EMBER_UPDATE_README").is_some() {
        let updated = format!("{}\n{}{}", &readme[..start], want, &readme[end..]);
        std::fs::write(path, updated).expect("write README.md");
        return;
    }
    assert_eq!(
        current,
        want.trim_end_matches('\n'),
        "README's command list is out of date: run EMBER_UPDATE_README=1 cargo test --test readme_commands"
    );
}
