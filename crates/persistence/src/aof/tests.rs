//! AOF tests: see the module docs.
