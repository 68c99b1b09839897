//! PSYNC2 replication ids (Redis's `replid`/`replid2`): the id of the history
//! this server's stream belongs to, and the previous one, valid up to
//! `second_repl_offset`, so that replicas of a former master continue
//! partially from a promoted replica (`master_replid2`, `second_repl_offset`).

use ember_core::Engine;

/// Where the previous history ends (`second_repl_offset`; -1 = none).
pub struct SecondId {
    pub offset: i64,
}

impl Default for SecondId {
    fn default() -> Self {
        SecondId { offset: -1 }
    }
}

/// `second_repl_offset`: the last offset + 1 up to which `master_replid2` is valid.
pub fn second_offset(engine: &Engine) -> i64 {
    engine.ext.get::<SecondId>().map_or(-1, |s| s.offset)
}

fn set_second_offset(engine: &mut Engine, offset: i64) {
    engine.ext.get_or_default::<SecondId>().offset = offset;
}

/// Redis's shiftReplicationId: the current id becomes `master_replid2`,
/// valid up to the current stream offset + 1, and a new random id starts
/// (REPLICAOF NO ONE on a replica that was connected to a master).
pub fn shift_replid(engine: &mut Engine) {
    let new = ember_core::cmd::server::random_hex40(&mut engine.rng);
    shift_replid_to(engine, new);
}

/// Like [`shift_replid`] with a given new id (a replica whose master answered
/// `+CONTINUE <newid>` after the master itself changed history).
pub fn shift_replid_to(engine: &mut Engine, new_id: String) {
    let offset = crate::master::master_offset(engine);
    engine.replid2 = std::mem::replace(&mut engine.replid, new_id);
    set_second_offset(engine, offset as i64 + 1);
}

/// Redis's clearReplicationId2: forgets the previous history (a full sync
/// from a master, DEBUG CHANGE-REPL-ID).
pub fn clear_replid2(engine: &mut Engine) {
    engine.replid2 = "0".repeat(40);
    set_second_offset(engine, -1);
}

/// Adopts `replid` as the current id (after `+FULLRESYNC <replid> <offset>`)
/// and forgets the previous one.
pub fn set_replid(engine: &mut Engine, replid: String) {
    engine.replid = replid;
    clear_replid2(engine);
}

/// Redis's PSYNC acceptance test on ids: the replica's history is ours, or
/// our previous one and it does not ask past where that one ended.
pub fn history_matches(engine: &Engine, replid: &[u8], psync_offset: i64) -> bool {
    if replid.eq_ignore_ascii_case(engine.replid.as_bytes()) {
        return true;
    }
    let second = second_offset(engine);
    second >= 0 && replid.eq_ignore_ascii_case(engine.replid2.as_bytes()) && psync_offset <= second
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_keeps_the_old_history_up_to_the_offset() {
        let mut e = crate::build(Engine::builder());
        let old = e.replid.clone();
        assert_eq!(second_offset(&e), -1);
        assert!(!history_matches(
            &e,
            b"0000000000000000000000000000000000000000",
            1
        ));
        shift_replid(&mut e);
        assert_ne!(e.replid, old);
        assert_eq!(e.replid2, old);
        assert_eq!(second_offset(&e), 1);
        assert!(history_matches(&e, old.as_bytes(), 1));
        assert!(!history_matches(&e, old.as_bytes(), 2));
        let cur = e.replid.clone();
        assert!(history_matches(&e, cur.as_bytes(), 100));
        clear_replid2(&mut e);
        assert!(!history_matches(&e, old.as_bytes(), 1));
        assert_eq!(e.replid2, "0".repeat(40));
    }
}
