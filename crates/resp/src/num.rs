//! Number parsing and formatting with Redis's exact rules.
//!
//! Redis parses integers with its strict `string2ll` (no leading `+`, no leading
//! zeros, no spaces) and prints doubles with `printf("%.17g")`; replies must match
//! byte for byte, so neither Rust's `parse` nor its `Display` can be used directly.

/// Parses a signed 64-bit integer the way Redis's `string2ll` does.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    // The first digit must be 1-9: rejects "", "-", "01", "-0", "+1".
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses an unsigned 64-bit integer with the same strictness as [`parse_i64`].
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s == b"0" {
        return Some(0);
    }
    match s.first() {
        Some(b'1'..=b'9') if s.len() <= 20 => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// Parses a double as Redis's `getDoubleFromObject` accepts it: `strtod` over the
/// whole string, no leading space, no NaN, and no overflow to infinity or underflow
/// to zero (unless the text itself says `inf` or is zero).
///
/// Known gap: C's `strtod` also accepts hexadecimal floats (`0x1p3`); we do not.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.as_bytes()[0].is_ascii_whitespace() {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if v.is_infinite() && !lower.contains("inf") {
        return None; // ERANGE overflow
    }
    if v == 0.0
        && lower
            .bytes()
            .take_while(|c| *c != b'e')
            .any(|c| (b'1'..=b'9').contains(&c))
    {
        return None; // ERANGE underflow
    }
    Some(v)
}

/// Appends `d` formatted as C's `printf("%.17g", d)`.
pub fn write_g17(d: f64, out: &mut Vec<u8>) {
    write_g(d, 17, out)
}

/// `%.17g` as an owned string.
pub fn fmt_g17(d: f64) -> String {
    let mut v = Vec::with_capacity(24);
    write_g17(d, &mut v);
    String::from_utf8(v).expect("ascii")
}

/// Appends `d` formatted as C's `printf("%.<precision>g", d)`.
pub fn write_g(d: f64, precision: usize, out: &mut Vec<u8>) {
    if d.is_nan() {
        out.extend_from_slice(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    let p = precision.max(1);
    if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Integers with at most `p` digits print as themselves; skip the
    // exact-digit formatting below, which is slow for them (sorted set scores
    // are very often integers).
    if p >= 17 && d.fract() == 0.0 && d.abs() < 1e17 {
        out.extend_from_slice(itoa::Buffer::new().format(d as i64).as_bytes());
        return;
    }
    // Rust's `{:e}` with a precision rounds exactly (round-half-even on the exact
    // binary value), as glibc does; it gives us the P significant digits and X.
    let sci = format!("{:.*e}", p - 1, d);
    let (mantissa, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let neg = mantissa.starts_with('-');
    let digits: Vec<u8> = mantissa.bytes().filter(|c| c.is_ascii_digit()).collect();
    if neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= p as i32 {
        // Exponential style: d.ddd with trailing zeros removed, then e±XX.
        let mut last = digits.len();
        while last > 1 && digits[last - 1] == b'0' {
            last -= 1;
        }
        out.push(digits[0]);
        if last > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..last]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(e.to_string().as_bytes());
    } else {
        // Fixed style with P-1-X decimals, trailing zeros (and a bare point) removed.
        let mut s: Vec<u8> = Vec::with_capacity(p + 8);
        if exp < 0 {
            s.extend_from_slice(b"0.");
            s.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
            s.extend_from_slice(&digits);
        } else {
            let int_len = exp as usize + 1;
            s.extend_from_slice(&digits[..int_len]);
            if int_len < digits.len() {
                s.push(b'.');
                s.extend_from_slice(&digits[int_len..]);
            }
        }
        if s.contains(&b'.') {
            while s.last() == Some(&b'0') {
                s.pop();
            }
            if s.last() == Some(&b'.') {
                s.pop();
            }
        }
        out.extend_from_slice(&s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        for bad in [
            &b""[..],
            b"-",
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"0x1",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
    }

    #[test]
    fn doubles_parse_like_strtod() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e5"), Some(1e5));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"0"), Some(0.0));
        assert_eq!(parse_f64(b"0e10"), Some(0.0));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"abc", b"1e999", b"1e-999"] {
            assert_eq!(parse_f64(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn g17_matches_printf() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000001"),
            (3.0, "3"),
            (1e20, "1e+20"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.5, "1.5"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (12345678901234567.0, "12345678901234568"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-2.5, "-2.5"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (d, want) in cases {
            assert_eq!(fmt_g17(*d), *want, "{d}");
        }
    }
}
