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
#[path = "long_double_tests.rs"]
mod tests;
