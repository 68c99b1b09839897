//! The one error type of command execution, carrying Redis's exact texts.
//!
//! Handlers return `Err(CmdError::...)`; the only conversion to a wire reply is
//! `impl From<CmdError> for Reply` below, so every error text lives in this file.

use ember_resp::Reply;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
pub enum CmdError {
    /// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' `
    /// Name and arguments are raw bytes: Redis echoes them unchanged.
    UnknownCommand {
        name: Vec<u8>,
        args: Vec<Vec<u8>>,
    },
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        sub: String,
        container: String,
    },
    /// `ERR wrong number of arguments for '<name>' command`
    WrongArity(String),
    WrongType,
    Syntax,
    NotInteger,
    NotFloat,
    Overflow,
    NoSuchKey,
    OutOfRange,
    /// `ERR invalid expire time in '<cmd>' command`
    InvalidExpire(&'static str),
    /// `ERR DB index is out of range`
    DbIndexOutOfRange,
    /// Any other error: the full text including its code word (`ERR ...`, `BUSYKEY ...`).
    Other(Cow<'static, str>),
}

impl CmdError {
    pub fn other(text: impl Into<Cow<'static, str>>) -> Self {
        CmdError::Other(text.into())
    }

    /// Redis's addReplySubcommandSyntaxError: a subcommand given arguments it
    /// does not take (or none it needs), named as typed (128 characters at
    /// most) with its container's name in capitals.
    pub fn subcommand_syntax(argv: &[bytes::Bytes]) -> Self {
        let sub: String = String::from_utf8_lossy(&argv[1])
            .chars()
            .take(128)
            .collect();
        CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
            String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
        ))
    }

    /// An `ERR` error with the given message.
    pub fn err(msg: impl std::fmt::Display) -> Self {
        CmdError::Other(Cow::Owned(format!("ERR {msg}")))
    }

    /// The error text as bytes: only UNKNOWN COMMAND can carry bytes that are
    /// not UTF-8 (the command line is quoted verbatim, as Redis's `%s` does).
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            CmdError::UnknownCommand { name, args } => {
                // Redis stops listing once the argument text reaches 128 bytes, and
                // truncates each argument to what is left of that budget.
                let mut listed = Vec::new();
                for a in args {
                    if listed.len() >= 128 {
                        break;
                    }
                    let room = 128 - listed.len();
                    listed.push(b'\'');
                    listed.extend_from_slice(&a[..a.len().min(room)]);
                    listed.extend_from_slice(b"' ");
                }
                let mut out = b"ERR unknown command '".to_vec();
                out.extend_from_slice(&name[..name.len().min(128)]);
                out.extend_from_slice(b"', with args beginning with: ");
                out.extend_from_slice(&listed);
                out
            }
            other => other.text().as_bytes().to_vec(),
        }
    }

    pub fn text(&self) -> Cow<'static, str> {
        match self {
            CmdError::UnknownCommand { .. } => {
                Cow::Owned(String::from_utf8_lossy(&self.bytes()).into_owned())
            }
            CmdError::UnknownSubcommand { sub, container } => Cow::Owned(format!(
                "ERR unknown subcommand '{}'. Try {} HELP.",
                truncate(sub, 128),
                container.to_ascii_uppercase()
            )),
            CmdError::WrongArity(name) => Cow::Owned(format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
            CmdError::WrongType => {
                Cow::Borrowed("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CmdError::Syntax => Cow::Borrowed("ERR syntax error"),
            CmdError::NotInteger => Cow::Borrowed("ERR value is not an integer or out of range"),
            CmdError::NotFloat => Cow::Borrowed("ERR value is not a valid float"),
            CmdError::Overflow => Cow::Borrowed("ERR increment or decrement would overflow"),
            CmdError::NoSuchKey => Cow::Borrowed("ERR no such key"),
            CmdError::OutOfRange => Cow::Borrowed("ERR index out of range"),
            CmdError::InvalidExpire(cmd) => {
                Cow::Owned(format!("ERR invalid expire time in '{cmd}' command"))
            }
            CmdError::DbIndexOutOfRange => Cow::Borrowed("ERR DB index is out of range"),
            CmdError::Other(s) => s.clone(),
        }
    }
}

/// Redis prints user strings into errors with `%.128s`.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl From<CmdError> for Reply {
    fn from(e: CmdError) -> Reply {
        match e {
            CmdError::UnknownCommand { .. } => match String::from_utf8(e.bytes()) {
                Ok(text) => Reply::Error(Cow::Owned(text)),
                Err(raw) => Reply::ErrorBytes(raw.into_bytes().into()),
            },
            e => Reply::Error(e.text()),
        }
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::error::Error for CmdError {}

pub type CmdResult = Result<Reply, CmdError>;
