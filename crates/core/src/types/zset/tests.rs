use super::*;

const SMALL: Limits = Limits {
    max_entries: 4,
    max_value: 8,
};

fn plain() -> AddFlags {
    AddFlags::default()
}

fn pairs(z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
    z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
}

#[test]
fn converts_where_redis_does() {
    let mut z = ZSetValue::for_first_member(1, SMALL);
    for (i, m) in ["a", "b", "c", "d"].iter().enumerate() {
        assert_eq!(
            z.add(m.as_bytes(), i as f64, plain(), SMALL),
            Ok(AddOutcome::Added(i as f64))
        );
    }
    assert_eq!(z.encoding(), "listpack");
    // Updating an existing member never converts.
    assert_eq!(
        z.add(b"a", 10.0, plain(), SMALL),
        Ok(AddOutcome::Updated(10.0))
    );
    assert_eq!(z.encoding(), "listpack");
    assert_eq!(z.add(b"e", 5.0, plain(), SMALL), Ok(AddOutcome::Added(5.0)));
    assert_eq!(z.encoding(), "skiplist");
    assert_eq!(
        pairs(&z).iter().map(|p| p.0[0]).collect::<Vec<_>>(),
        b"bcdea".to_vec()
    );
    let mut y = ZSetValue::for_first_member(1, SMALL);
    y.add(b"a", 1.0, plain(), SMALL).unwrap();
    y.add(b"123456789", 1.0, plain(), SMALL).unwrap();
    assert_eq!(y.encoding(), "skiplist");
    assert_eq!(ZSetValue::for_first_member(9, SMALL).encoding(), "skiplist");
    let zero = Limits::new(0, 64);
    assert_eq!(ZSetValue::for_first_member(1, zero).encoding(), "skiplist");
}

#[test]
fn flags_follow_zset_add() {
    for big in [false, true] {
        let lim = if big { Limits::new(0, 0) } else { SMALL };
        let mut z = ZSetValue::for_first_member(1, lim);
        z.add(b"a", 1.0, plain(), lim).unwrap();
        let nx = AddFlags {
            nx: true,
            ..plain()
        };
        let xx = AddFlags {
            xx: true,
            ..plain()
        };
        let gt = AddFlags {
            gt: true,
            ..plain()
        };
        let lt = AddFlags {
            lt: true,
            ..plain()
        };
        let incr = AddFlags {
            incr: true,
            ..plain()
        };
        assert_eq!(z.add(b"a", 5.0, nx, lim), Ok(AddOutcome::Nop));
        assert_eq!(z.add(b"b", 5.0, xx, lim), Ok(AddOutcome::Nop));
        assert_eq!(z.add(b"a", 0.0, gt, lim), Ok(AddOutcome::Nop));
        assert_eq!(z.add(b"a", 2.0, gt, lim), Ok(AddOutcome::Updated(2.0)));
        assert_eq!(z.add(b"a", 3.0, lt, lim), Ok(AddOutcome::Nop));
        assert_eq!(
            z.add(b"a", 2.0, plain(), lim),
            Ok(AddOutcome::Unchanged(2.0))
        );
        assert_eq!(z.add(b"a", 0.5, incr, lim), Ok(AddOutcome::Updated(2.5)));
        assert_eq!(z.add(b"c", 0.5, incr, lim), Ok(AddOutcome::Added(0.5)));
        z.add(b"i", f64::INFINITY, plain(), lim).unwrap();
        assert_eq!(z.add(b"i", f64::NEG_INFINITY, incr, lim), Err(NotANumber));
        assert_eq!(z.add(b"x", f64::NAN, plain(), lim), Err(NotANumber));
        assert_eq!(z.rank(b"a"), Some(1));
        assert_eq!(z.score(b"i"), Some(f64::INFINITY));
        assert!(z.remove(b"a") && !z.remove(b"a"));
        assert_eq!(z.len(), 2);
    }
}

#[test]
fn ranges_agree_across_encodings() {
    let entries: Vec<(&[u8], f64)> = (0..10)
        .map(|i| (&b"abcdefghij"[i..i + 1], (i / 2) as f64))
        .collect();
    let lp = ZSetValue::from_sorted(&entries, Limits::new(128, 64));
    let sl = ZSetValue::from_sorted(&entries, Limits::new(0, 64));
    assert_eq!((lp.encoding(), sl.encoding()), ("listpack", "skiplist"));
    for (min, max) in [
        ("1", "3"),
        ("(1", "3"),
        ("-inf", "+inf"),
        ("(4", "+inf"),
        ("5", "6"),
        ("3", "1"),
        ("2", "(2"),
    ] {
        let r = ScoreRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        assert_eq!(lp.first_in_range(&r), sl.first_in_range(&r), "{min} {max}");
        assert_eq!(lp.last_in_range(&r), sl.last_in_range(&r), "{min} {max}");
        assert_eq!(lp.count_in_range(&r), sl.count_in_range(&r));
    }
    let zeros: Vec<(&[u8], f64)> = entries.iter().map(|(m, _)| (*m, 0.0)).collect();
    let same = ZSetValue::from_sorted(&zeros, Limits::new(128, 64));
    let same_big = ZSetValue::from_sorted(&zeros, Limits::new(0, 64));
    for (min, max) in [
        ("-", "+"),
        ("[b", "(e"),
        ("(a", "[a"),
        ("[k", "+"),
        ("-", "(a"),
    ] {
        let r = LexRange::parse(min.as_bytes(), max.as_bytes()).unwrap();
        assert_eq!(
            same.first_in_lex(&r),
            same_big.first_in_lex(&r),
            "{min} {max}"
        );
        assert_eq!(
            same.last_in_lex(&r),
            same_big.last_in_lex(&r),
            "{min} {max}"
        );
        assert_eq!(same.count_in_lex(&r), same_big.count_in_lex(&r));
    }
    let rev: Vec<_> = sl.iter_from(3, true).map(|p| p.0[0]).collect();
    assert_eq!(rev, b"dcba".to_vec());
    let rev: Vec<_> = lp.iter_from(3, true).map(|p| p.0[0]).collect();
    assert_eq!(rev, b"dcba".to_vec());
    assert_eq!(lp.iter_from(8, false).count(), 2);
    assert_eq!(lp.iter_from(20, false).count(), 0);
}

#[test]
fn removal_and_pops() {
    for lim in [Limits::new(128, 64), Limits::new(0, 64)] {
        let entries: Vec<(&[u8], f64)> = (0..10)
            .map(|i| (&b"abcdefghij"[i..i + 1], i as f64))
            .collect();
        let mut z = ZSetValue::from_sorted(&entries, lim);
        assert_eq!(z.remove_range(2, 4), 3);
        assert_eq!(z.remove_range(20, 30), 0);
        assert_eq!(z.pop(false), Some((b"a".to_vec(), 0.0)));
        assert_eq!(z.pop(true), Some((b"j".to_vec(), 9.0)));
        assert_eq!(z.len(), 5);
        assert_eq!(z.score(b"c"), None);
        assert_eq!(z.rank(b"f"), Some(1));
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = z.scan(cursor, |m, _| seen.push(m.to_vec()));
            if cursor == 0 {
                break;
            }
        }
        seen.sort();
        assert_eq!(seen.len(), 5);
        let mut rng = rand::thread_rng();
        assert!(z.random(&mut rng).is_some());
    }
}
