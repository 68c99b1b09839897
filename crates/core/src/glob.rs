//! Glob-style pattern matching with the exact semantics of Redis 7.0.15's
//! `stringmatchlen()` (used by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH,
//! PSUBSCRIBE, CONFIG GET, ACL key/channel patterns, ...).
//!
//! Supported syntax:
//! - `*` matches any run of bytes, `?` matches exactly one byte;
//! - `[...]` matches one byte from a class, `[^...]` negates it;
//! - `a-z` inside a class is an inclusive range; reversed ranges (`[z-a]`)
//!   are swapped; the bounds compare as *signed* C chars, like Redis on
//!   x86_64, so bytes >= 0x80 sort below ASCII in ranges;
//! - `\x` escapes `x`, both outside and inside classes.
//!
//! Quirks reproduced on purpose (all verified against redis-server 7.0.15):
//! - An empty string is never matched by a non-empty pattern, not even by
//!   `*` or `**`: the matcher loop only runs while both inputs are
//!   non-empty. KEYS and the SCAN family special-case the exact pattern `*`
//!   *before* calling the matcher; callers must do the same to match Redis.
//! - A class with no closing `]` is closed by the end of the pattern
//!   (`[ab` == `[ab]`); a lone `[` at the end never matches; `[]` and `[]a]`
//!   start with `]` and are therefore an empty class.
//! - A range is recognised whenever a byte is followed by `-` and at least one
//!   more byte, even when that byte is `]`: `h[a-]llo` is the class
//!   `{']'..='a', 'l', 'o'}` followed by nothing, so it matches `hl` but not
//!   `h-llo`.
//! - With `nocase`, ranges are swapped *before* lowercasing, and escaped bytes
//!   inside a class are compared case-sensitively.
//! - Nested `*` are limited to 1000 levels (deeper levels fail to match).
//!   This is the CVE-2024-31228 guard, present in the reference
//!   redis-server 7.0.15 build (a distro build with security backports; the
//!   plain 7.0.15 tarball predates it). It also bounds our recursion depth.
//!
//! Complexity: when the tail after a `*` fails to match at every position,
//! no earlier `*` can succeed either (the CVE-2022-36021 fix), so the search
//! gives up instead of backtracking exponentially.

/// Deepest `*` nesting Redis follows before declaring "no match".
const MAX_NESTING: u32 = 1000;

/// Returns whether `string` matches the glob `pattern` (Redis
/// `stringmatchlen` semantics; see the module docs for the quirks).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

/// C `tolower()` in the "C" locale on a value obtained from a signed char:
/// only ASCII upper-case letters change.
fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// Byte equality honouring `nocase`.
fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Byte `i` of `pat`, or NUL past the end: Redis patterns are
/// NUL-terminated sds strings and the C code peeks one byte past the end.
fn at(pat: &[u8], i: usize) -> u8 {
    pat.get(i).copied().unwrap_or(0)
}

/// Matches one byte `c` against the class starting right after `[` at
/// `pat[p..]`. Returns (matched, index of the class's last byte), where the
/// last byte is the `]` or, for an unterminated class, the final byte.
fn match_class(pat: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = at(pat, p) == b'^';
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        let rem = pat.len() - p;
        if pat[p..].first() == Some(&b'\\') && rem >= 2 {
            p += 1;
            // Escaped bytes compare exactly, even with nocase.
            if pat[p] == c {
                matched = true;
            }
        } else if rem > 0 && pat[p] == b']' {
            break;
        } else if rem == 0 {
            // Unterminated: step back so the caller's advance lands on the end.
            p -= 1;
            break;
        } else if rem >= 3 && pat[p + 1] == b'-' {
            // Signed-char comparison, as `int start = pattern[0]` does in C.
            let (mut start, mut end) = (i32::from(pat[p] as i8), i32::from(pat[p + 2] as i8));
            let mut ch = i32::from(c as i8);
            if start > end {
                std::mem::swap(&mut start, &mut end);
            }
            if nocase {
                start = lower(start);
                end = lower(end);
                ch = lower(ch);
            }
            p += 2;
            if ch >= start && ch <= end {
                matched = true;
            }
        } else if eq(pat[p], c, nocase) {
            matched = true;
        }
        p += 1;
    }
    (matched != negate, p)
}

/// The recursive matcher. `skip_longer` is set once a `*` has failed to match
/// its tail at every remaining position, which makes every enclosing `*` stop
/// trying too (no longer prefix can help).
fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let mut p = 0;
    let mut si = 0;
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while si < s.len() {
                    if match_impl(&pat[p + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                let (matched, end) = match_class(pat, p + 1, s[si], nocase);
                if !matched {
                    return false;
                }
                p = end;
                si += 1;
            }
            b => {
                let lit = if b == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    b
                };
                if !eq(lit, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;
    use std::time::{Duration, Instant};

    /// (pattern, string, matches?) as answered by redis-server 7.0.15 to both
    /// `KEYS pattern` and `SCAN 0 MATCH pattern` with only `string` stored.
    const SERVER_VERIFIED: &[(&[u8], &[u8], bool)] = &[
        (b"h?llo", b"hello", true),
        (b"h?llo", b"hllo", false),
        (b"h*llo", b"hllo", true),
        (b"h*llo", b"heeeello", true),
        (b"h*llo", b"hello world", false),
        (b"h[ae]llo", b"hello", true),
        (b"h[ae]llo", b"hallo", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[a-b]llo", b"hcllo", false),
        (b"h[z-a]llo", b"hmllo", true),
        (b"h[z-a]llo", b"hMllo", false),
        (b"h[^z-a]llo", b"hmllo", false),
        (b"h[a-]llo", b"h-llo", false),
        (b"h[a-]llo", b"hallo", false),
        (b"h[a-]llo", b"hl", true),
        (b"h[a-]llo", b"h]", true),
        (b"h[a-]llo", b"h^", true),
        (b"h[a-]llo", b"ho", true),
        (b"h[a-]llo", b"hb", false),
        (b"h[-a]llo", b"h-llo", true),
        (b"h[a\\-]llo", b"h-llo", true),
        (b"h[\\-a]llo", b"h-llo", true),
        (b"h[a-\\]]llo", b"h]llo", false),
        (b"h[a-\\]]llo", b"h\\llo", false),
        (b"h[a-\\]]llo", b"h^]llo", true),
        (b"h\\*llo", b"h*llo", true),
        (b"h\\*llo", b"hello", false),
        (b"h\\?llo", b"h?llo", true),
        (b"h\\?llo", b"hello", false),
        (b"h\\[a]llo", b"h[a]llo", true),
        (b"h\\[a]llo", b"hallo", false),
        (b"h[\\]]llo", b"h]llo", true),
        (b"h[\\^]llo", b"h^llo", true),
        (b"h[\\\\]llo", b"h\\llo", true),
        (b"h[^\\]]llo", b"h]llo", false),
        (b"h[]]llo", b"h]llo", false),
        (b"h[]]llo", b"h]]llo", false),
        (b"[]a]", b"]a]", false),
        (b"[]a]", b"a]", false),
        (b"[^]a]", b"xa]", true),
        (b"[^]", b"x", true),
        (b"[^]", b"", false),
        (b"[]", b"x", false),
        (b"[abc", b"a", true),
        (b"[abc", b"c", true),
        (b"[abc", b"abc", false),
        (b"[abc", b"[", false),
        (b"a[bc", b"ab", true),
        (b"a[bc", b"a[bc", false),
        (b"[", b"[", false),
        (b"a[", b"a", false),
        (b"a[", b"a[", false),
        (b"a[^", b"ab", true),
        (b"a[^", b"a", false),
        (b"a[^", b"a[^", false),
        (b"[a-", b"a", true),
        (b"[a-", b"-", true),
        (b"[a-", b"b", false),
        (b"[a-z", b"m", true),
        (b"[a\\", b"\\", true),
        (b"[a\\", b"a", true),
        (b"[\\", b"\\", true),
        (b"\\", b"\\", true),
        (b"a\\", b"a\\", true),
        (b"a\\", b"a", false),
        (b"\\\\", b"\\", true),
        (b"\\a", b"a", true),
        (b"\\a\\b", b"ab", true),
        (b"**", b"", false),
        (b"?", b"", false),
        (b"*?", b"", false),
        (b"a*", b"a", true),
        (b"a**", b"a", true),
        (b"a*?", b"a", false),
        (b"a*?", b"ab", true),
        (b"*a", b"a", true),
        (b"*a*", b"bab", true),
        (b"*a*", b"bbb", false),
        (b"a*b*c", b"aXbYc", true),
        (b"a*b*c", b"aXbYcZ", false),
        (b"?*?", b"a", false),
        (b"?*?", b"ab", true),
        (b"*[", b"a[", false),
        (b"*[", b"a", false),
        (b"*\\", b"a\\", true),
        (b"**a**", b"xxaxx", true),
        (b"[a-\xff]", b"\x80", false),
        (b"[a-\xff]", b"\xff", true),
        (b"[a-\xff]", b"b", false),
        (b"[a-\xff]", b"A", true),
        (b"[a-\xff]", b"\x00", true),
        (b"[\x80-\xff]", b"\x90", true),
        (b"[\x80-\xff]", b"a", false),
        (b"[\x00-\x7f]", b"\x80", false),
        (b"[\x00-\x7f]", b"\x7f", true),
        (b"[^a-\xff]", b"\x80", true),
        (b"\xff*", b"\xff\x00a", true),
        (b"a\x00b", b"a\x00b", true),
        (b"a?b", b"a\x00b", true),
        (b"*\x00", b"ab\x00", true),
        (b"user:*:name", b"user:1000:name", true),
        (b"user:*:name", b"user:1000:email", false),
        (b"user:[0-9]*", b"user:42", true),
        (b"user:[0-9]*", b"user:x42", false),
        (b"HELLO", b"hello", false),
        (b"h[A-Z]llo", b"hello", false),
    ];

    /// Random (pattern, key) pairs sampled from ~2.2M pairs cross-checked
    /// against redis-server 7.0.15 `KEYS`/`SCAN MATCH` (all agreed).
    const RANDOM_VERIFIED: &[(&[u8], &[u8], bool)] = &[
        (b"*A\\a?**h", b"*AazBh", true),
        (b"*A\\a?**h", b"*\x80-", false),
        (b"B??l", b"B?^l", true),
        (b"B??l", b"?]", false),
        (b"o\\\x80[^-b]", b"o\x80\x80", true),
        (b"o\\\x80[^-b]", b"-^\x80aa?", false),
        (b"[b\x00*][\xff-]\\h?**", b"*-", true),
        (b"[b\x00*][\xff-]\\h?**", b"]o", false),
        (b"]\\*", b"]*", true),
        (b"]\\*", b"\x80B", false),
        (b"^[a-\x80?h", b"^?", true),
        (b"^[a-\x80?h", b"\xff", false),
        (b"[\\a\xff?", b"\xff", true),
        (b"[\\a\xff?", b"\\\xff*aa", false),
        (b"[a\\-a", b"-", true),
        (b"[a\\-a", b"^[", false),
        (b"*[^\xff^\x80]*", b"Aa\x00", true),
        (b"*[^\xff^\x80]*", b"\x80", false),
        (b"?[B--]A", b"cBA", true),
        (b"?[B--]A", b"[*c-\xff", false),
        (b"\\\xffh**?", b"\xffh?\x00", true),
        (b"\\\xffh**?", b"*\\", false),
        (b"oo^****", b"oo^\\\x00", true),
        (b"oo^****", b"^lA^B*\x80", false),
        (b"**^", b"*^", true),
        (b"**^", b"o[*", false),
        (b"?[*", b"A*", true),
        (b"?[*", b"*aba", false),
        (b"[[][\xff\x00]**", b"[\xffh^", true),
        (b"[[][\xff\x00]**", b"haa-", false),
        (b"*[o-b]b**", b"hbl^", true),
        (b"*[o-b]b**", b"\xff\x00*A", false),
        (b"[\\\xff?", b"\xff", true),
        (b"[\\\xff?", b"*chl\x80[", false),
        (b"?\x80\\c[h-\x80]", b"\xff\x80c\x80", true),
        (b"?\x80\\c[h-\x80]", b"A[", false),
        (b"[*[\x00B]\\", b"*\\", true),
        (b"[*[\x00B]\\", b"\x00-]co*B", false),
        (b"[?-\x00]\\", b"*\\", true),
        (b"[?-\x00]\\", b"\xff*", false),
        (b"???[^B][\x80\xffA]", b"]h-a\x80", true),
        (b"???[^B][\x80\xffA]", b"z[o\xff", false),
        (b"*^*****\x80?", b"^-a\x80h", true),
        (b"*^*****\x80?", b"\x80h?ozh", false),
        (b"[h^]*", b"^-a\x80h", true),
        (b"[h^]*", b"c\xff\xffbz", false),
        (b"[c[\x80][\xff-?]", b"c\xff", true),
        (b"[c[\x80][\xff-?]", b"a\\", false),
        (b"b\\?", b"b?", true),
        (b"b\\?", b"ab[", false),
        (b"*[?\\]**[\x00-]", b"?\xffAh[\x80A", true),
        (b"*[?\\]**[\x00-]", b"ab\\\xff", false),
        (b"\\c[h]B", b"chB", true),
        (b"\\c[h]B", b"a]", false),
        (b"b*", b"b\xff\\", true),
        (b"b*", b"[-", false),
        (b"\\]***", b"]*\x80\x00B", true),
        (b"\\]***", b"A?A??^", false),
        (b"[\x80-h?^a^", b"\xff", true),
        (b"[\x80-h?^a^", b"\xff\x80[h^A", false),
        (b"[B-\x00***?", b"\x00", true),
        (b"[B-\x00***?", b"chB", false),
        (b"*z?h", b"*AazBh", true),
        (b"*z?h", b"*\\", false),
        (b"*[b]**", b"\\*b", true),
        (b"*[b]**", b"[c^ho^A", false),
        (b"o\\\x80\x80", b"o\x80\x80", true),
        (b"o\\\x80\x80", b"za?bo", false),
        (b"\\?", b"?", true),
        (b"\\?", b"?A", false),
        (b"**\x80[[-*][^\xffab][\\ba[\xff-^]", b"b^\x80*\x00B", true),
        (b"**\x80[[-*][^\xffab][\\ba[\xff-^]", b"b\xffh\x00-", false),
        (b"[o-l]*B", b"lB", true),
        (b"[o-l]*B", b"a^lob[", false),
        (b"[h-a][\xff-l", b"a\\", true),
        (b"[h-a][\xff-l", b"\x80[", false),
        (b"?]??al[z*\x80]", b"b]?bal\x80", true),
        (b"?]??al[z*\x80]", b"c\x00z^cl", false),
        (b"z?^", b"zA^", true),
        (b"z?^", b"c^oc", false),
        (b"o[\x80]?", b"o\x80\x00", true),
        (b"o[\x80]?", b"chB", false),
        (b"h*o", b"ho", true),
        (b"h*o", b"l*\x80zAl", false),
        (b"[?l][B]*", b"?Ba^-B\xff", true),
        (b"[?l][B]*", b"]\xffB-z", false),
        (b"?[?]\\", b"a?\\", true),
        (b"?[?]\\", b"?B", false),
        (b"*??[^^]*", b"[b][-", true),
        (b"*??[^^]*", b"co", false),
        (b"[?ho]hB\xff", b"?hB\xff", true),
        (b"[?ho]hB\xff", b"bzh", false),
        (b"*[\x80-B\x80[^*\xff]\\?", b"??", true),
        (b"*[\x80-B\x80[^*\xff]\\?", b"\\*b", false),
        (b"*[\xff\x80]?[a]**", b"\x80\x80^a^", true),
        (b"*[\xff\x80]?[a]**", b"b]\x80*\x80hh", false),
        (b"[-\x80]z*", b"\x80z?o?-", true),
        (b"[-\x80]z*", b"A^", false),
        (b"[\x80]*[b\x80]?", b"\x80\\\x80-", true),
        (b"[\x80]*[b\x80]?", b"[\xffh^", false),
        (b"[[]\\*", b"[*", true),
        (b"[[]\\*", b"]\xff\xffha\x00", false),
        (b"\\Ah", b"Ah", true),
        (b"\\Ah", b"[oo-z\\", false),
        (b"-*\\\\A", b"-h\\A", true),
        (b"-*\\\\A", b"?-[ob\xff", false),
        (b"][\x00-l\x80\x00[Bl]", b"]?", true),
        (b"][\x00-l\x80\x00[Bl]", b"cBA", false),
        (b"*\\c-", b"\\c-", true),
        (b"*\\c-", b"?B", false),
        (b"[\x00-a][*-bz", b"*\\", true),
        (b"[\x00-a][*-bz", b"o-", false),
        (b"^*a", b"^*a", true),
        (b"^*a", b"lbl\\?", false),
        (b"*z-", b"?z-", true),
        (b"*z-", b"lz", false),
        (b"?b?**", b"cbB\\\x80[*", true),
        (b"?b?**", b"\\clhB\x00?", false),
        (b"?**?*\\", b"[B\x00\\", true),
        (b"?**?*\\", b"[hb[[z", false),
        (b"[[][A\\\\l-", b"[-", true),
        (b"[[][A\\\\l-", b"a?\\", false),
        (b"?[[^", b"B[", true),
        (b"?[[^", b"\\*b", false),
        (b"**[zz*", b"[hb[[z", true),
        (b"**[zz*", b"[\xffB", false),
        (b"[B-\xff][^\\]", b"\x00o", true),
        (b"[B-\xff][^\\]", b"bz*", false),
        (b"*\\h*\xffz", b"-hz\xffz", true),
        (b"*\\h*\xffz", b"b]\xffa]\x80*", false),
        (b"h[h]", b"hh", true),
        (b"h[h]", b"*oc\x00a", false),
        (b"*?[[-A][a-o?\\*", b"]\x80hBh", true),
        (b"*?[[-A][a-o?\\*", b"A\\*", false),
        (b"[\x80-b]", b"b", true),
        (b"[\x80-b]", b"\x00^", false),
        (b"[a-]b\\[\xff]", b"a", true),
        (b"[a-]b\\[\xff]", b"haa-", false),
        (b"[^\\]", b"c", true),
        (b"[^\\]", b"l\x00c\xff", false),
        (b"\\z", b"z", true),
        (b"\\z", b"^b[]lhl", false),
        (b"[?l]\\A", b"lA", true),
        (b"[?l]\\A", b"ho", false),
        (b"*\x00\\", b"[B\x00\\", true),
        (b"*\x00\\", b"B[", false),
        (b"*[lh]^--", b"[h^--", true),
        (b"*[lh]^--", b"bh\x80^A", false),
        (b"B[?a[b\\", b"B[", true),
        (b"B[?a[b\\", b"oa\x80hBh", false),
        (b"?h?[^[aa][z", b"-hz\xffz", true),
        (b"?h?[^[aa][z", b"\\-B^^l", false),
        (b"A\x80**", b"A\x80\\B", true),
        (b"A\x80**", b"B[", false),
        (b"[?*[-]?", b"?", true),
        (b"[?*[-]?", b"zA^", false),
        (b"[alc^a*\xff", b"^", true),
        (b"[alc^a*\xff", b"a^[^", false),
        (b"?[\x80a-]?b\\o", b"\\]", true),
        (b"?[\x80a-]?b\\o", b"Ba\xffl^h\x00", false),
        (b"A*", b"A[Az]", true),
        (b"A*", b"b^\x80*\x00B", false),
        (b"*?[[", b"B[", true),
        (b"*?[[", b"zA^", false),
        (b"[\x00-?]?\\aa**", b"\x00Baa?", true),
        (b"[\x00-?]?\\aa**", b"z]", false),
        (b"[a-?]\\B*", b"^B*h", true),
        (b"[a-?]\\B*", b"h?zz?", false),
        (b"[ca]*", b"acAcab", true),
        (b"[ca]*", b"A\xff\x00\x00", false),
        (b"\\B?]", b"B\xff]", true),
        (b"\\B?]", b"A", false),
        (b"c", b"c", true),
        (b"c", b"^[", false),
        (b"h^", b"h^", true),
        (b"h^", b"\x80-l^*", false),
        (b"?ch**[\x80-][[-\x80]", b"\x80ch^\x00[", true),
        (b"?ch**[\x80-][[-\x80]", b"Bco", false),
        (b"?***o[[*?]**", b"\x00-]co*B", true),
        (b"?***o[[*?]**", b"*\x80]Aa", false),
        (b"****", b"\x80lh*B", true),
        (b"****", b"", false),
        (b"\\^", b"^", true),
        (b"\\^", b"l", false),
        (b"**?[aa]b**[^", b"coab\x80", true),
        (b"**?[aa]b**[^", b"]\xff\xffha\x00", false),
        (b"[^A]?[^", b"]\x80b", true),
        (b"[^A]?[^", b"l\xffl\\\x80", false),
        (b"?[-]*", b"*-", true),
        (b"?[-]*", b"\x00\\?\\o\\b", false),
        (b"\\???", b"?z-", true),
        (b"\\???", b"cl", false),
        (b"*B?\\", b"[B\x00\\", true),
        (b"*B?\\", b"\x80\x80^a^", false),
        (b"[[A][a\x00", b"[a", true),
        (b"[[A][a\x00", b"[b", false),
        (b"\\\\\xff?", b"\\\xffB", true),
        (b"\\\\\xff?", b"l\x80A", false),
        (b"z[^", b"zb", true),
        (b"z[^", b"*AazBh", false),
        (b"?*", b"coab\x80", true),
        (b"?*", b"", false),
        (b"\x80l****B", b"\x80lh*B", true),
        (b"\x80l****B", b"oAh-a*", false),
        (b"[B-h][^]", b"ba", true),
        (b"[B-h][^]", b"\x00-]co*B", false),
        (b"[\xff-h]?]", b"B\xff]", true),
        (b"[\xff-h]?]", b"ho", false),
        (b"?[\\*h]", b"\\*", true),
        (b"?[\\*h]", b"ho-", false),
        (b"*[^-l*[\x00B]-*", b"-\\]c-aa", true),
        (b"*[^-l*[\x00B]-*", b"A*", false),
        (b"[c-?[?\\c??\x00[]", b"\\", true),
        (b"[c-?[?\\c??\x00[]", b"[b][-", false),
        (b"*[c-[][\x00^b]?", b"bb]b^o", true),
        (b"*[c-[][\x00^b]?", b"ahA", false),
        (b"[l-z*", b"*", true),
        (b"[l-z*", b"\\]-*^h", false),
        (b"[?]", b"?", true),
        (b"[?]", b"h", false),
    ];

    fn check(table: &[(&[u8], &[u8], bool)]) {
        for &(p, s, want) in table {
            assert_eq!(
                glob_match(p, s, false),
                want,
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn server_verified_cases() {
        check(SERVER_VERIFIED);
    }

    #[test]
    fn random_server_verified_cases() {
        check(RANDOM_VERIFIED);
    }

    #[test]
    fn star_never_matches_empty_string() {
        // Verified with PSUBSCRIBE "*" + PUBLISH "" (0 receivers); KEYS and
        // SCAN only match "" with "*" because they bypass the matcher.
        assert!(!glob_match(b"*", b"", false));
        assert!(!glob_match(b"**", b"", false));
        assert!(glob_match(b"", b"", false));
        assert!(!glob_match(b"", b"a", false));
        assert!(glob_match(b"*", b"a", false));
    }

    #[test]
    fn nocase_matches_config_get() {
        // Verified with CONFIG GET (which matches with nocase=1).
        let name: &[u8] = b"maxmemory";
        assert!(glob_match(b"MAXMEM*", name, true));
        assert!(glob_match(b"[M]axmemory", name, true));
        assert!(!glob_match(b"[\\M]axmemory", name, true));
        assert!(glob_match(b"[\\m]axmemory", name, true));
        assert!(glob_match(b"[L-N]axmemory", name, true));
        assert!(glob_match(b"[l-n]axmemory", name, true));
        assert!(glob_match(b"[N-L]axmemory", name, true));
        assert!(!glob_match(b"[Z-a]axmemory", name, true));
        assert!(!glob_match(b"[^M]axmemory", name, true));
        assert!(!glob_match(b"[^m]axmemory", name, true));
        let policy: &[u8] = b"maxmemory-policy";
        assert!(glob_match(b"maxmemory-[P]olicy", policy, true));
        assert!(glob_match(b"?AXMEMORY-POLICY", policy, true));
        assert!(glob_match(b"MAXMEMORY\\-POLIC[X-Z]", policy, true));
        assert!(!glob_match(b"MAXMEM*", name, false));
    }

    #[test]
    fn nesting_guard_at_1000_stars() {
        // Verified via KEYS: 1000 nested stars match, 1001 do not.
        let s = vec![b'a'; 1001];
        assert!(glob_match(&b"*a".repeat(1000), &s[..1000], false));
        assert!(!glob_match(&b"*a".repeat(1001), &s, false));
        assert!(!glob_match(&b"*a".repeat(5000), &vec![b'a'; 5000], false));
    }

    #[test]
    fn adversarial_patterns_are_fast() {
        // CVE-2022-36021: both verified as non-matching via KEYS.
        let start = Instant::now();
        let s = vec![b'a'; 100_000];
        assert!(!glob_match(b"a*a*a*a*a*a*a*a*a*a*b", &s, false));
        let mut s2 = vec![b'a'; 60];
        s2.push(b'c');
        s2.resize(s2.len() + 5000, b'a');
        assert!(!glob_match(
            &[b"a*".repeat(60), b"b".to_vec()].concat(),
            &s2,
            false
        ));
        let deep = [b"*a".repeat(999), b"b".to_vec()].concat();
        assert!(!glob_match(&deep, &s, false));
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
