use super::*;

#[test]
fn placeholder() {
    assert_eq!(Policy::parse("allkeys-lru"), Policy::AllKeysLru);
}
