//! The geohash arithmetic behind the GEO commands, as Redis 7.0 computes it
//! (geohash.c, geohash_helper.c): a position is a sorted set score holding
//! 26 bits of longitude and 26 of latitude interleaved; a search covers the
//! cell of its centre and the eight around it, at a precision chosen from
//! the search radius, and filters what those score ranges hold by distance.
//! Every step is in f64 in Redis's order of operations, so the cells, the
//! decoded positions and the distances are bit for bit Redis's.

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Web Mercator's limits (EPSG:900913): no geocoding at the poles.
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
/// Bits per coordinate in a stored score.
pub const STEP_MAX: u8 = 26;

const EARTH_RADIUS_M: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}

fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A cell: `step` bits per coordinate, interleaved (latitude in the even
/// bits, longitude in the odd ones). Step 0 with no bits is "no cell".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The score range `[min, max)` that holds every stored position in
    /// this cell (the cell's bits aligned to 52).
    pub fn score_range(&self) -> (f64, f64) {
        let shift = 52 - u32::from(self.step) * 2;
        (
            (self.bits << shift) as f64,
            ((self.bits + 1) << shift) as f64,
        )
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The coordinate ranges the scores encode.
const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A cell's bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the low 32 bits of `v` over the even bits.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `v` into 32.
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    x as u32
}

/// The cell of `step` bits holding (lon, lat) within the given ranges;
/// `None` outside them (or outside the Mercator limits).
pub fn encode_in(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let cells = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * cells;
    let lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min) * cells;
    Some(Hash {
        bits: spread(lat_offset as u32) | (spread(lon_offset as u32) << 1),
        step,
    })
}

/// [`encode_in`] over the ranges the scores use.
pub fn encode(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode_in(LONG_RANGE, LAT_RANGE, lon, lat, step)
}

/// The bounds of a cell within the given ranges.
pub fn decode_in(lon_range: Range, lat_range: Range, hash: Hash) -> Area {
    let lat_cell = squash(hash.bits);
    let lon_cell = squash(hash.bits >> 1);
    let cells = (1u64 << hash.step) as f64;
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    // The upper edge wraps as C's uint32_t + 1 does.
    let edge = |cell: u32, min: f64, scale: f64| {
        (
            min + (f64::from(cell) / cells) * scale,
            min + (f64::from(cell.wrapping_add(1)) / cells) * scale,
        )
    };
    let (lat_min, lat_max) = edge(lat_cell, lat_range.min, lat_scale);
    let (lon_min, lon_max) = edge(lon_cell, lon_range.min, lon_scale);
    Area {
        lon: Range {
            min: lon_min,
            max: lon_max,
        },
        lat: Range {
            min: lat_min,
            max: lat_max,
        },
    }
}

pub fn decode(hash: Hash) -> Area {
    decode_in(LONG_RANGE, LAT_RANGE, hash)
}

/// The position a score stands for: the centre of its cell, clamped to
/// the valid ranges. Any score decodes (Redis casts it to an integer first).
pub fn score_to_lonlat(score: f64) -> (f64, f64) {
    let area = decode(Hash {
        bits: double_to_u64(score),
        step: STEP_MAX,
    });
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// The score GEOADD stores for a valid position.
pub fn lonlat_to_score(lon: f64, lat: f64) -> Option<u64> {
    encode(lon, lat, STEP_MAX).map(|h| h.bits << (52 - 2 * u32::from(STEP_MAX)))
}

/// x86-64's truncating conversion (`cvttsd2si`): out of range or NaN gives
/// the "integer indefinite" value.
fn cvtt(x: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}

/// C's `(uint64_t)double` as gcc compiles it on x86-64, for any score a
/// sorted set may hold (negative, huge, infinite).
pub fn double_to_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x >= TWO_63 {
        (cvtt(x - TWO_63) as u64) ^ (1 << 63)
    } else {
        cvtt(x) as u64
    }
}

/// C's `(long long)double` on x86-64 (WITHHASH's integer).
pub fn double_to_i64(x: f64) -> i64 {
    cvtt(x)
}

fn move_x(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    hash.bits = x | y;
}

fn move_y(hash: &mut Hash, d: i8) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> shift;
    hash.bits = x | y;
}

/// The eight cells around one, wrapping at the edges.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbors {
    pub north: Hash,
    pub south: Hash,
    pub east: Hash,
    pub west: Hash,
    pub north_east: Hash,
    pub north_west: Hash,
    pub south_east: Hash,
    pub south_west: Hash,
}

fn moved(hash: Hash, dx: i8, dy: i8) -> Hash {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

pub fn neighbors(hash: Hash) -> Neighbors {
    Neighbors {
        east: moved(hash, 1, 0),
        west: moved(hash, -1, 0),
        south: moved(hash, 0, -1),
        north: moved(hash, 0, 1),
        north_west: moved(hash, -1, 1),
        north_east: moved(hash, 1, 1),
        south_east: moved(hash, 1, -1),
        south_west: moved(hash, -1, -1),
    }
}

/// Great-circle distance in meters (haversine), longitude first.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lat1r = deg_rad(lat1);
    let lon1r = deg_rad(lon1);
    let lat2r = deg_rad(lat2);
    let lon2r = deg_rad(lon2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_M * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// What a search covers, in meters once multiplied by `conversion`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extent {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: its centre, its extent in the caller's unit, and that unit's
/// size in meters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub extent: Extent,
    pub conversion: f64,
}

impl Shape {
    /// The distance from the centre to (lon, lat) in meters, if the point
    /// lies within the shape.
    pub fn distance_if_within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.extent {
            Extent::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            Extent::Box { width, height } => {
                let (width_m, height_m) = (width * self.conversion, height * self.conversion);
                let lon_distance = distance(lon, lat, self.lon, lat);
                let lat_distance = distance(lon, lat, lon, self.lat);
                if lon_distance > width_m / 2.0 || lat_distance > height_m / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// [min lon, min lat, max lon, max lat] of the search, widened on the
    /// side of the pole the centre's hemisphere faces.
    fn bounding_box(&self) -> [f64; 4] {
        let (half_h, half_w) = match self.extent {
            Extent::Radius(r) => (r, r),
            Extent::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_h;
        let width = self.conversion * half_w;
        let lat_delta = rad_deg(height / EARTH_RADIUS_M);
        let long_delta_top = rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_M / deg_rad(self.lat - lat_delta).cos());
        let delta = if self.lat < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            self.lon - delta,
            self.lat - lat_delta,
            self.lon + delta,
            self.lat + lat_delta,
        ]
    }

    /// The radius of the circle around the shape, in meters.
    fn radius_m(&self) -> f64 {
        let r = match self.extent {
            Extent::Radius(r) => r,
            Extent::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }
}

/// The cell precision for a search of `range_m` meters around latitude `lat`.
pub fn estimate_steps(range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut range = range_m;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // Meridians converge towards the poles: cells must be wider there.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells to scan for a search, in Redis's order: the centre's, then
/// north, south, east, west, north-east, north-west, south-east,
/// south-west. Cells the search cannot reach are zero.
pub fn cells_to_search(shape: &Shape) -> [Hash; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let mut steps = estimate_steps(shape.radius_m(), shape.lat);
    let at = |steps: u8| {
        let hash = encode(shape.lon, shape.lat, steps).unwrap_or_default();
        (hash, neighbors(hash), decode(hash))
    };
    let (mut hash, mut n, mut area) = at(steps);
    // Near a cell's edge the estimate can be one step too fine for the
    // neighbours to cover the search: then one step coarser.
    let too_fine = decode(n.north).lat.max < max_lat
        || decode(n.south).lat.min > min_lat
        || decode(n.east).lon.max < max_lon
        || decode(n.west).lon.min > min_lon;
    if steps > 1 && too_fine {
        steps -= 1;
        (hash, n, area) = at(steps);
    }
    if steps >= 2 {
        let zero = Hash::default();
        if area.lat.min < min_lat {
            (n.south, n.south_west, n.south_east) = (zero, zero, zero);
        }
        if area.lat.max > max_lat {
            (n.north, n.north_east, n.north_west) = (zero, zero, zero);
        }
        if area.lon.min < min_lon {
            (n.west, n.south_west, n.north_west) = (zero, zero, zero);
        }
        if area.lon.max > max_lon {
            (n.east, n.south_east, n.north_east) = (zero, zero, zero);
        }
    }
    [
        hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ]
}

/// GEOHASH's 11-character string: the position re-encoded over the
/// standard latitude range (-90, 90), 5 bits a character, the 11th always '0'.
pub fn standard_geohash(lon: f64, lat: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let std_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode_in(LONG_RANGE, std_lat, lon, lat, 26).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0x3ff_ffff, 0xdead_beef, u32::MAX] {
            assert_eq!(squash(spread(v)), v);
            assert_eq!(squash(spread(v) << 1 >> 1), v);
        }
        assert_eq!(spread(0b11), 0b101);
    }

    #[test]
    fn palermo_as_redis_stores_it() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores this score
        // (redis.io's GEOADD example, ZSCORE of it in Redis 7.0).
        assert_eq!(
            lonlat_to_score(13.361389, 38.115556),
            Some(3479099956230698)
        );
        let (lon, lat) = score_to_lonlat(3479099956230698.0);
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&standard_geohash(lon, lat), b"sqc8b49rny0");
    }

    #[test]
    fn distance_between_palermo_and_catania() {
        let (a, b) = (
            score_to_lonlat(3479099956230698.0),
            score_to_lonlat(3479447370796909.0),
        );
        assert_eq!(
            format!("{:.4}", distance(a.0, a.1, b.0, b.1)),
            "166274.1516"
        );
    }

    #[test]
    fn out_of_range_positions_do_not_encode() {
        assert_eq!(lonlat_to_score(180.1, 0.0), None);
        assert_eq!(lonlat_to_score(0.0, 85.06), None);
        assert!(lonlat_to_score(180.0, LAT_MAX).is_some());
    }

    #[test]
    fn scores_convert_as_x86_does() {
        assert_eq!(double_to_u64(5.9), 5);
        assert_eq!(double_to_u64(-1.0), u64::MAX);
        assert_eq!(double_to_u64(f64::INFINITY), 0);
        assert_eq!(double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(double_to_u64(1.8e19), 18_000_000_000_000_000_000);
        assert_eq!(double_to_i64(1e300), i64::MIN);
    }

    #[test]
    fn neighbours_wrap_and_steps_follow_the_radius() {
        let h = encode(0.0, 0.0, 1).unwrap();
        let n = neighbors(h);
        assert_eq!(n.east.step, 1);
        assert_eq!(moved(n.east, -1, 0), h);
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(1000.0, 0.0), 14);
        assert_eq!(estimate_steps(1000.0, 70.0), 13);
        assert_eq!(estimate_steps(1000.0, -85.0), 12);
        assert_eq!(estimate_steps(1e9, 0.0), 1);
    }
}
