//! Collection value types, one file per type (as Redis's t_list.c, t_hash.c ...).
//! Each type chooses its own compact and large encodings and reports them under
//! Redis's names for `OBJECT ENCODING`.

pub mod hash;
pub mod list;
pub mod set;
pub mod zset;

pub use hash::HashValue;
pub use list::ListValue;
pub use set::SetValue;
pub use zset::ZSetValue;
