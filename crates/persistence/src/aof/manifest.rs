//! The AOF manifest: `<appendfilename>.manifest` in `appenddirname`, one line
//! per file (`file appendonly.aof.1.base.rdb seq 1 type b`), the base first,
//! then history files, then incr files, as Redis 7.0 writes and reads it.

use ember_core::config_rewrite::{repr, split_args};
use std::fs::File;
use std::io::Write;
use std::path::Path;

pub const BASE_SUFFIX: &str = ".base";
pub const INCR_SUFFIX: &str = ".incr";
pub const RDB_SUFFIX: &str = ".rdb";
pub const AOF_SUFFIX: &str = ".aof";
pub const MANIFEST_SUFFIX: &str = ".manifest";
pub const TEMP_PREFIX: &str = "temp-";
/// Redis reads manifest lines with a 1024-byte buffer.
const MAX_LINE: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Base,
    History,
    Incr,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Base => 'b',
            Kind::History => 'h',
            Kind::Incr => 'i',
        }
    }
}

/// One file the manifest lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: i64,
    pub kind: Kind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub history: Vec<AofFile>,
    pub incr: Vec<AofFile>,
    pub base_seq: i64,
    pub incr_seq: i64,
    /// Changed since it was last written.
    pub dirty: bool,
}

/// Why a manifest could not be read; `line` is (number, text) of the bad line.
#[derive(Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub line: Option<(usize, String)>,
    pub msg: &'static str,
}

/// C's atoll: the leading decimal integer, 0 when there is none.
fn atoll(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add((c - b'0') as i64);
    }
    if neg {
        n.wrapping_neg()
    } else {
        n
    }
}

/// Redis's sdsneedsrepr: names with spaces, quotes or control bytes are quoted.
fn needs_repr(s: &str) -> bool {
    s.bytes().any(|c| {
        matches!(c, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 7 | 8)
            || !(c.is_ascii_graphic() || c == b' ')
            || c.is_ascii_whitespace()
    })
}

impl Manifest {
    /// Parses a manifest (Redis's aofLoadManifestFromFile).
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut am = Manifest::default();
        let mut maxseq = 0i64;
        let mut rest = text;
        let mut linenum = 0usize;
        if text.is_empty() {
            return Err(ManifestError {
                line: None,
                msg: "Found an empty AOF manifest",
            });
        }
        while !rest.is_empty() {
            // fgets: up to MAX_LINE bytes or through the newline.
            let take = match rest.iter().take(MAX_LINE).position(|&c| c == b'\n') {
                Some(p) => p + 1,
                None => rest.len().min(MAX_LINE),
            };
            let (raw, tail) = rest.split_at(take);
            rest = tail;
            linenum += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let shown = String::from_utf8_lossy(raw.trim_ascii()).into_owned();
            let err = |msg| ManifestError {
                line: Some((linenum, shown.clone())),
                msg,
            };
            if raw.last() != Some(&b'\n') {
                return Err(err("The AOF manifest file contains too long line"));
            }
            let line = raw.trim_ascii();
            if line.is_empty() {
                return Err(err("Invalid AOF manifest file format"));
            }
            let argv = match split_args(line) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return Err(err("Invalid AOF manifest file format")),
            };
            let (mut name, mut seq, mut kind) = (None::<String>, 0i64, 0u8);
            for pair in argv.chunks(2) {
                let (k, v) = (&pair[0], &pair[1]);
                if k.eq_ignore_ascii_case(b"file") {
                    if v.contains(&b'/') {
                        return Err(err("File can't be a path, just a filename"));
                    }
                    name = Some(String::from_utf8_lossy(v).into_owned());
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    kind = v.first().copied().unwrap_or(0);
                }
            }
            let name = match name {
                Some(n) if !n.is_empty() && seq != 0 && kind != 0 => n,
                _ => return Err(err("Invalid AOF manifest file format")),
            };
            match kind {
                b'b' => {
                    if am.base.is_some() {
                        return Err(err("Found duplicate base file information"));
                    }
                    am.base = Some(AofFile {
                        name,
                        seq,
                        kind: Kind::Base,
                    });
                    am.base_seq = seq;
                }
                b'h' => am.history.push(AofFile {
                    name,
                    seq,
                    kind: Kind::History,
                }),
                b'i' => {
                    if seq <= maxseq {
                        return Err(err("Found a non-monotonic sequence number"));
                    }
                    am.incr.push(AofFile {
                        name,
                        seq,
                        kind: Kind::Incr,
                    });
                    am.incr_seq = seq;
                    maxseq = seq;
                }
                _ => return Err(err("Unknown AOF file type")),
            }
        }
        if linenum == 0 {
            return Err(ManifestError {
                line: None,
                msg: "Found an empty AOF manifest",
            });
        }
        Ok(am)
    }

    /// The manifest's text (Redis's getAofManifestAsString).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in self.base.iter().chain(&self.history).chain(&self.incr) {
            let name = if needs_repr(&f.name) {
                repr(f.name.as_bytes())
            } else {
                f.name.clone()
            };
            s.push_str(&format!(
                "file {name} seq {} type {}\n",
                f.seq,
                f.kind.letter()
            ));
        }
        s
    }

    /// True when it lists no base and no incr file.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incr.is_empty()
    }

    /// Names the next base file, turning the current one into history.
    pub fn new_base(&mut self, filename: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = Kind::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let fmt = if rdb { RDB_SUFFIX } else { AOF_SUFFIX };
        let name = format!("{filename}.{}{BASE_SUFFIX}{fmt}", self.base_seq);
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: Kind::Base,
        });
        self.dirty = true;
        name
    }

    /// Names and lists the next incr file.
    pub fn new_incr(&mut self, filename: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{filename}.{}{INCR_SUFFIX}{AOF_SUFFIX}", self.incr_seq);
        self.incr.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: Kind::Incr,
        });
        self.dirty = true;
        name
    }

    /// The last incr file, or a new one when there is none.
    pub fn last_incr_or_new(&mut self, filename: &str) -> String {
        match self.incr.last() {
            Some(f) => f.name.clone(),
            None => self.new_incr(filename),
        }
    }

    /// After a rewrite, every incr file but the one being written (when
    /// `keep_last`) becomes history (Redis's markRewrittenIncrAofAsHistory).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        if self.incr.is_empty() {
            return;
        }
        let keep = usize::from(keep_last).min(self.incr.len());
        let moved: Vec<AofFile> = self.incr.drain(..self.incr.len() - keep).collect();
        // Redis walks from the newest and pushes each at the head.
        for mut f in moved.into_iter().rev() {
            f.kind = Kind::History;
            self.history.insert(0, f);
        }
        self.dirty = true;
    }
}

/// `<appendfilename>.manifest`.
pub fn manifest_name(filename: &str) -> String {
    format!("{filename}{MANIFEST_SUFFIX}")
}

/// The temporary incr file used while AOF is being switched on.
pub fn temp_incr_name(filename: &str) -> String {
    format!("{TEMP_PREFIX}{filename}{INCR_SUFFIX}")
}

/// Fsyncs a directory so renames and new files in it are durable.
pub fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes the manifest if it changed: temporary file, fsync, rename, fsync
/// of the directory (Redis's persistAofManifest).
pub fn persist(dir: &Path, filename: &str, am: &mut Manifest) -> std::io::Result<()> {
    if !am.dirty {
        return Ok(());
    }
    let name = manifest_name(filename);
    let tmp_name = format!("{TEMP_PREFIX}{name}");
    let tmp = dir.join(&tmp_name);
    let result = (|| {
        let mut f = File::create(&tmp).inspect_err(|e| {
            tracing::warn!("Can't open the AOF manifest file {tmp_name}: {e}");
        })?;
        f.write_all(am.to_text().as_bytes()).inspect_err(|e| {
            tracing::warn!("Error trying to write the temporary AOF manifest file {tmp_name}: {e}");
        })?;
        f.sync_data().inspect_err(|e| {
            tracing::warn!("Fail to fsync the temp AOF file {tmp_name}: {e}.");
        })?;
        std::fs::rename(&tmp, dir.join(&name)).inspect_err(|e| {
            tracing::warn!(
                "Error trying to rename the temporary AOF manifest file {tmp_name} into {name}: {e}"
            );
        })?;
        fsync_dir(dir).inspect_err(|e| {
            tracing::warn!(
                "Fail to fsync AOF directory {}: {e}.",
                dir.join(&name).display()
            );
        })
    })();
    if result.is_ok() {
        am.dirty = false;
    }
    result
}

/// Reads the manifest from `dir` (Redis's aofLoadManifestFromDisk): a missing
/// directory or manifest is an empty manifest; a bad one is an error, logged
/// as Redis logs it.
pub fn load(dir: &Path, filename: &str) -> Result<Manifest, String> {
    if !dir.is_dir() {
        tracing::debug!("The AOF directory {} doesn't exist", dir.display());
        return Ok(Manifest::default());
    }
    let name = manifest_name(filename);
    let path = dir.join(&name);
    if !path.exists() {
        tracing::debug!("The AOF manifest file {name} doesn't exist");
        return Ok(Manifest::default());
    }
    let text = std::fs::read(&path).map_err(|e| {
        let msg = format!(
            "Fatal error: can't open the AOF manifest file {} for reading: {e}",
            path.display()
        );
        tracing::warn!("{msg}");
        msg
    })?;
    Manifest::parse(&text).map_err(|e| {
        tracing::warn!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if let Some((n, line)) = &e.line {
            tracing::warn!("Reading the manifest file, at line {n}\n");
            tracing::warn!(">>> '{line}'\n");
        }
        tracing::warn!("{}\n", e.msg);
        e.msg.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_redis_7_0() {
        let mut am = Manifest::default();
        assert_eq!(
            am.new_base("appendonly.aof", true),
            "appendonly.aof.1.base.rdb"
        );
        assert_eq!(am.new_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        assert_eq!(
            am.to_text(),
            "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        assert_eq!(
            Manifest::parse(am.to_text().as_bytes()).unwrap().incr,
            am.incr
        );
    }

    #[test]
    fn rewrite_moves_files_to_history() {
        let mut am = Manifest::default();
        am.new_base("a", true);
        am.new_incr("a");
        am.new_incr("a");
        am.new_base("a", false);
        am.mark_rewritten_incr_as_history(true);
        assert_eq!(
            am.to_text(),
            "file a.2.base.aof seq 2 type b\nfile a.1.incr.aof seq 1 type h\n\
             file a.1.base.rdb seq 1 type h\nfile a.2.incr.aof seq 2 type i\n"
        );
        let back = Manifest::parse(am.to_text().as_bytes()).unwrap();
        assert_eq!(
            (back.base_seq, back.incr_seq, back.history.len()),
            (2, 2, 2)
        );
    }

    #[test]
    fn quoted_names_round_trip() {
        let mut am = Manifest::default();
        am.new_base("my file", true);
        assert_eq!(am.to_text(), "file \"my file.1.base.rdb\" seq 1 type b\n");
        let back = Manifest::parse(am.to_text().as_bytes()).unwrap();
        assert_eq!(back.base.unwrap().name, "my file.1.base.rdb");
    }

    #[test]
    fn bad_manifests_are_refused_as_redis_does() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "Found an empty AOF manifest"),
            (
                b"file a seq 1 type b",
                "The AOF manifest file contains too long line",
            ),
            (b"\n", "Invalid AOF manifest file format"),
            (b"file a seq 1\n", "Invalid AOF manifest file format"),
            (b"file a seq 0 type b\n", "Invalid AOF manifest file format"),
            (
                b"file d/a seq 1 type b\n",
                "File can't be a path, just a filename",
            ),
            (
                b"file a seq 1 type b\nfile b seq 2 type b\n",
                "Found duplicate base file information",
            ),
            (
                b"file a seq 2 type i\nfile b seq 2 type i\n",
                "Found a non-monotonic sequence number",
            ),
            (b"file a seq 1 type x\n", "Unknown AOF file type"),
        ];
        for (text, msg) in cases {
            assert_eq!(Manifest::parse(text).unwrap_err().msg, *msg, "{text:?}");
        }
        // Comments are skipped; unknown keys are accepted (forward compatibility).
        let am = Manifest::parse(b"# hi\nfile a seq 1 type b extra 1\n").unwrap();
        assert_eq!(am.base.unwrap().name, "a");
    }
}
