//! Timeout parsing (Redis's getTimeoutFromObjectOrReply on a long double,
//! rounded up to the millisecond).

use super::*;

const NOW: i64 = 1_700_000_000_000;

fn parse(s: &str) -> Result<Option<i64>, String> {
    parse_timeout(s.as_bytes(), NOW)
        .map(|d| d.map(|at| at - NOW))
        .map_err(|e| e.text().into_owned())
}

#[test]
fn timeouts_in_seconds_become_deadlines() {
    assert_eq!(parse("0"), Ok(None));
    assert_eq!(parse("0.0"), Ok(None));
    assert_eq!(parse("-0"), Ok(None));
    assert_eq!(parse("1"), Ok(Some(1000)));
    assert_eq!(parse("0.1"), Ok(Some(100)));
    assert_eq!(parse("1.5"), Ok(Some(1500)));
    assert_eq!(parse("0x10"), Ok(Some(16000)));
    assert_eq!(parse("1e-300"), Ok(Some(1)));
    assert_eq!(parse("0.0001"), Ok(Some(1)));
    assert_eq!(parse("-0.0001"), Ok(None));
}

#[test]
fn bad_timeouts() {
    let not_float = Err("ERR timeout is not a float or out of range".to_string());
    let negative = Err("ERR timeout is negative".to_string());
    for s in ["", "x", " 1", "1 ", "nan", "1e5000"] {
        assert_eq!(parse(s), not_float, "{s:?}");
    }
    for s in ["-1", "-0.5", "inf", "-inf", "1e30", "9223372036854775.808"] {
        assert_eq!(parse(s), negative, "{s:?}");
    }
    // Past the end of time: never times out.
    assert_eq!(parse("9223372036854775"), Ok(None));
}
