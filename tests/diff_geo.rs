//! Differential tests of the GEO commands against the real redis-server:
//! stored scores, positions, distances and geohash strings byte for byte,
//! and seeded random searches (GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH and
//! their store forms) over points around the world, near the poles' limits
//! and across the antimeridian, where the cells Redis scans decide which
//! members come back and in what order.

mod support;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use support::Diff;

fn sicily(d: &mut Diff) {
    d.check(&[
        "GEOADD",
        "Sicily",
        "13.361389",
        "38.115556",
        "Palermo",
        "15.087269",
        "37.502669",
        "Catania",
    ]);
}

#[test]
fn add_pos_dist_hash_and_their_errors() {
    let mut d = Diff::new();
    sicily(&mut d);
    d.check(&["RPUSH", "list", "a"]);
    for cmd in [
        &["GEOADD", "k"][..],
        &["GEOADD", "k", "1", "2"],
        &["GEOADD", "k", "1", "2", "a", "3"],
        &["GEOADD", "k", "NX", "XX", "1", "2", "a"],
        &["GEOADD", "k", "ch", "ch", "ch"],
        &["GEOADD", "k", "181", "0", "a"],
        &["GEOADD", "k", "0", "85.06", "a"],
        &["GEOADD", "k", "-180.0000001", "-85.05112878", "a"],
        &["GEOADD", "k", "abc", "0", "a"],
        &["GEOADD", "k", "0", "1e400", "a"],
        &["GEOADD", "k", "inf", "0", "a"],
        &["GEOADD", "k", " 1", "0", "a"],
        &["GEOADD", "k", "1", "2", "a", "500", "0", "b"],
        &["EXISTS", "k"],
        &[
            "GEOADD",
            "k",
            "180",
            "85.05112878",
            "ne",
            "-180",
            "-85.05112878",
            "sw",
        ],
        &["GEOADD", "k", "0", "0", "zero", "-0.0", "0.0", "negzero"],
        &["GEOADD", "k", "XX", "1", "1", "zero", "2", "2", "new"],
        &["GEOADD", "k", "XX", "CH", "1", "1", "zero", "2", "2", "new"],
        &["GEOADD", "k", "NX", "CH", "3", "3", "zero", "4", "4", "new"],
        &["ZRANGE", "k", "0", "-1", "WITHSCORES"],
        &["GEOADD", "list", "1", "2", "a"],
        &["GEOPOS", "Sicily", "Palermo", "nosuch", "Catania"],
        &["GEOPOS", "k", "ne", "sw", "zero", "negzero", "new"],
        &["GEOPOS", "nosuchkey", "a", "b"],
        &["GEOPOS", "Sicily"],
        &["GEOPOS", "list", "a"],
        &["GEODIST", "Sicily", "Palermo", "Catania"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "km"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "MI"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "ft"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "m"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "parsec"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "km", "x"],
        &["GEODIST", "Sicily", "Palermo", "nosuch"],
        &["GEODIST", "Sicily", "Palermo", "Palermo"],
        &["GEODIST", "nosuchkey", "a", "b"],
        &["GEODIST", "nosuchkey", "a", "b", "parsec"],
        &["GEODIST", "list", "a", "b"],
        &["GEODIST", "k", "ne", "sw", "km"],
        &["GEOHASH", "Sicily", "Palermo", "Catania", "nosuch"],
        &["GEOHASH", "k", "ne", "sw", "zero", "negzero"],
        &["GEOHASH", "nosuchkey", "a"],
        &["GEOHASH", "list", "a"],
    ] {
        d.check(cmd);
    }
    // Scores that no GEOADD wrote still decode (as Redis casts them).
    d.check(&[
        "ZADD",
        "weird",
        "-1",
        "neg",
        "1e20",
        "big",
        "inf",
        "pinf",
        "-inf",
        "ninf",
        "0",
        "zero",
        "4503599627370495",
        "top",
        "4503599627370496",
        "over",
        "0.5",
        "half",
    ]);
    for cmd in [
        &[
            "GEOPOS", "weird", "neg", "big", "pinf", "ninf", "zero", "top", "over", "half",
        ][..],
        &[
            "GEOHASH", "weird", "neg", "big", "pinf", "ninf", "zero", "top", "over", "half",
        ],
        &["GEODIST", "weird", "neg", "big"],
        &[
            "GEORADIUS",
            "weird",
            "0",
            "0",
            "20000",
            "km",
            "WITHHASH",
            "WITHCOORD",
            "WITHDIST",
        ],
    ] {
        d.check(cmd);
    }
    d.hello3();
    for cmd in [
        &["GEOPOS", "Sicily", "Palermo", "nosuch"][..],
        &["GEOPOS", "nosuchkey", "a"],
        &["GEODIST", "Sicily", "Palermo", "Catania"],
        &["GEODIST", "Sicily", "Palermo", "nosuch"],
        &["GEODIST", "nosuchkey", "a", "b"],
        &["GEOHASH", "Sicily", "nosuch"],
        &[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "200",
            "km",
            "WITHDIST",
            "WITHCOORD",
            "WITHHASH",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "400",
            "400",
            "km",
        ],
    ] {
        d.check(cmd);
    }
}

#[test]
fn search_errors_and_missing_keys() {
    let mut d = Diff::new();
    sicily(&mut d);
    d.check(&["SET", "str", "x"]);
    d.check(&["SET", "dst", "x"]);
    for cmd in [
        &["GEORADIUS", "Sicily", "15", "37", "200"][..],
        &["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
        &["GEORADIUS", "Sicily", "15", "37", "x", "km"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "parsec"],
        &["GEORADIUS", "Sicily", "200", "37", "1", "km"],
        &["GEORADIUS", "Sicily", "15", "x", "1", "km"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "-1"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "x"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "FOO"],
        &["GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE"],
        &[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "1",
            "km",
            "STORE",
            "x",
            "WITHDIST",
        ],
        &[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "1",
            "km",
            "WITHHASH",
            "STOREDIST",
            "x",
        ],
        &[
            "GEORADIUS",
            "Sicily",
            "15",
            "37",
            "1",
            "km",
            "FROMLONLAT",
            "1",
            "2",
        ],
        &[
            "GEORADIUS_RO",
            "Sicily",
            "15",
            "37",
            "1",
            "km",
            "STORE",
            "x",
        ],
        &["GEORADIUS", "str", "15", "37", "1", "km"],
        &["GEORADIUS", "nosuchkey", "15", "37", "1", "km"],
        &["GEORADIUS", "nosuchkey", "15", "37", "-1", "km"],
        &[
            "GEORADIUS",
            "nosuchkey",
            "15",
            "37",
            "1",
            "km",
            "STORE",
            "dst",
        ],
        &["EXISTS", "dst"],
        &["GEORADIUSBYMEMBER", "Sicily", "nosuch", "1", "km"],
        &["GEORADIUSBYMEMBER", "Sicily", "Palermo", "-1", "km"],
        &["GEORADIUSBYMEMBER", "nosuchkey", "m", "x", "y"],
        &["GEORADIUSBYMEMBER", "nosuchkey", "m", "x", "y", "WITHDIST"],
        &["GEORADIUSBYMEMBER", "nosuchkey", "m", "x", "y", "FOO"],
        &[
            "GEORADIUSBYMEMBER_RO",
            "Sicily",
            "Palermo",
            "1",
            "km",
            "STOREDIST",
            "x",
        ],
        &["GEOSEARCH", "Sicily", "BYRADIUS", "1", "km"],
        &["geosearch", "Sicily", "byradius", "1", "km"],
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0"],
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0", "WITHDIST"],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "FROMMEMBER",
            "Palermo",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMMEMBER",
            "Palermo",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
            "BYBOX",
            "1",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYBOX",
            "1",
            "-1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYBOX",
            "x",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYBOX",
            "1",
            "x",
            "km",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYBOX",
            "1",
            "1",
            "ly",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYBOX",
            "1",
            "1",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
            "STORE",
            "x",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "0",
            "0",
            "BYRADIUS",
            "1",
            "km",
            "STOREDIST",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMMEMBER",
            "nosuch",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS"],
        &[
            "GEOSEARCH",
            "nosuchkey",
            "FROMMEMBER",
            "x",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "nosuchkey",
            "FROMMEMBER",
            "x",
            "BYRADIUS",
            "-1",
            "km",
        ],
        &["GEOSEARCH", "str", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "1",
            "km",
            "WITHDIST",
        ],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "1",
            "km",
            "STORE",
            "x",
        ],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "1",
            "km",
            "ANY",
        ],
        &["SET", "dst", "x"],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "nosuchkey",
            "FROMMEMBER",
            "m",
            "BYRADIUS",
            "1",
            "km",
        ],
        &["EXISTS", "dst"],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "str",
            "FROMMEMBER",
            "m",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "COMMAND",
            "GETKEYS",
            "GEORADIUS",
            "k",
            "0",
            "0",
            "1",
            "km",
            "STORE",
            "a",
            "STOREDIST",
            "b",
        ],
        &[
            "COMMAND",
            "GETKEYS",
            "GEORADIUSBYMEMBER",
            "k",
            "m",
            "1",
            "km",
            "storedist",
            "b",
        ],
        &[
            "COMMAND",
            "GETKEYS",
            "GEOSEARCHSTORE",
            "a",
            "b",
            "FROMMEMBER",
            "m",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "COMMAND",
            "INFO",
            "geoadd",
            "geodist",
            "geohash",
            "geopos",
            "georadius",
            "georadius_ro",
        ],
        &[
            "COMMAND",
            "INFO",
            "georadiusbymember",
            "georadiusbymember_ro",
            "geosearch",
            "geosearchstore",
        ],
    ] {
        d.check(cmd);
    }
}

/// A point anywhere Redis accepts one, favouring the hard places: near the
/// latitude limits, around the antimeridian, near the equator and the
/// prime meridian, and in a few tight clusters.
fn random_point(rng: &mut SmallRng) -> (f64, f64) {
    let lat_max = 85.05112878;
    match rng.gen_range(0..6) {
        0 => (
            rng.gen_range(-180.0..=180.0),
            rng.gen_range(-lat_max..=lat_max),
        ),
        1 => (rng.gen_range(-180.0..=180.0), rng.gen_range(60.0..=lat_max)),
        2 => (
            rng.gen_range(-180.0..=180.0),
            rng.gen_range(-lat_max..=-60.0),
        ),
        3 => {
            let lon = if rng.gen_bool(0.5) { 179.0 } else { -180.0 };
            (lon + rng.gen_range(0.0..1.0), rng.gen_range(-60.0..60.0))
        }
        4 => (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)),
        _ => {
            let (lon, lat) =
                [(13.36, 38.11), (-73.98, 40.75), (151.2, -33.87)][rng.gen_range(0..3)];
            (
                lon + rng.gen_range(-0.5..0.5),
                lat + rng.gen_range(-0.5..0.5),
            )
        }
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.6}")
}

/// Random searches in every form over one geo set, compared byte for byte.
fn random_searches(d: &mut Diff, rng: &mut SmallRng, key: &str, members: usize, queries: usize) {
    let units = ["m", "km", "ft", "mi", "KM"];
    let radii_m = [
        0.0,
        1.0,
        500.0,
        20_000.0,
        300_000.0,
        2_000_000.0,
        6_000_000.0,
        25_000_000.0,
    ];
    for q in 0..queries {
        let unit = units[rng.gen_range(0..units.len())];
        let per_unit = match unit.to_ascii_lowercase().as_str() {
            "km" => 1000.0,
            "ft" => 0.3048,
            "mi" => 1609.34,
            _ => 1.0,
        };
        let radius = radii_m[rng.gen_range(0..radii_m.len())] * rng.gen_range(0.5..1.5) / per_unit;
        let member = format!("m{}", rng.gen_range(0..members));
        let (lon, lat) = random_point(rng);
        let mut cmd: Vec<String> = match rng.gen_range(0..4) {
            0 => vec!["GEORADIUS".into(), key.into(), fmt(lon), fmt(lat)],
            1 => vec!["GEORADIUSBYMEMBER".into(), key.into(), member.clone()],
            _ => {
                let mut c = vec!["GEOSEARCH".to_string(), key.into()];
                if rng.gen_bool(0.5) {
                    c.extend(["FROMLONLAT".into(), fmt(lon), fmt(lat)]);
                } else {
                    c.extend(["FROMMEMBER".into(), member.clone()]);
                }
                if rng.gen_bool(0.5) {
                    c.push("BYRADIUS".into());
                } else {
                    let ratio = rng.gen_range(0.2..3.0);
                    c.extend(["BYBOX".into(), format!("{}", radius * 2.0)]);
                    c.push(format!("{}", radius * 2.0 * ratio));
                    c.push(unit.into());
                }
                c
            }
        };
        if cmd[0] != "GEOSEARCH" || cmd.last().map(String::as_str) == Some("BYRADIUS") {
            cmd.extend([format!("{radius}"), unit.into()]);
        }
        for opt in ["WITHCOORD", "WITHDIST", "WITHHASH"] {
            if rng.gen_bool(0.3) {
                cmd.push(opt.into());
            }
        }
        match rng.gen_range(0..4) {
            0 => cmd.push("ASC".into()),
            1 => cmd.push("DESC".into()),
            _ => {}
        }
        if rng.gen_bool(0.4) {
            cmd.extend(["COUNT".into(), rng.gen_range(1..20).to_string()]);
            if rng.gen_bool(0.4) {
                cmd.push("ANY".into());
            }
        }
        d.check(&cmd);
        // Every few queries, the same search stored (distances or hashes).
        if q % 4 == 0 && !cmd.iter().any(|a| a.starts_with("WITH")) {
            let mut store = cmd.clone();
            if store[0] == "GEOSEARCH" {
                store[0] = "GEOSEARCHSTORE".into();
                store.insert(1, "dst".into());
                if rng.gen_bool(0.5) {
                    store.push("STOREDIST".into());
                }
            } else {
                store.push(
                    if rng.gen_bool(0.5) {
                        "STORE"
                    } else {
                        "STOREDIST"
                    }
                    .into(),
                );
                store.push("dst".into());
            }
            d.check(&store);
            d.check(&["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
            d.check(&["OBJECT", "ENCODING", "dst"]);
        }
    }
}

fn add_random_members(d: &mut Diff, rng: &mut SmallRng, key: &str, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let mut cmd = vec!["GEOADD".to_string(), key.to_string()];
        for i in chunk {
            let (lon, lat) = random_point(rng);
            cmd.extend([fmt(lon), fmt(lat), format!("m{i}")]);
        }
        d.check(&cmd);
    }
}

#[test]
fn random_searches_match_redis() {
    let mut d = Diff::new();
    for seed in support::seeds(&[1, 2]) {
        let mut rng = SmallRng::seed_from_u64(seed);
        // A listpack-encoded set and a skiplist-encoded one.
        d.check(&["DEL", "small", "big"]);
        add_random_members(&mut d, &mut rng, "small", 100);
        add_random_members(&mut d, &mut rng, "big", 1500);
        d.check(&["OBJECT", "ENCODING", "small"]);
        d.check(&["OBJECT", "ENCODING", "big"]);
        random_searches(&mut d, &mut rng, "small", 100, 150);
        random_searches(&mut d, &mut rng, "big", 1500, 250);
        d.check(&["GEOHASH", "big", "m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
        d.check(&["GEOPOS", "big", "m7", "m8", "m9", "m10"]);
        d.check(&["GEODIST", "big", "m11", "m12", "mi"]);
    }
    d.hello3();
    let mut rng = SmallRng::seed_from_u64(3);
    random_searches(&mut d, &mut rng, "big", 1500, 60);
}

/// Equal distances (members at one position) under COUNT: Redis orders the
/// first COUNT with its partial quicksort, which is not stable, and the
/// reply shows its order of the ties (a stable sort gives `a b` where Redis
/// gives `c d` for COUNT 4 DESC).
#[test]
fn ties_under_count_follow_redis_partial_sort() {
    let mut d = Diff::new();
    d.check(&[
        "GEOADD", "t", "10", "10", "a", "10", "10", "b", "10", "10", "c", "10", "10", "d", "10",
        "10", "e", "11", "11", "f", "10", "10", "g", "10", "10", "h", "10.5", "10.5", "i",
    ]);
    for (count, order) in [
        ("3", "ASC"),
        ("4", "DESC"),
        ("2", "ASC"),
        ("8", "ASC"),
        ("5", "DESC"),
    ] {
        d.check(&[
            "GEORADIUS",
            "t",
            "10",
            "10",
            "500",
            "km",
            "COUNT",
            count,
            order,
        ]);
    }
}

/// Ties at several sizes (insertion sort, median of three, ninther) and
/// every COUNT around them, by radius and by box, ascending and descending.
#[test]
fn many_ties_under_count_match_redis() {
    let mut d = Diff::new();
    let mut rng = SmallRng::seed_from_u64(5);
    for (key, n) in [("few", 9), ("mid", 30), ("many", 200)] {
        let mut cmd = vec!["GEOADD".to_string(), key.to_string()];
        for i in 0..n {
            let spot = rng.gen_range(0..5) as f64;
            cmd.extend([
                format!("{}", 10.0 + spot * 0.1),
                "10".into(),
                format!("p{i}"),
            ]);
        }
        d.check(&cmd);
        for count in [1, 2, 3, 5, 7, 8, 13, 41, 100, 199, 250] {
            for order in ["ASC", "DESC"] {
                let count = count.to_string();
                d.check(&[
                    "GEORADIUS",
                    key,
                    "10",
                    "10",
                    "200",
                    "km",
                    "COUNT",
                    &count,
                    order,
                ]);
                d.check(&[
                    "GEOSEARCH",
                    key,
                    "FROMLONLAT",
                    "10.2",
                    "10",
                    "BYBOX",
                    "400",
                    "400",
                    "km",
                    "COUNT",
                    &count,
                    order,
                    "WITHDIST",
                ]);
            }
        }
    }
}
