//! The typed argument cursor every handler reads its arguments through.

use crate::error::CmdError;
use bytes::Bytes;
use ember_resp::num;

/// Walks a command's arguments (the command name already consumed).
pub struct Args<'a> {
    argv: &'a [Bytes],
    pos: usize,
}

impl<'a> Args<'a> {
    /// `argv` is the full command including its name at index 0; `skip` says how
    /// many leading words (name, subcommand) the cursor starts past.
    pub fn new(argv: &'a [Bytes], skip: usize) -> Self {
        Args {
            argv,
            pos: skip.min(argv.len()),
        }
    }

    /// The whole command line, name included (for propagation and errors).
    pub fn argv(&self) -> &'a [Bytes] {
        self.argv
    }

    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Everything not yet consumed.
    pub fn rest(&self) -> &'a [Bytes] {
        &self.argv[self.pos..]
    }

    pub fn peek(&self) -> Option<&'a Bytes> {
        self.argv.get(self.pos)
    }

    /// The next argument; arity checks guarantee required ones exist, so a missing
    /// one is a syntax error. (Fallible, so deliberately not `Iterator::next`.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<&'a Bytes, CmdError> {
        let a = self.argv.get(self.pos).ok_or(CmdError::Syntax)?;
        self.pos += 1;
        Ok(a)
    }

    pub fn next_opt(&mut self) -> Option<&'a Bytes> {
        let a = self.argv.get(self.pos)?;
        self.pos += 1;
        Some(a)
    }

    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next()?)
    }

    pub fn next_f64(&mut self) -> Result<f64, CmdError> {
        parse_f64(self.next()?)
    }

    /// Consumes the next argument if it equals `word` case-insensitively.
    pub fn eat(&mut self, word: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Takes the rest as consecutive pairs; an odd count is a wrong-arity error
    /// reported under `cmd`.
    pub fn pairs(&mut self, cmd: &str) -> Result<Vec<(&'a Bytes, &'a Bytes)>, CmdError> {
        let rest = self.rest();
        if rest.is_empty() || !rest.len().is_multiple_of(2) {
            return Err(CmdError::WrongArity(cmd.to_string()));
        }
        self.pos = self.argv.len();
        Ok(rest.chunks(2).map(|c| (&c[0], &c[1])).collect())
    }
}

/// C's `atoi`, as Redis's argument checks use it: leading blanks, an
/// optional sign, then digits up to the first other byte (0 when none); an
/// overflow saturates, as glibc's strtol underneath does.
pub fn atoi(s: &[u8]) -> i64 {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let s = &s[s.iter().take_while(|b| blank(b)).count()..];
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = digits
        .iter()
        .take_while(|d| d.is_ascii_digit())
        .fold(0i64, |v, d| {
            v.saturating_mul(10).saturating_add((d - b'0') as i64)
        });
    if neg {
        -v
    } else {
        v
    }
}

/// An integer argument with Redis's `string2ll` rules and error text.
pub fn parse_i64(b: &[u8]) -> Result<i64, CmdError> {
    num::parse_i64(b).ok_or(CmdError::NotInteger)
}

/// A float argument with Redis's `strtod` rules and error text.
pub fn parse_f64(b: &[u8]) -> Result<f64, CmdError> {
    num::parse_f64(b).ok_or(CmdError::NotFloat)
}

/// Case-insensitive comparison of an argument with a keyword.
pub fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_typed_values() {
        let argv: Vec<Bytes> = ["SET", "k", "12", "nx", "1.5"]
            .iter()
            .map(|s| Bytes::from(*s))
            .collect();
        let mut a = Args::new(&argv, 1);
        assert_eq!(a.next().unwrap().as_ref(), b"k");
        assert_eq!(a.next_i64().unwrap(), 12);
        assert!(!a.eat("XX"));
        assert!(a.eat("NX"));
        assert_eq!(a.next_f64().unwrap(), 1.5);
        assert!(a.is_empty());
        assert_eq!(a.next(), Err(CmdError::Syntax));
    }
}
