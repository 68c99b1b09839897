//! RESP wire format for Ember: the resumable request parser, the [`Reply`] value
//! that command handlers return, and the encoder that turns it into RESP2 or RESP3.
//!
//! This crate is the only place that knows the difference between the two protocol
//! versions; everything above it speaks in [`Reply`] values.

mod encode;
pub mod num;
mod parser;
mod reply;

pub use encode::{encode, encode_owned};
pub use parser::{ProtocolError, RequestParser, DEFAULT_MAX_BULK_LEN, INLINE_MAX_SIZE};
pub use reply::{BulkArray, BulkIter, BulkKind, Proto, Reply};
