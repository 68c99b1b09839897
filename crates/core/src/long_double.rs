//! Software emulation of the C `long double` arithmetic Redis uses for
//! INCRBYFLOAT and HINCRBYFLOAT on x86_64: the x87 80-bit extended format
//! (64-bit significand with explicit integer bit, 15-bit exponent,
//! subnormals down to 2^-16445).
//!
//! Redis parses both operands with `string2ld()` (glibc `strtold()` over the
//! whole string), adds them with one x87 `fadd` (round-to-nearest-even,
//! extended precision), rejects NaN/inf results, and formats with
//! `ld2string(.., LD_STR_HUMAN)`: `%.17Lf`, trailing fractional zeros and a
//! bare `.` removed, `-0` turned into `0`. Emulating this in software keeps
//! replies byte-identical (an f64 would print `0.1 + 0.2` as
//! `0.30000000000000004` where Redis prints `0.3`), and also works on targets
//! without an 80-bit type.
//!
//! Known differences from redis-server 7.0.15 on x86_64/glibc: none found.
//! [`LongDouble::parse`] reproduces glibc's correctly rounded decimal and
//! hex-float conversion, including a glibc quirk for hex inputs whose result
//! is subnormal (the bit right after the 64th significant bit is ignored when
//! deciding ties, so `0x1.0000000000000001p-16446` underflows to zero and is
//! rejected); decimal inputs cannot hit that quirk within Redis's 5119-byte
//! limit. A NaN (only reachable as `inf + -inf`) formats as `-nan` like the
//! x87 default NaN; Redis never stores it.

use std::cmp::Ordering;

/// Exponent of the least significant significand bit of subnormals and of the
/// smallest normals: values are `mant * 2^exp` with `exp >= EXP_MIN`.
const EXP_MIN: i64 = -16382 - 63;
/// Largest `exp` of a finite value (`mant` < 2^64, so below 2^16384).
const EXP_MAX: i64 = 16383 - 63;
/// `string2ld` copies into a 5120-byte buffer and refuses longer input.
const MAX_INPUT: usize = 5 * 1024 - 1;

/// An x87 80-bit extended precision value.
///
/// Equality is structural (`-0 != +0`, NaN == NaN), not IEEE comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `(mant, exp)` is `mant * 2^exp`; normal values have bit 63 of `mant`
    /// set, subnormals and zero have `exp == EXP_MIN` (zero: `mant == 0`).
    Finite(u64, i64),
    Inf,
    Nan,
}

impl LongDouble {
    fn new(neg: bool, kind: Kind) -> Self {
        LongDouble { neg, kind }
    }

    fn zero(neg: bool) -> Self {
        Self::new(neg, Kind::Finite(0, EXP_MIN))
    }

    /// Exact conversion, like the `(long double)(long)` cast Redis applies to
    /// integer-encoded strings.
    pub fn from_i64(v: i64) -> Self {
        round(v < 0, u128::from(v.unsigned_abs()), 0, false, false)
    }

    /// True unless the value is an infinity or NaN.
    pub fn is_finite(&self) -> bool {
        matches!(self.kind, Kind::Finite(..))
    }

    /// True for NaN (only produced by adding opposite infinities).
    pub fn is_nan(&self) -> bool {
        self.kind == Kind::Nan
    }

    /// The x87 80-bit memory image (sign, 15-bit biased exponent, 64-bit
    /// significand with explicit integer bit) in the low 80 bits.
    pub fn to_bits(&self) -> u128 {
        let (biased, mant) = match self.kind {
            Kind::Finite(mant, _) if mant >> 63 == 0 => (0, mant),
            Kind::Finite(mant, exp) => ((exp + 63 + 16383) as u128, mant),
            Kind::Inf => (0x7fff, 1 << 63),
            Kind::Nan => (0x7fff, 3 << 62),
        };
        (u128::from(self.neg) << 79) | (biased << 64) | u128::from(mant)
    }

    /// Redis `string2ld`: the whole input must be a `strtold` number (decimal,
    /// hex float, `inf`/`infinity`, any case, optional sign); rejects empty or
    /// over-long input, any whitespace, trailing bytes, NaN, and values that
    /// overflow to infinity or underflow to zero (glibc's ERANGE cases).
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() > MAX_INPUT {
            return None;
        }
        let (neg, body) = match s[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Self::new(neg, Kind::Inf));
        }
        let hex = body.len() > 2
            && body[0] == b'0'
            && (body[1] | 0x20) == b'x'
            && match body[2] {
                b'.' => body.get(3).is_some_and(u8::is_ascii_hexdigit),
                c => c.is_ascii_hexdigit(),
            };
        let (digits, exp) = if hex {
            parse_digits(&body[2..], 16, b'p')?
        } else {
            parse_digits(body, 10, b'e')?
        };
        if digits.is_zero() {
            return Some(Self::zero(neg));
        }
        let v = if hex {
            from_binary(neg, digits, exp, true)
        } else {
            from_decimal(neg, digits, exp)?
        };
        match v.kind {
            Kind::Finite(0, _) | Kind::Inf => None,
            _ => Some(v),
        }
    }

    /// IEEE addition rounded to nearest-even in 64-bit precision, exactly what
    /// an x87 `fadd` gives (with the default extended precision control).
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, other: LongDouble) -> LongDouble {
        let (a, b) = (self, other);
        let ((ma, ea), (mb, eb)) = match (a.kind, b.kind) {
            (Kind::Nan, _) => return a,
            (_, Kind::Nan) => return b,
            // x87 "real indefinite" NaN has the sign bit set.
            (Kind::Inf, Kind::Inf) if a.neg != b.neg => return Self::new(true, Kind::Nan),
            (Kind::Inf, _) => return a,
            (_, Kind::Inf) => return b,
            (Kind::Finite(mant, exp), Kind::Finite(m2, e2)) => ((mant, exp), (m2, e2)),
        };
        if mb == 0 {
            return if ma == 0 {
                Self::zero(a.neg && b.neg)
            } else {
                a
            };
        }
        if ma == 0 {
            return b;
        }
        // Order by magnitude (normalised form makes (exp, mant) monotonic).
        let (big, (m1, e1), (m2, e2)) = if (ea, ma) >= (eb, mb) {
            (a, (ma, ea), (mb, eb))
        } else {
            (b, (mb, eb), (ma, ea))
        };
        // Align on 63 guard bits: both addends stay exact unless the gap
        // exceeds 63 bits, in which case the lost part only acts as sticky.
        let x = u128::from(m1) << 63;
        let d = e1 - e2;
        let (y, lost) = if d <= 63 {
            (u128::from(m2) << (63 - d), false)
        } else if d - 63 >= 128 {
            (0, true)
        } else {
            let sh = d - 63;
            (
                u128::from(m2) >> sh,
                u128::from(m2) & ((1u128 << sh) - 1) != 0,
            )
        };
        let e = e1 - 63;
        if a.neg == b.neg {
            round(big.neg, x + y, e, lost, false)
        } else if lost {
            // x - (y + f) with 0 < f < 1 == (x - y - 1) + (1 - f).
            round(big.neg, x - y - 1, e, true, false)
        } else if x == y {
            Self::zero(false)
        } else {
            round(big.neg, x - y, e, false, false)
        }
    }

    /// Redis `ld2string(.., LD_STR_HUMAN)`: exact `%.17Lf` (ties to even, as
    /// glibc), trailing zeros and bare `.` trimmed, `-0` printed as `0`.
    pub fn to_human_string(&self) -> String {
        let (mant, exp) = match self.kind {
            Kind::Nan => return if self.neg { "-nan" } else { "nan" }.to_string(),
            Kind::Inf => return if self.neg { "-inf" } else { "inf" }.to_string(),
            Kind::Finite(mant, exp) => (mant, exp),
        };
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        if exp >= 64 {
            let mut n = Big::from_u64(mant);
            n.shl(exp as usize);
            out.push_str(&n.to_decimal());
        } else if exp >= 0 {
            out.push_str(&(u128::from(mant) << exp).to_string());
        } else {
            // frac * 10^17 < 2^121, so the fraction never needs a big integer;
            // for k >= 122 it rounds to zero digits.
            const SCALE: u128 = 100_000_000_000_000_000; // 10^17
            let k = (-exp) as u32;
            let (mut int, frac) = if k < 64 {
                (mant >> k, mant & ((1u64 << k) - 1))
            } else {
                (0, mant)
            };
            let f = u128::from(frac) * SCALE;
            let mut digits = f.checked_shr(k).unwrap_or(0);
            let half = f.checked_shr(k - 1).unwrap_or(0) & 1 == 1;
            let below = k >= 2 && f & (u128::MAX >> (128 - (k - 1).min(127))) != 0;
            if half && (below || digits & 1 == 1) {
                digits += 1;
                if digits == SCALE {
                    digits = 0;
                    int += 1;
                }
            }
            out.push_str(&int.to_string());
            let frac = format!("{digits:017}");
            let frac = frac.trim_end_matches('0');
            if !frac.is_empty() {
                out.push('.');
                out.push_str(frac);
            }
        }
        if out == "-0" {
            out.truncate(0);
            out.push('0');
        }
        out
    }
}

/// Parses `digits[.digits][<exp_char>[sign]digits]` in `radix` (10 or 16),
/// requiring the whole input to be consumed. Returns the significand (all
/// digits, point removed) and the exponent to apply to it: base 10 for
/// decimal, base 2 for hex (each fraction digit counts 4 bits).
fn parse_digits(s: &[u8], radix: u32, exp_char: u8) -> Option<(Big, i64)> {
    let mut n = Big::from_u64(0);
    let (mut i, mut ndigits, mut frac) = (0, 0usize, 0i64);
    let mut seen_point = false;
    // Digits are folded in u32 chunks to keep big-integer work small.
    let (mut chunk, mut scale) = (0u32, 1u32);
    while i < s.len() {
        match s[i] {
            b'.' if !seen_point => seen_point = true,
            c => match (c as char).to_digit(radix) {
                Some(d) => {
                    chunk = chunk * radix + d;
                    scale *= radix;
                    if scale > u32::MAX / radix {
                        n.mul_small(scale);
                        n.add_small(chunk);
                        (chunk, scale) = (0, 1);
                    }
                    ndigits += 1;
                    frac += i64::from(seen_point);
                }
                None => break,
            },
        }
        i += 1;
    }
    n.mul_small(scale);
    n.add_small(chunk);
    if ndigits == 0 {
        return None;
    }
    let mut exp: i64 = 0;
    if i < s.len() && (s[i] | 0x20) == exp_char {
        let mut j = i + 1;
        let eneg = s.get(j) == Some(&b'-');
        if matches!(s.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        let start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            // Saturate: anything this large over/underflows anyway.
            exp = (exp * 10 + i64::from(s[j] - b'0')).min(1 << 40);
            j += 1;
        }
        if j > start {
            exp = if eneg { -exp } else { exp };
            i = j;
        } else {
            exp = 0; // Not an exponent: strtold stops before the letter.
        }
    }
    if i != s.len() {
        return None;
    }
    let scale = if radix == 16 { 4 } else { 1 };
    Some((n, exp - frac * scale))
}

/// Correctly rounds `d * 10^e10` (d > 0); `None` on certain overflow or
/// underflow (checked first so the big-integer work stays bounded).
fn from_decimal(neg: bool, d: Big, e10: i64) -> Option<LongDouble> {
    // log10(d) lies in [(bits - 1) * 0.30103, bits * 0.30103]: reject values
    // surely above ~1.19e4932 or below half the smallest subnormal (~3.6e-4951).
    let bits = d.bit_len() as i64;
    if (bits - 1) * 30103 / 100_000 + e10 > 4933 || bits * 30103 / 100_000 + 1 + e10 < -4952 {
        return None;
    }
    if let (Some(v), Ok(n)) = (d.to_u64(), u32::try_from(e10.unsigned_abs())) {
        // Fast path for typical input: everything fits in u128.
        if e10 >= 0 && n <= 27 {
            return Some(round(neg, u128::from(v) * 5u128.pow(n), e10, false, false));
        }
        if e10 < 0 && n <= 22 {
            let den = 5u128.pow(n);
            let k = 67 + i64::from(128 - den.leading_zeros()) - i64::from(64 - v.leading_zeros());
            let num = u128::from(v) << k;
            return Some(round(neg, num / den, e10 - k, num % den != 0, false));
        }
    }
    if e10 >= 0 {
        let mut n = d;
        n.mul_pow5(e10 as u32);
        return Some(from_binary(neg, n, e10, false));
    }
    // d / 10^n == (d / 5^n) * 2^-n: divide with a 66-68 bit quotient.
    let (mut num, mut den) = (d, Big::from_u64(1));
    den.mul_pow5((-e10) as u32);
    let k = 67 + den.bit_len() as i64 - num.bit_len() as i64;
    if k >= 0 {
        num.shl(k as usize);
    } else {
        den.shl((-k) as usize);
    }
    let mut q: u128 = 0;
    den.shl(67);
    for i in (0..68).rev() {
        if num.cmp(&den) != Ordering::Less {
            num.sub_assign(&den);
            q |= 1 << i;
        }
        den.shr1();
    }
    Some(round(neg, q, e10 - k, !num.is_zero(), false))
}

/// Rounds `n * 2^e` (n > 0), keeping the top 128 bits plus a sticky bit.
fn from_binary(neg: bool, n: Big, e: i64, glibc_hex: bool) -> LongDouble {
    let len = n.bit_len() as i64;
    let top = e + len - 1;
    if top > 16384 {
        return LongDouble::new(neg, Kind::Inf);
    }
    if top < EXP_MIN - 2 {
        return LongDouble::zero(neg);
    }
    let cut = (len - 128).max(0) as usize;
    let sig = n.bits_u128(cut);
    round(neg, sig, e + cut as i64, n.any_below(cut), glibc_hex)
}

/// Rounds `(sig + f) * 2^e` to the extended format, where `f` in [0, 1) is
/// nonzero iff `sticky`; callers guarantee `sig` has at least 66 bits when
/// `sticky` is set. `glibc_hex` reproduces glibc's hex-float subnormal
/// quirk: the bit right after the 64th significant bit is ignored.
fn round(neg: bool, sig: u128, e: i64, sticky: bool, glibc_hex: bool) -> LongDouble {
    if sig == 0 {
        return LongDouble::zero(neg);
    }
    let len = 128 - i64::from(sig.leading_zeros());
    let mut exp = (e + len - 64).max(EXP_MIN);
    let shift = exp - e;
    let (mut m, half, mut rest) = if shift <= 0 {
        (sig << -shift, false, false)
    } else if shift > 128 {
        (0, false, true)
    } else {
        let below = sig & ((1u128 << (shift - 1)) - 1);
        let ignored = if glibc_hex && shift > len - 64 && len >= 65 {
            1u128 << (len - 65)
        } else {
            0
        };
        let m = if shift == 128 { 0 } else { sig >> shift };
        (m, (sig >> (shift - 1)) & 1 == 1, below & !ignored != 0)
    };
    rest |= sticky;
    if half && (rest || m & 1 == 1) {
        m += 1;
        if m == 1 << 64 {
            m = 1 << 63;
            exp += 1;
        }
    }
    if exp > EXP_MAX {
        return LongDouble::new(neg, Kind::Inf);
    }
    LongDouble::new(neg, Kind::Finite(m as u64, exp))
}

/// Minimal unsigned big integer (little-endian u32 limbs, no trailing zero
/// limbs): just what exact decimal <-> binary conversion needs.
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bit_len(&self) -> usize {
        match self.0.last() {
            Some(&top) => self.0.len() * 32 - top.leading_zeros() as usize,
            None => 0,
        }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut n: u32) {
        while n >= 13 {
            self.mul_small(1_220_703_125); // 5^13
            n -= 13;
        }
        self.mul_small(5u32.pow(n));
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() {
            return;
        }
        let (limbs, b) = (bits / 32, bits % 32);
        if b != 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let v = (*limb << b) | carry;
                carry = *limb >> (32 - b);
                *limb = v;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, vec![0; limbs]);
    }

    fn to_u64(&self) -> Option<u64> {
        match self.0[..] {
            [] => Some(0),
            [lo] => Some(u64::from(lo)),
            [lo, hi] => Some(u64::from(lo) | u64::from(hi) << 32),
            _ => None,
        }
    }

    fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let v = (*limb >> 1) | (carry << 31);
            carry = *limb & 1;
            *limb = v;
        }
        self.trim();
    }

    /// Whether any bit below position `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let (limbs, b) = (i / 32, i % 32);
        self.0.iter().take(limbs).any(|&l| l != 0)
            || (b != 0 && self.0.get(limbs).is_some_and(|l| l & ((1 << b) - 1) != 0))
    }

    /// The 128 bits starting at bit `lo`, as an integer.
    fn bits_u128(&self, lo: usize) -> u128 {
        let mut acc = 0u128;
        for (j, &limb) in self.0.iter().enumerate().skip(lo / 32) {
            let pos = (j * 32) as i64 - lo as i64;
            if pos >= 128 {
                break;
            }
            let v = u128::from(limb);
            acc |= if pos < 0 { v >> -pos } else { v << pos };
        }
        acc
    }

    fn cmp(&self, other: &Big) -> Ordering {
        let by_len = self.0.len().cmp(&other.0.len());
        by_len.then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self -= other`, requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let o = i64::from(other.0.get(i).copied().unwrap_or(0));
            let v = i64::from(*limb) - o - borrow;
            borrow = i64::from(v < 0);
            *limb = v.rem_euclid(1 << 32) as u32;
        }
        self.trim();
    }

    fn divmod_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.divmod_small(1_000_000_000));
        }
        let mut s = chunks.pop().unwrap_or(0).to_string();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::LongDouble;

    /// INCRBYFLOAT as Redis computes it; "!float" stands for the reply
    /// "value is not a valid float", "!nan" for "increment would produce NaN
    /// or Infinity".
    fn incrbyfloat(value: &[u8], incr: &[u8]) -> String {
        match (LongDouble::parse(value), LongDouble::parse(incr)) {
            (Some(a), Some(b)) if a.add(b).is_finite() => a.add(b).to_human_string(),
            (Some(_), Some(_)) => "!nan".to_string(),
            _ => "!float".to_string(),
        }
    }

    /// (value, increment, reply) from `SET k value` + `INCRBYFLOAT k
    /// increment` on redis-server 7.0.15 (x86_64, glibc 2.36).
    const SERVER_VERIFIED: &[(&str, &str, &str)] = &[
        ("10.5", "0.1", "10.6"),
        ("0.1", "0.2", "0.3"),
        ("1e300", "1", "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144"),
        ("1e300", "-1e300", "0"),
        ("5.0e3", "0", "5000"),
        ("5.0e3", "-5000.5", "-0.5"),
        ("-3.5", "1", "-2.5"),
        ("1e-20", "0", "0"),
        ("-1e-20", "0", "0"),
        ("3.0e-5", "0", "0.00003"),
        ("17.5", "-17.5", "0"),
        ("1e25", "0", "10000000000000000000000000"),
        ("0", "1e25", "10000000000000000000000000"),
        ("123456789012345678901234567890", "0", "123456789012345678899921813504"),
        ("1", "inf", "!nan"),
        ("inf", "-inf", "!nan"),
        ("nan", "1", "!float"),
        ("1.18e4932", "1.18e4932", "!nan"),
        ("1e4933", "0", "!float"),
        ("1e-4952", "0", "!float"),
        ("3.6e-4951", "0", "0"),
        ("1.8e-4951", "0", "!float"),
        ("1.9e-4951", "0", "0"),
        ("0e-99999999999999999999", "5", "5"),
        ("1e99999999999999999999", "0", "!float"),
        ("0x10", "0", "16"),
        ("0x1.8p1", "0.5", "3.5"),
        ("0X.8P1", "0", "1"),
        ("-0x1p-2", "0", "-0.25"),
        ("0x1p", "0", "!float"),
        ("0x", "0", "!float"),
        ("0.000003814697265625", "0", "0.00000381469726562"),
        ("0.000011444091796875", "0", "0.00001144409179688"),
        ("0.000003814697265625000001", "0", "0.00000381469726563"),
        ("5e-18", "0", "0"),
        ("-5e-18", "0", "0"),
        ("-6e-18", "0", "-0.00000000000000001"),
        ("1e-17", "0", "0.00000000000000001"),
        ("1.5e-17", "0", "0.00000000000000002"),
        ("2.5e-17", "0", "0.00000000000000002"),
        (" 1", "1", "!float"),
        ("1 ", "1", "!float"),
        ("1\0", "1", "!float"),
        ("\0", "1", "!float"),
        ("", "1", "!float"),
        ("1", "", "!float"),
        (".5", "5.", "5.5"),
        (".", "1", "!float"),
        ("+3", "-0", "3"),
        ("-0", "-0", "0"),
        ("1e", "1", "!float"),
        ("1e+2", "1E-2", "100.01"),
        ("infinity", "1", "!nan"),
        ("infinit", "1", "!float"),
        ("1_000", "1", "!float"),
        ("0b1", "1", "!float"),
        ("00012", "0012.500", "24.5"),
        ("0x1.0000000000000001p-16446", "0", "!float"),
        ("0x1.00001p-16446", "0", "0"),
        ("0x0.00000000000000008p-16381", "0", "!float"),
        ("0x1p-16445", "0", "0"),
        ("18446744073709551617", "0", "18446744073709551616"),
        ("18446744073709551619", "0", "18446744073709551620"),
        ("9223372036854775807", "1", "9223372036854775808"),
        ("-9223372036854775808", "-1", "-9223372036854775809"),
        ("0.1", "-0.1", "0"),
        ("1.1", "2.2", "3.3"),
        ("100", "-0.0001", "99.9999"),
        ("0.99999999999999999999", "0", "1"),
        ("-0.99999999999999999999", "0", "-1"),
        ("0.999999999999999994", "0", "0.99999999999999999"),
        ("12345678901234567890123", "0.5", "12345678901234567889920"),
        ("3.14159265358979323846264338327950288", "0", "3.14159265358979324"),
        ("1e19", "1", "10000000000000000001"),
        ("-1e19", "0.5", "-10000000000000000000"),
        ("2.5e-5", "2.5e-5", "0.00005"),
        ("1e-5", "-1e-5", "0"),
        ("99.99", "0.01", "100"),
        ("1e16", "0.1", "10000000000000000.099609375"),
        ("1e17", "0.1", "100000000000000000.1015625"),
        ("1e18", "1", "1000000000000000001"),
        ("-1.7e-3", "1.7e-3", "0"),
    ];

    /// Random "value increment reply" triples from the same server (the
    /// replies were identical through HSET + HINCRBYFLOAT).
    const RANDOM_VERIFIED: &str = "
    6.259e-9 -6.259e-9 0  0.000000000000884 -0.000000000000884 0  -62010 7e-2153 -62010
    -2.224e-21 -4e-2471 0  -0.00786 .5 0.49214  260.3 -260.3 0
    -38.238 4.564e-12 -38.237999999995436  1e4933 4.610e-19 !float  0.78e-1 0.276 0.354
    3.41 19175.7 19179.10999999999999943  0.000027 -23.99003 -23.990003
    -78.38 0.00000272 -78.37999728  89.266015 33.96 123.226015  1.938 -1.938 0  0.37906 -0.37906 0
    5.833 -2e-3267 5.833  -76.5 -30490833 -30490909.5  10.05031 29.67 39.72031
    3.758e-28 74446 74446  1.44946 -1.44946 0  0.1 0.00000550 0.1000055
    -0.000006 -0.797e-6 -0.000006797  1 1e !float  -43.614872 -3.92 -47.534872
    6.477e17 739 647700000000000739  7.348e19 407386.9 73480000000000407388
    -67.36 848 780.64000000000000001  4467.34 -17.5 4449.83999999999999986
    510.27 -5e-2996 510.26999999999999999  -4.430906 1.48 -2.950906  94 9.99e-3 94.00999
    97.97 -1.953e-5 97.96998047  2.472e-9 -2.472e-9 0  -3.156 1E-2 -3.146
    1.800e21 65.69 1800000000000000000128  0.53433 -0.53433 0  6.84128 5.566e-30 6.84128
    7e1916 -7e1916 0  -9e-3511 -446.8 -446.79999999999999999  Infinity 5.7829 !nan
    1.9 0.861756 2.761756  219.042107068032 -219.042107068032 0
    -462.9588 -13 -475.95880000000000001  0.08386 17.5 17.58386  76.37 1.128 77.49800000000000001
    -0.00000000661 -0.2865 -0.28650000661  1 -1 0  5.6 14.40 20  -3.732e1 74 36.68
    36.61 4430.968 4467.57799999999999985  3.011100 -3.011100 0  278.60832 8.387e-23 278.60832
    -539.4854880252153 inf !nan  41.71 -0.48328 41.22672  792833.875 0 792833.875
    9.402e7 73 94020073  5.99077 168.343047 174.333817  -43.72144 -0.73 -44.45144
    530569.92954 -530569.92954 0  57 1E-2 57.01  612 -7e-4099 612  8e-3576 1E-2 0.01
    0.2 1e-4952 !float  -27532 0.94 -27531.0600000000000005  0.00000000188 -0.00000000188 0
    -5.116e-16 1.8446 1.84459999999999949  0.00000000000000000000612 5. 5  -7 1 -6
    81.71 0.000000000000000000464 81.71  24.53 -68.42666 -43.89666  +3 -+3 !float
    0.86653 -0.86653 0  -6.683e-15 146864 146864  0.000000000000358 -0.000000000000358 0
    8.75 24.2 32.95  29187 9e-407 29187  76.11 -4.492e-17 76.10999999999999996
    7930363254480 -7930363254480 0  -16.27 -46.1 -62.37  257.791868 -257.791868 0
    693.0071 77.521 770.52810000000000001  13.54 1e-4952 !float  -56.30 1E-2 -56.29
    7.945836973064274 -7.945836973064274 0  -0.743064 49.58 48.836936  3.4539 -0.1 3.3539
    0.0000484 -0.0000484 0  9630 0.00000733 9630.00000732999999986  8.369e21 -8.369e21 0
    9e-4757 -9e-4757 0  0x10 -0.0952 15.9048  +3 -17567 -17564
    868.0313694249517 -868.0313694249517 0  -1586.5 0x10 -1570.5  0.2 6.633 6.833
    -983529 .5 -983528.5  85.1 -8.90 76.2  1 -8 -7  -69.38 83.132864 13.75286400000000001
    5.749309 67.78 73.529309  -0.138e-28 0.0000000000000000000330 0
    46.49 888.97787 935.46787000000000001  9.584e34 -9.584e34 0  0.00664 -0.00664 0
    -1.05 1.071961 0.021961  3.126e-20 1.1 1.1  5157.78 72.68 5230.45999999999999996
    32.06505 3.183e-1 32.38335  -0.58691 -4.1383 -4.72521  8.927e-7 -82.0 -81.9999991073
    7.5 0.46189 7.96189  -3.629e26 nan !float  93.93 -93.93 0
    604.85 -3e-1541 604.84999999999999998  1.2934 7e-2368 1.2934  5.238 0.1 5.338
    -18.24 -78.56986 -96.80986  92748.1 0x1p3 92756.10000000000000142  4e461 -4e461 0
    91951.92 -96.0 91855.92000000000000171  -9.512e-18 0.5101 0.51009999999999999
    0.00000736 -55.37 -55.36999264  8e-4879 -30.39 -30.39  -7021776012 1e4933 !float
    9.666e24 -9.666e24 0  11456.91 1.87 11458.78000000000000025
    9.425e-15 85.5199 85.51990000000000942  239249150.11569 -239249150.11569 0  11.552 -11.552 0
    972 -0.880 971.12  -6.1 -83.4 -89.5  0.2 -0.2 0  7.987e6 6.512e11 651207987000
    -8.707e-19 257895 257895  862.84146 0x10 878.84145999999999999  22.34 1.7999 24.1399
    61.28 98.3615 159.6415  63701 9.30472 63710.30471999999999966  9.632e-24 73281624 73281624
    -0.87193 0.860e-24 -0.87193  -5 -69 -74  1.726e-25 16.627085 16.627085  -96.5 1E-2 -96.49
    964 2012214015 2012214979  -1.37404 6.657 5.28296  26651514912419 -26651514912419 0
    -2.32 -8.528e-23 -2.32  0.354e-15 -0.354e-15 0  +3 98121045142 98121045145
    -4.672e-21 86.55 86.55  0.00000000000000000000462 -3.1 -3.1  -2.491e-29 -2.443e-19 0
    550.1536323753885 -550.1536323753885 0  0x1p3 -34552975386 -34552975378
    71.27645 57180 57251.27645000000000053  -17.51 28.425371 10.915371  0.0000977 3.9 3.9000977
    14.89 -8e-1423 14.89  11811032205 -11811032205 0  5 0.000000000000957 5.000000000000957
    -6.2 99.39 93.19  1e1353 -1e1353 0  90158.35 -90158.35 0  0.89 0.00000000000000000000627 0.89
    0.91 -47.1 -46.19  0.00000798 1.986 1.98600798  654 -654 0  3e4083 -3e4083 0
    61.940 0.111 62.051  0.82771 -0.82771 0  75.28 -75.28 0  0.000060 Infinity !nan
    -8.16837 -5759.6 -5767.76837  6785156053296995 -6785156053296995 0  -9143000 -8e-3876 -9143000
    59.83057 32.2 92.03057  1884828534 2.553e-12 1884828534  757.64 -48.11 709.53000000000000003
    4e-714 -2.23989 -2.23989  -26.47 8.9 -17.57  685474248.31960 -685474248.31960 0
    0.0000000059 -0.0000000059 0  270 Infinity !nan  66.38292582231907 -66.38292582231907 0
    57547688117 -57547688117 0  0.00000494 -0.00000494 0  74.8 51.84 126.64  1.6 94.46 96.06
    16.62339 234.054174 250.677564  5.703e-9 -5.703e-9 0  21773839242.60401 -21773839242.60401 0
    -259 41.39 -217.61  80.42 -80.42 0  2.316e17 -2.316e17 0  1.66370 -0.0042 1.6595
    -8.529e17 1E-2 -852900000000000000  1.487e28 Infinity !nan  5 -276260 -276255  2 -2 0
    -1.825e-7 1.1 1.0999998175
";

    #[test]
    fn server_verified_cases() {
        for &(v, i, want) in SERVER_VERIFIED {
            assert_eq!(
                incrbyfloat(v.as_bytes(), i.as_bytes()),
                want,
                "{v:?} + {i:?}"
            );
        }
    }

    #[test]
    fn random_server_verified_cases() {
        let toks: Vec<&str> = RANDOM_VERIFIED.split_whitespace().collect();
        assert_eq!(toks.len(), 3 * 200);
        for t in toks.chunks(3) {
            assert_eq!(incrbyfloat(t[0].as_bytes(), t[1].as_bytes()), t[2], "{t:?}");
        }
    }

    #[test]
    fn input_length_limit() {
        // Verified: 5119 bytes parse, 5120 bytes are "not a valid float".
        let ok = [vec![b'0'; 5116], b"1.5".to_vec()].concat();
        let too_long = [vec![b'0'; 5117], b"1.5".to_vec()].concat();
        assert_eq!(incrbyfloat(&ok, b"1"), "2.5");
        assert_eq!(incrbyfloat(b"1", &too_long), "!float");
    }

    #[test]
    fn huge_result_prints_every_digit() {
        // Verified: a 4932-digit reply.
        let r = incrbyfloat(b"1.18e4932", b"-1e4932");
        assert_eq!(r.len(), 4932);
        assert!(r.starts_with("1799999999999999999946338635301298078788"));
        assert!(r.ends_with("6742162432"));
    }

    /// x87 bit images checked against gcc `long double` on x86_64.
    #[test]
    fn bit_exact_against_x87() {
        let p = |s: &str| LongDouble::parse(s.as_bytes()).unwrap();
        let max = p("0x1.fffffffffffffffep16383");
        let tiny = p("0x1p-16445");
        let cases = [
            (p("0.1"), 0x3ffb_cccc_cccc_cccc_cccd),
            (p("0.1").add(p("0.2")), 0x3ffd_9999_9999_9999_999a),
            (max, 0x7ffe_ffff_ffff_ffff_ffff),
            (max.add(max), 0x7fff_8000_0000_0000_0000),
            (max.add(p("0x1p16319")), 0x7fff_8000_0000_0000_0000),
            (
                max.add(p("0x0.fffffffffffffffep16319")),
                0x7ffe_ffff_ffff_ffff_ffff,
            ),
            (tiny.add(tiny), 2),
            (p("0x1p-16382").add(p("-0x1p-16445")), 0x7fff_ffff_ffff_ffff),
            (p("-0").add(p("-0")), 0x8000_0000_0000_0000_0000),
            (p("1").add(p("-1")), 0),
            (p("inf").add(p("-inf")), 0xffff_c000_0000_0000_0000),
            (p("1").add(p("0x1p-64")), 0x3fff_8000_0000_0000_0000),
            (
                p("1").add(p("0x1.0000000000000002p-64")),
                0x3fff_8000_0000_0000_0001,
            ),
            (p("1").add(p("-0x1p-200")), 0x3fff_8000_0000_0000_0000),
            (p("1.18e4932").add(p("-1e4932")), 0x7ffc_9aec_fb84_2e1d_f960),
            (LongDouble::from_i64(i64::MIN), 0xc03e_8000_0000_0000_0000),
            (LongDouble::from_i64(-1), 0xbfff_8000_0000_0000_0000),
            (LongDouble::from_i64(0), 0),
        ];
        for (i, (v, bits)) in cases.iter().enumerate() {
            assert_eq!(v.to_bits(), *bits, "case {i}: {v:?}");
        }
        assert!(!max.add(max).is_finite() && !max.add(max).is_nan());
        assert!(p("inf").add(p("-inf")).is_nan());
        assert_eq!(
            LongDouble::from_i64(i64::MAX).to_human_string(),
            "9223372036854775807"
        );
    }
}
