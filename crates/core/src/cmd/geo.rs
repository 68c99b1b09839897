//! GEO commands (Redis's geo.c): GEOADD, GEOPOS, GEODIST, GEOHASH and the
//! searches GEORADIUS[_RO], GEORADIUSBYMEMBER[_RO], GEOSEARCH and
//! GEOSEARCHSTORE. A geo set is a sorted set whose scores are geohashes
//! (`types::geohash`), so every sorted set command works on it and GEOADD is
//! ZADD with computed scores (and propagates as that ZADD, as Redis does).

use crate::args::{is, parse_f64, parse_i64, Args};
use crate::cmd::zsets::{self, limits, read_zset};
use crate::command::{acl, flags::*, Command};
use crate::ctx::{classes, Ctx};
use crate::error::{CmdError, CmdResult};
use crate::pqsort::pqsort;
use crate::types::geohash::{self, Extent, Shape};
use crate::types::zset::{ScoreRange, ZSetValue};
use crate::value::Value;
use bytes::Bytes;
use ember_resp::Reply;
use std::cmp::Ordering;

pub fn commands() -> Vec<Command> {
    let g = acl::GEO;
    let rw = WRITE | DENYOOM;
    vec![
        Command::new("geoadd", -5, rw, g, geoadd).keys(1, 1, 1),
        Command::new("geodist", -4, READONLY, g, geodist).keys(1, 1, 1),
        Command::new("geohash", -2, READONLY, g, geohash).keys(1, 1, 1),
        Command::new("geopos", -2, READONLY, g, geopos).keys(1, 1, 1),
        Command::new("georadius", -6, rw, g, georadius)
            .keys(1, 1, 1)
            .movable_keys(radius_keys_from_6),
        Command::new("georadius_ro", -6, READONLY, g, georadius_ro).keys(1, 1, 1),
        Command::new("georadiusbymember", -5, rw, g, georadiusbymember)
            .keys(1, 1, 1)
            .movable_keys(radius_keys_from_5),
        Command::new(
            "georadiusbymember_ro",
            -5,
            READONLY,
            g,
            georadiusbymember_ro,
        )
        .keys(1, 1, 1),
        Command::new("geosearch", -7, READONLY, g, geosearch).keys(1, 1, 1),
        Command::new("geosearchstore", -8, rw, g, geosearchstore).keys(1, 2, 1),
    ]
}

/// GEORADIUS[BYMEMBER]'s keys as its key specs find them: the source, then
/// the argument after the first STORE and after the first STOREDIST at or
/// past `from` (never the last argument).
fn radius_keys(argv: &[Bytes], from: usize) -> Vec<usize> {
    let mut keys = vec![1];
    for word in ["store", "storedist"] {
        let end = argv.len().saturating_sub(1);
        if let Some(i) = (from..end).find(|&i| is(&argv[i], word)) {
            keys.push(i + 1);
        }
    }
    keys
}

fn radius_keys_from_6(argv: &[Bytes]) -> Vec<usize> {
    radius_keys(argv, 6)
}

fn radius_keys_from_5(argv: &[Bytes]) -> Vec<usize> {
    radius_keys(argv, 5)
}

// ---- arguments ----------------------------------------------------------------

/// A float argument; `msg` replaces the generic "not a valid float" text.
fn float_arg(arg: &[u8], msg: Option<&'static str>) -> Result<f64, CmdError> {
    parse_f64(arg).map_err(|e| msg.map_or(e, CmdError::err))
}

/// A longitude and a latitude, within Redis's limits.
fn lonlat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let (x, y) = (float_arg(lon, None)?, float_arg(lat, None)?);
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&x)
        || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&y)
    {
        return Err(CmdError::err(format!(
            "invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok((x, y))
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    Ok(match arg.to_ascii_lowercase().as_slice() {
        b"m" => 1.0,
        b"km" => 1000.0,
        b"ft" => 0.3048,
        b"mi" => 1609.34,
        _ => {
            return Err(CmdError::err(
                "unsupported unit provided. please use M, KM, FT, MI",
            ))
        }
    })
}

/// `radius unit`: (radius, meters per unit).
fn radius_arg(radius: &[u8], unit_arg: &[u8]) -> Result<(f64, f64), CmdError> {
    let r = float_arg(radius, Some("need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::err("radius cannot be negative"));
    }
    Ok((r, unit(unit_arg)?))
}

/// `width height unit`: (width, height, meters per unit).
fn box_arg(argv: &[Bytes]) -> Result<(f64, f64, f64), CmdError> {
    let w = float_arg(&argv[0], Some("need numeric width"))?;
    let h = float_arg(&argv[1], Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::err("height or width cannot be negative"));
    }
    Ok((w, h, unit(&argv[2])?))
}

/// The position stored for `member`, or Redis's error for a missing one.
fn member_position(z: &ZSetValue, member: &[u8]) -> Result<(f64, f64), CmdError> {
    z.score(member)
        .map(geohash::score_to_lonlat)
        .ok_or_else(|| CmdError::err("could not decode requested zset member"))
}

/// A coordinate as addReplyHumanLongDouble writes it: `%.17Lf` without
/// trailing zeros (a bulk string in RESP2, a double in RESP3).
fn coordinate(v: f64) -> Reply {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        let kept = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(kept);
    }
    if s == "-0" {
        s = "0".into();
    }
    Reply::DoubleText(Bytes::from(s))
}

/// A distance as Redis 7.0.15's addReplyDoubleDistance writes it, a bulk
/// string with four decimals. It is not `%.4f`: the value is scaled by 10^4
/// and rounded to an integer (`llrint`, ties to even) first, so a value
/// just under a half rounds up when the scaling lands on the half.
fn distance_reply(d: f64) -> Reply {
    Reply::bulk(fixed4(d).as_bytes())
}

fn fixed4(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".into();
    }
    // llrint: ties to even; out of range (or NaN) gives x86's i64::MIN.
    let n = geohash::double_to_i64((d * 10_000.0).round_ties_even());
    let sign = if n < 0 { "-" } else { "" };
    let v = n.unsigned_abs();
    format!("{sign}{}.{:04}", v / 10_000, v % 10_000)
}

// ---- GEOADD -------------------------------------------------------------------

/// GEOADD key [NX|XX] [CH] lon lat member ...: ZADD with each position's
/// geohash as its score, run and propagated as that ZADD.
fn geoadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while let Some(o) = argv.get(first) {
        if is(o, "nx") {
            nx = true;
        } else if is(o, "xx") {
            xx = true;
        } else if !is(o, "ch") {
            break;
        }
        first += 1;
    }
    let triples = &argv[first..];
    if !triples.len().is_multiple_of(3) || (nx && xx) {
        return Err(CmdError::Syntax);
    }
    let mut zadd: Vec<Bytes> = Vec::with_capacity(first + triples.len() / 3 * 2);
    zadd.push(Bytes::from_static(b"zadd"));
    zadd.extend(argv[1..first].iter().cloned());
    for t in triples.chunks(3) {
        let (lon, lat) = lonlat(&t[0], &t[1])?;
        let score = geohash::lonlat_to_score(lon, lat).expect("validated position");
        zadd.push(Bytes::from(score.to_string()));
        zadd.push(t[2].clone());
    }
    let reply = zsets::zadd_generic(ctx, &mut Args::new(&zadd, 1), false);
    ctx.propagate_as(zadd);
    reply
}

// ---- GEOPOS / GEODIST / GEOHASH -------------------------------------------------

fn geopos(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let z = read_zset(ctx, key)?;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(score) => {
                    let (lon, lat) = geohash::score_to_lonlat(score);
                    Reply::Array(vec![coordinate(lon), coordinate(lat)])
                }
                None => Reply::NilArray,
            })
            .collect(),
    ))
}

fn geodist(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.argv();
    let to_meters = match argv.len() {
        5 => unit(&argv[4])?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let Some(z) = read_zset(ctx, &argv[1])? else {
        return Ok(Reply::Nil);
    };
    let (Some(a), Some(b)) = (z.score(&argv[2]), z.score(&argv[3])) else {
        return Ok(Reply::Nil);
    };
    let (a, b) = (geohash::score_to_lonlat(a), geohash::score_to_lonlat(b));
    Ok(distance_reply(
        geohash::distance(a.0, a.1, b.0, b.1) / to_meters,
    ))
}

fn geohash(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let z = read_zset(ctx, key)?;
    Ok(Reply::Array(
        args.rest()
            .iter()
            .map(|m| match z.and_then(|z| z.score(m)) {
                Some(score) => {
                    let (lon, lat) = geohash::score_to_lonlat(score);
                    Reply::bulk(geohash::standard_geohash(lon, lat))
                }
                None => Reply::Nil,
            })
            .collect(),
    ))
}

// ---- searches -----------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Radius,
    RadiusRo,
    ByMember,
    ByMemberRo,
    Search,
    SearchStore,
}

impl Variant {
    fn is_search(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    fn takes_store(self) -> bool {
        matches!(self, Variant::Radius | Variant::ByMember)
    }
}

fn georadius(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::Radius)
}

fn georadius_ro(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::RadiusRo)
}

fn georadiusbymember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::ByMember)
}

fn georadiusbymember_ro(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::ByMemberRo)
}

fn geosearch(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::Search)
}

fn geosearchstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    search_generic(ctx, args.argv(), Variant::SearchStore)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A search's options, as parsed from its arguments.
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    /// 0: no limit.
    count: usize,
    storedist: bool,
}

/// A member found by a search.
struct Found {
    member: Bytes,
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
}

/// What a search comes to once its arguments are read and the set scanned.
enum Outcome {
    Reply(Reply),
    /// Store these (already sorted and cut to COUNT) at `dst`.
    Store {
        dst: Bytes,
        found: Vec<Found>,
        storedist: bool,
    },
}

/// Redis's georadiusGeneric: every search command. The source is looked up
/// once; errors come in Redis's order: the key's type, the fixed
/// arguments, each option as it is read, then the combinations.
fn search_generic(ctx: &mut Ctx, argv: &[Bytes], variant: Variant) -> CmdResult {
    let src = if variant == Variant::SearchStore {
        &argv[2]
    } else {
        &argv[1]
    };
    let z = read_zset(ctx, src)?;
    match search(z, argv, variant)? {
        Outcome::Reply(r) => Ok(r),
        Outcome::Store {
            dst,
            found,
            storedist,
        } => store_found(ctx, &dst, found, storedist, variant.is_search()),
    }
}

fn search(z: Option<&ZSetValue>, argv: &[Bytes], variant: Variant) -> Result<Outcome, CmdError> {
    let mut store = (variant == Variant::SearchStore).then(|| argv[1].clone());
    let mut center: Option<(f64, f64)> = None;
    let mut extent: Option<(Extent, f64)> = None;
    let base = match variant {
        Variant::Radius | Variant::RadiusRo => {
            center = Some(lonlat(&argv[2], &argv[3])?);
            let (r, conv) = radius_arg(&argv[4], &argv[5])?;
            extent = Some((Extent::Radius(r), conv));
            6
        }
        Variant::ByMember | Variant::ByMemberRo => {
            // Without the key, neither the member nor the radius is read.
            if let Some(z) = z {
                center = Some(member_position(z, &argv[2])?);
                let (r, conv) = radius_arg(&argv[3], &argv[4])?;
                extent = Some((Extent::Radius(r), conv));
            }
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => 3,
    };
    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        storedist: false,
    };
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let rest = &argv[base..];
    let mut i = 0;
    while i < rest.len() {
        let arg = &rest[i];
        let left = rest.len() - i - 1;
        if is(arg, "withdist") {
            o.withdist = true;
        } else if is(arg, "withhash") {
            o.withhash = true;
        } else if is(arg, "withcoord") {
            o.withcoord = true;
        } else if is(arg, "any") {
            o.any = true;
        } else if is(arg, "asc") {
            o.sort = Sort::Asc;
        } else if is(arg, "desc") {
            o.sort = Sort::Desc;
        } else if is(arg, "count") && left >= 1 {
            let n = parse_i64(&rest[i + 1])?;
            if n <= 0 {
                return Err(CmdError::err("COUNT must be > 0"));
            }
            o.count = n as usize;
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && left >= 1 && variant.takes_store() {
            store = Some(rest[i + 1].clone());
            o.storedist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && variant == Variant::SearchStore {
            o.storedist = true;
        } else if is(arg, "frommember") && left >= 1 && variant.is_search() && !fromloc {
            if let Some(z) = z {
                center = Some(member_position(z, &rest[i + 1])?);
            }
            frommember = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && variant.is_search() && !frommember {
            center = Some(lonlat(&rest[i + 1], &rest[i + 2])?);
            fromloc = true;
            i += 2;
        } else if is(arg, "byradius") && left >= 2 && variant.is_search() && !bybox {
            let (r, conv) = radius_arg(&rest[i + 1], &rest[i + 2])?;
            extent = Some((Extent::Radius(r), conv));
            byradius = true;
            i += 2;
        } else if is(arg, "bybox") && left >= 3 && variant.is_search() && !byradius {
            let (width, height, conv) = box_arg(&rest[i + 1..i + 4])?;
            extent = Some((Extent::Box { width, height }, conv));
            bybox = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }

    if store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let what = if variant == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::err(format!(
            "{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let typed = || String::from_utf8_lossy(&argv[0]).into_owned();
    if variant.is_search() && !(frommember || fromloc) {
        return Err(CmdError::err(format!(
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
            typed()
        )));
    }
    if variant.is_search() && !(byradius || bybox) {
        return Err(CmdError::err(format!(
            "exactly one of BYRADIUS and BYBOX can be specified for {}",
            typed()
        )));
    }
    if o.any && o.count == 0 {
        return Err(CmdError::err("the ANY argument requires COUNT argument"));
    }
    let Some(z) = z else {
        return Ok(match store {
            Some(dst) => Outcome::Store {
                dst,
                found: Vec::new(),
                storedist: false,
            },
            None => Outcome::Reply(Reply::Array(Vec::new())),
        });
    };
    let ((lon, lat), (extent, conversion)) = (
        center.expect("a search has a centre"),
        extent.expect("a search has an extent"),
    );
    let shape = Shape {
        lon,
        lat,
        extent,
        conversion,
    };
    if o.count != 0 && o.sort == Sort::None && !o.any {
        o.sort = Sort::Asc;
    }
    let mut found = find_in_cells(z, &shape, if o.any { o.count } else { 0 });
    sort_found(&mut found, o.sort, o.count);
    if o.count != 0 {
        found.truncate(o.count);
    }
    for f in &mut found {
        f.dist /= conversion;
    }
    Ok(match store {
        None => Outcome::Reply(search_reply(found, &o)),
        Some(dst) => Outcome::Store {
            dst,
            found,
            storedist: o.storedist,
        },
    })
}

/// Orders the results as Redis does: all of them through glibc's qsort (a
/// merge sort, so equal distances stay in the order found), or, when COUNT
/// keeps fewer, the first COUNT through Redis's pqsort, whose order of
/// equal distances differs and is reproduced step by step.
fn sort_found(found: &mut [Found], sort: Sort, count: usize) {
    let asc = |a: &Found, b: &Found| {
        if a.dist > b.dist {
            Ordering::Greater
        } else if a.dist == b.dist {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    };
    let cmp = |a: &Found, b: &Found| match sort {
        Sort::Desc => asc(a, b).reverse(),
        _ => asc(a, b),
    };
    if sort == Sort::None {
        return;
    }
    if count == 0 || count >= found.len() {
        found.sort_by(|a, b| match sort {
            Sort::Desc => b.dist.total_cmp(&a.dist),
            _ => a.dist.total_cmp(&b.dist),
        });
    } else {
        pqsort(found, 0, count as i64 - 1, &cmp);
    }
}

/// Redis's membersOfAllNeighbors: each cell's score range in turn (a cell
/// equal to the one scanned just before is skipped), members inside the
/// shape kept in score order; with `limit`, stops once that many are found.
fn find_in_cells(z: &ZSetValue, shape: &Shape, limit: usize) -> Vec<Found> {
    let mut found = Vec::new();
    let cells = geohash::cells_to_search(shape);
    let mut last: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last.is_some_and(|l| cells[l] == *cell) {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange {
            min,
            max,
            minex: false,
            maxex: true,
        };
        if let Some(start) = z.first_in_range(&range) {
            for (member, score) in z.iter_from(start, false) {
                if !range.lte_max(score) {
                    break;
                }
                let (lon, lat) = geohash::score_to_lonlat(score);
                if let Some(dist) = shape.distance_if_within(lon, lat) {
                    found.push(Found {
                        member: Bytes::copy_from_slice(member),
                        lon,
                        lat,
                        dist,
                        score,
                    });
                }
                if limit != 0 && found.len() >= limit {
                    break;
                }
            }
        }
        last = Some(i);
    }
    found
}

/// Members alone, or [member, dist?, hash?, [lon, lat]?] for each.
fn search_reply(found: Vec<Found>, o: &Options) -> Reply {
    let nested = o.withdist || o.withhash || o.withcoord;
    Reply::Array(
        found
            .into_iter()
            .map(|f| {
                if !nested {
                    return Reply::Bulk(f.member);
                }
                let mut item = vec![Reply::Bulk(f.member)];
                if o.withdist {
                    item.push(distance_reply(f.dist));
                }
                if o.withhash {
                    item.push(Reply::Integer(geohash::double_to_i64(f.score)));
                }
                if o.withcoord {
                    item.push(Reply::Array(vec![coordinate(f.lon), coordinate(f.lat)]));
                }
                Reply::Array(item)
            })
            .collect(),
    )
}

/// STORE / STOREDIST / GEOSEARCHSTORE: the results as a sorted set (scores
/// are the geohashes, or the distances in the unit asked), or the
/// destination deleted when there are none.
fn store_found(
    ctx: &mut Ctx,
    dst: &Bytes,
    found: Vec<Found>,
    storedist: bool,
    search: bool,
) -> CmdResult {
    let n = found.len();
    if n == 0 {
        zsets::delete_destination(ctx, dst);
        return Ok(Reply::Integer(0));
    }
    let mut entries: Vec<(Bytes, f64)> = found
        .into_iter()
        .map(|f| (f.member, if storedist { f.dist } else { f.score }))
        .collect();
    entries.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    // Cells can repeat at the coarsest step: a member is stored once.
    entries.dedup_by(|a, b| a.0 == b.0);
    let z = ZSetValue::from_sorted(&entries, limits(ctx));
    ctx.set_key(dst, Value::ZSet(z), false);
    let event = if search {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    ctx.notify(classes::ZSET, event, dst);
    ctx.dirty(n as u64);
    Ok(Reply::Integer(n as i64))
}

#[cfg(test)]
mod tests {
    use super::fixed4;

    #[test]
    fn distances_round_as_redis_fixed_point() {
        assert_eq!(fixed4(0.0), "0.0000");
        assert_eq!(fixed4(0.00004), "0.0000");
        assert_eq!(fixed4(0.5), "0.5000");
        assert_eq!(fixed4(166274.15156960033), "166274.1516");
        // %.4f gives .7153 (the value is just under the half); Redis .7154.
        assert_eq!(fixed4(62090317.715349995), "62090317.7154");
        assert_eq!(fixed4(0.00025), "0.0002");
        assert_eq!(fixed4(f64::NAN), "-922337203685477.5808");
    }
    /// GEOADD propagates as the ZADD it runs (scores computed, options
    /// kept); a store search propagates as typed; events are Redis's.
    #[test]
    fn propagation_and_events() {
        let mut t = crate::testkit::T::new();
        let mut step = |cmd: &[&str], props: &[&str], evs: &[&str]| t.effects(cmd, props, evs);
        step(
            &["GEOADD", "s", "CH", "13.361389", "38.115556", "Palermo"],
            &["zadd s CH 3479099956230698 Palermo"],
            &["zadd:s"],
        );
        step(&["GEOADD", "s", "NX", "0", "0", "Palermo"], &[], &[]);
        step(&["GEOADD", "s", "0", "91", "x"], &[], &[]);
        let search = [
            "GEOSEARCHSTORE",
            "d",
            "s",
            "FROMLONLAT",
            "13",
            "38",
            "BYRADIUS",
            "100",
            "km",
        ];
        step(&search, &[&search.join(" ")], &["geosearchstore:d"]);
        let far = ["GEORADIUS", "s", "0", "0", "1", "m", "STORE", "d"];
        step(&far, &[&far.join(" ")], &["del:d"]);
        step(&far, &[], &[]);
    }
}
