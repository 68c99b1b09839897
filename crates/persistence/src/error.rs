//! Why RDB input could not be loaded (or output written).

use std::fmt;

#[derive(Debug)]
pub enum RdbError {
    /// Reading or writing failed (other than the input ending early).
    Io(std::io::Error),
    /// The input ended in the middle of the data.
    Truncated,
    /// The input is not an RDB file (no `REDIS` signature).
    Signature,
    /// An RDB version this server cannot read (Redis 7.0 reads 1..=10).
    Version(u32),
    /// The stored CRC-64 does not match the data.
    Checksum { expected: u64, stored: u64 },
    /// Malformed data; the text says what.
    Corrupt(String),
    /// Well-formed data of a kind Ember does not hold (streams, modules,
    /// functions); the text says what.
    Unsupported(String),
    /// A SELECTDB beyond the configured number of databases.
    TooManyDatabases { db: u64, databases: usize },
    /// The same key twice in one database.
    DuplicateKey { db: usize, key: Vec<u8> },
}

impl RdbError {
    pub fn corrupt(what: impl Into<String>) -> RdbError {
        RdbError::Corrupt(what.into())
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Io(e) => write!(f, "{e}"),
            RdbError::Truncated => write!(f, "Unexpected EOF reading RDB file"),
            RdbError::Signature => write!(f, "Wrong signature trying to load DB from file"),
            RdbError::Version(v) => write!(f, "Can't handle RDB format version {v}"),
            RdbError::Checksum { expected, stored } => write!(
                f,
                "Wrong RDB checksum expected: ({expected:x}) but got ({stored:x}). Aborting now."
            ),
            RdbError::Corrupt(what) => write!(f, "Internal error in RDB reading: {what}"),
            RdbError::Unsupported(what) => write!(f, "{what}"),
            RdbError::TooManyDatabases { databases, .. } => write!(
                f,
                "FATAL: Data file was created with a Redis server configured to handle more \
                 than {databases} databases. Exiting"
            ),
            RdbError::DuplicateKey { db, key } => write!(
                f,
                "RDB has duplicated key '{}' in DB {db}",
                String::from_utf8_lossy(key)
            ),
        }
    }
}

impl std::error::Error for RdbError {}

impl From<std::io::Error> for RdbError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            RdbError::Truncated
        } else {
            RdbError::Io(e)
        }
    }
}

pub type Result<T> = std::result::Result<T, RdbError>;
