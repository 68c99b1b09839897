//! Score and lexicographic ranges of the sorted set commands, and the C
//! `strtod` they are parsed with (Redis's zslParseRange, zslParseLexRange,
//! getDoubleFromObject).

use std::cmp::Ordering;

/// `[min, max]` with optional open ends (`(1.5`), as ZRANGEBYSCORE takes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// Redis's zslParseRange: `(` makes a bound exclusive; the rest goes through
    /// `strtod`, which may leave nothing unparsed but a NUL byte. Leading
    /// blanks, hex floats, `inf` and out-of-range values are accepted; NaN is not.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, minex) = parse_bound(min)?;
        let (max, maxex) = parse_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True for ranges that can hold nothing (min > max, or equal with an open end).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

fn parse_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, ex) = match arg.first() {
        Some(b'(') => (&arg[1..], true),
        _ => (arg, false),
    };
    let (v, used) = strtod(text);
    // The C string ends at the first NUL: strtod must have reached it.
    if used < text.len() && text[used] != 0 {
        return None;
    }
    (!v.is_nan()).then_some((v, ex))
}

/// One end of a lexicographic range: `-`, `+` or a string.
#[derive(Clone, Debug, PartialEq)]
pub enum LexItem {
    Min,
    Max,
    Str(Vec<u8>),
}

impl LexItem {
    /// Redis's sdscmplex for a member against a bound.
    fn cmp_member(&self, member: &[u8]) -> Ordering {
        match self {
            LexItem::Min => Ordering::Greater,
            LexItem::Max => Ordering::Less,
            LexItem::Str(s) => member.cmp(s),
        }
    }
}

/// `[a`, `(a`, `-`, `+` pairs as ZRANGEBYLEX takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexItem,
    pub max: LexItem,
    pub minex: bool,
    pub maxex: bool,
}

impl LexRange {
    /// Redis's zslParseLexRange.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        let (min, minex) = parse_lex_item(min)?;
        let (max, maxex) = parse_lex_item(max)?;
        Some(LexRange {
            min,
            max,
            minex,
            maxex,
        })
    }

    pub fn gte_min(&self, member: &[u8]) -> bool {
        let c = self.min.cmp_member(member);
        if self.minex {
            c == Ordering::Greater
        } else {
            c != Ordering::Less
        }
    }

    pub fn lte_max(&self, member: &[u8]) -> bool {
        let c = self.max.cmp_member(member);
        if self.maxex {
            c == Ordering::Less
        } else {
            c != Ordering::Greater
        }
    }

    /// True for ranges that can hold nothing (Redis compares the two bounds
    /// with sdscmplex, where `-` equals `-` and `+` equals `+`).
    pub fn is_empty(&self) -> bool {
        use LexItem::*;
        let c = match (&self.min, &self.max) {
            (Min, Min) | (Max, Max) => Ordering::Equal,
            (Min, _) | (_, Max) => Ordering::Less,
            (Max, _) | (_, Min) => Ordering::Greater,
            (Str(a), Str(b)) => a.cmp(b),
        };
        c == Ordering::Greater || (c == Ordering::Equal && (self.minex || self.maxex))
    }
}

fn parse_lex_item(arg: &[u8]) -> Option<(LexItem, bool)> {
    // `+` and `-` are checked as C strings: a NUL may follow.
    let alone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first()? {
        b'+' if alone => Some((LexItem::Max, true)),
        b'-' if alone => Some((LexItem::Min, true)),
        b'(' => Some((LexItem::Str(arg[1..].to_vec()), true)),
        b'[' => Some((LexItem::Str(arg[1..].to_vec()), false)),
        _ => None,
    }
}

/// A score argument as Redis's getDoubleFromObject reads it (ZADD, ZINCRBY,
/// WEIGHTS): the whole string through `strtod`, no leading blank, no NaN, and
/// no overflow to infinity or underflow to zero unless the text says so.
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || is_space(arg[0]) {
        return None;
    }
    let (v, used) = strtod_full(arg);
    if used != arg.len() || v.value.is_nan() || v.range_error {
        return None;
    }
    Some(v.value)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C's `strtod` in the "C" locale: the value and how many bytes it used (0
/// when nothing converts). Stops at a NUL byte like any C string function.
pub fn strtod(s: &[u8]) -> (f64, usize) {
    let (v, used) = strtod_full(s);
    (v.value, used)
}

struct Converted {
    value: f64,
    /// `errno == ERANGE` with a result that Redis refuses (±HUGE_VAL or zero).
    range_error: bool,
}

fn strtod_full(s: &[u8]) -> (Converted, usize) {
    let none = (
        Converted {
            value: 0.0,
            range_error: false,
        },
        0,
    );
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    let starts =
        |word: &[u8]| rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word);
    if starts(b"inf") {
        let used = if starts(b"infinity") { 8 } else { 3 };
        let v = Converted {
            value: sign(f64::INFINITY),
            range_error: false,
        };
        return (v, i + used);
    }
    if starts(b"nan") {
        let mut used = 3;
        // An optional "(n-char-sequence)".
        if rest.get(3) == Some(&b'(') {
            let mut j = 4;
            while j < rest.len() && (rest[j].is_ascii_alphanumeric() || rest[j] == b'_') {
                j += 1;
            }
            if rest.get(j) == Some(&b')') {
                used = j + 1;
            }
        }
        let v = Converted {
            value: f64::NAN,
            range_error: false,
        };
        return (v, i + used);
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, used)) = hex_float(&rest[2..]) {
            let v = Converted {
                value: sign(v.value),
                range_error: v.range_error,
            };
            return (v, i + 2 + used);
        }
        // "0x" without hex digits: just the "0" converts.
        let v = Converted {
            value: sign(0.0),
            range_error: false,
        };
        return (v, i + 1);
    }
    // Decimal: digits [. digits] [e [sign] digits], at least one mantissa digit.
    let mut j = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while j < rest.len() && rest[j].is_ascii_digit() {
        nonzero |= rest[j] != b'0';
        j += 1;
        digits += 1;
    }
    if rest.get(j) == Some(&b'.') {
        j += 1;
        while j < rest.len() && rest[j].is_ascii_digit() {
            nonzero |= rest[j] != b'0';
            j += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return none;
    }
    if j < rest.len() && (rest[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < rest.len() && (rest[k] == b'+' || rest[k] == b'-') {
            k += 1;
        }
        if k < rest.len() && rest[k].is_ascii_digit() {
            while k < rest.len() && rest[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).expect("ascii");
    let v: f64 = text.parse().unwrap_or(0.0);
    let range_error = v.is_infinite() || (v == 0.0 && nonzero);
    let v = Converted {
        value: sign(v),
        range_error,
    };
    (v, i + j)
}

/// The part of a hex float after `0x`: hex digits, an optional point and
/// fraction, an optional binary exponent. Rounds to nearest-even as glibc.
fn hex_float(s: &[u8]) -> Option<(Converted, usize)> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut j = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0; // binary exponent applied to `mant`
    let mut sticky = false;
    let mut any = false;
    let mut push = |d: u32, frac: bool, mant: &mut u64, exp: &mut i64| {
        if *mant >> 60 == 0 {
            *mant = (*mant << 4) | d as u64;
            if frac {
                *exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !frac {
                *exp += 4;
            }
        }
    };
    while j < s.len() {
        let Some(d) = hex(s[j]) else { break };
        push(d, false, &mut mant, &mut exp);
        any = true;
        j += 1;
    }
    if s.get(j) == Some(&b'.') {
        let mut k = j + 1;
        let mut frac_any = false;
        while k < s.len() {
            let Some(d) = hex(s[k]) else { break };
            push(d, true, &mut mant, &mut exp);
            frac_any = true;
            k += 1;
        }
        if any || frac_any {
            j = k;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if j < s.len() && (s[j] | 0x20) == b'p' {
        let mut k = j + 1;
        let mut eneg = false;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            eneg = s[k] == b'-';
            k += 1;
        }
        if k < s.len() && s[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < s.len() && s[k].is_ascii_digit() {
                e = (e * 10 + (s[k] - b'0') as i64).min(1 << 40);
                k += 1;
            }
            exp += if eneg { -e } else { e };
            j = k;
        }
    }
    Some((compose(mant, exp, sticky), j))
}

/// `mant * 2^exp` (plus a sticky bit below `mant`) rounded to a double.
fn compose(mant: u64, exp: i64, sticky: bool) -> Converted {
    if mant == 0 {
        return Converted {
            value: 0.0,
            range_error: false,
        };
    }
    // Normalise so the top bit is bit 63: value = m * 2^(e - 63), m in [2^63, 2^64).
    let shift = mant.leading_zeros() as i64;
    let m = mant << shift;
    let e = exp - shift + 63; // value = 1.xxx * 2^e
                              // Doubles: normal exponents -1022..=1023, subnormals down to 2^-1074.
    let keep: i64 = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep <= 0 {
        // Below half the smallest subnormal (or exactly half: ties to even, 0).
        let half_min = keep == 0 && (m > 1 << 63 || sticky);
        return Converted {
            value: if half_min { f64::from_bits(1) } else { 0.0 },
            range_error: !half_min,
        };
    }
    let drop = 64 - keep;
    let mut top = m >> drop;
    let rest = m & ((1u64 << drop) - 1);
    let half = 1u64 << (drop - 1);
    if rest > half || (rest == half && (sticky || top & 1 == 1)) {
        top += 1;
    }
    // `top` holds `keep` bits (or keep+1 after a carry); its lowest bit weighs 2^(e-keep+1).
    let v = (top as f64) * pow2(e - keep + 1);
    Converted {
        value: v,
        range_error: v.is_infinite(),
    }
}

fn pow2(e: i64) -> f64 {
    // Two steps so neither factor overflows or underflows on its own.
    let half = e / 2;
    f64::powi(2.0, half as i32) * f64::powi(2.0, (e - half) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_prefixes_like_c() {
        assert_eq!(strtod(b"1.5"), (1.5, 3));
        assert_eq!(strtod(b"  -2e3x"), (-2000.0, 6));
        assert_eq!(strtod(b""), (0.0, 0));
        assert_eq!(strtod(b"-"), (0.0, 0));
        assert_eq!(strtod(b"1e"), (1.0, 1));
        assert_eq!(strtod(b"1e+"), (1.0, 1));
        assert_eq!(strtod(b".5"), (0.5, 2));
        assert_eq!(strtod(b"5."), (5.0, 2));
        assert_eq!(strtod(b"."), (0.0, 0));
        assert_eq!(strtod(b"inf"), (f64::INFINITY, 3));
        assert_eq!(strtod(b"-Infinity"), (f64::NEG_INFINITY, 9));
        assert_eq!(strtod(b"infin"), (f64::INFINITY, 3));
        assert!(strtod(b"nan").0.is_nan());
        assert_eq!(strtod(b"0x10"), (16.0, 4));
        assert_eq!(strtod(b"0x"), (0.0, 1));
        assert_eq!(strtod(b"0x1p3"), (8.0, 5));
        assert_eq!(strtod(b"0x.8"), (0.5, 4));
        assert_eq!(strtod(b"0x1.8p-1"), (0.75, 8));
        assert_eq!(strtod(b"-0x10p"), (-16.0, 5));
        assert_eq!(strtod(b"0x1fffffffffffff"), (9007199254740991.0, 16));
        // 2^53 + 1 rounds to even.
        assert_eq!(strtod(b"0x20000000000001").0, 9007199254740992.0);
        assert_eq!(strtod(b"0x20000000000003").0, 9007199254740996.0);
        assert_eq!(strtod(b"0x1p-1074").0, f64::from_bits(1));
        assert_eq!(strtod(b"0x1p-1080").0, 0.0);
        assert_eq!(strtod(b"0x1p1024").0, f64::INFINITY);
        assert_eq!(strtod(b"1e400").0, f64::INFINITY);
        assert_eq!(strtod(b"1\0x"), (1.0, 1));
    }

    #[test]
    fn scores_follow_get_double_from_object() {
        assert_eq!(parse_score(b"1"), Some(1.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"1e-310"), Some(1e-310));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"abc",
            b"1e400",
            b"1e-400",
            b"1\0",
            b"0x1p2000",
        ] {
            assert_eq!(parse_score(bad), None, "{bad:?}");
        }
        assert_eq!(parse_score(b"0e5"), Some(0.0));
    }

    #[test]
    fn score_ranges() {
        let r = ScoreRange::parse(b"(1", b"2").unwrap();
        assert!(r.minex && !r.maxex && r.min == 1.0 && r.max == 2.0);
        assert!(!r.gte_min(1.0) && r.gte_min(1.5) && r.lte_max(2.0));
        assert_eq!(ScoreRange::parse(b"(", b"").unwrap().min, 0.0);
        assert!(ScoreRange::parse(b" 1", b"1e400").is_some());
        assert!(ScoreRange::parse(b"1 ", b"2").is_none());
        assert!(ScoreRange::parse(b"nan", b"2").is_none());
        assert!(ScoreRange::parse(b"1\0zz", b"2").is_some());
        assert!(ScoreRange::parse(b"(1", b"1").unwrap().is_empty());
    }

    #[test]
    fn lex_ranges() {
        let r = LexRange::parse(b"[b", b"(d").unwrap();
        assert!(r.gte_min(b"b") && !r.gte_min(b"a") && r.lte_max(b"c") && !r.lte_max(b"d"));
        let all = LexRange::parse(b"-", b"+").unwrap();
        assert!(all.gte_min(b"") && all.lte_max(b"\xff\xff") && !all.is_empty());
        assert!(LexRange::parse(b"-", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"[a", b"[a").is_some_and(|r| !r.is_empty()));
        assert!(LexRange::parse(b"(a", b"[a").unwrap().is_empty());
        assert!(LexRange::parse(b"+\0x", b"+").is_some());
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"", b"+").is_none());
        assert!(LexRange::parse(b"+a", b"+").is_none());
    }
}
