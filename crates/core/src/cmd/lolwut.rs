//! LOLWUT [VERSION v] [args...]: computer art and the server version, as
//! Redis 7.0 draws it. Version 5 is Georg Nees's "Schotter" in Braille dots,
//! version 6 a skyline in four terminal grays; any other version (7.0.15's own
//! included) prints only the version line. The random parts use the engine's
//! generator, so only the drawings' deterministic parts match Redis's.

use crate::args::{is, parse_i64, Args};
use crate::command::{flags::*, Command};
use crate::ctx::Ctx;
use crate::error::{CmdError, CmdResult};
use bytes::Bytes;
use ember_resp::Reply;
use rand::Rng;

/// The version LOLWUT reports (and picks its art by).
const VERSION: &str = "7.0.15";

pub fn commands() -> Vec<Command> {
    vec![Command::new("lolwut", -1, READONLY | FAST, 0, lolwut)]
}

fn lolwut(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    // Redis formats the asked version as "%u.0.0" and picks by its first
    // characters; for a 7.0 server that leaves 5 and 6 (4.9 and 5.9 never
    // come out of that format).
    let mut version = None;
    if args.remaining() >= 2 && args.peek().is_some_and(|a| is(a, "version")) {
        args.next()?;
        version = Some(args.next_i64()? as u32);
    }
    let rest = args.rest();
    let text = match version {
        Some(5) => schotter_reply(ctx, rest)?,
        Some(6) => skyline_reply(ctx, rest)?,
        _ => format!("Redis ver. {VERSION}\n").into_bytes(),
    };
    Ok(Reply::Verbatim("txt", Bytes::from(text)))
}

/// The optional numeric arguments, each defaulted when absent and clamped;
/// one that is not an integer is an error, and any beyond them are ignored.
fn numbers<const N: usize>(
    rest: &[Bytes],
    defaults: [(i64, i64); N],
) -> Result<[i64; N], CmdError> {
    let mut out = [0; N];
    for (i, (default, max)) in defaults.into_iter().enumerate() {
        out[i] = match rest.get(i) {
            Some(a) => parse_i64(a)?.clamp(1, max),
            None => default,
        };
    }
    Ok(out)
}

/// The square root of two as Redis writes it (truncated), kept so that
/// sizes on a rounding edge round as Redis's do.
#[allow(clippy::approx_constant)]
const REDIS_SQRT_2: f64 = 1.4142135623;

/// libc's RAND_MAX, which the drawings' arithmetic is written against.
const RAND_MAX: i32 = i32::MAX;

fn rand(ctx: &mut Ctx) -> i32 {
    ctx.engine.rng.gen_range(0..=RAND_MAX)
}

/// A grid of pixels, each a color index; reads and writes outside are ignored.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i32, height: i32, background: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![background; (width.max(0) * height.max(0)) as usize],
        }
    }

    fn set(&mut self, x: i32, y: i32, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line, both ends included.
    fn line(&mut self, (mut x1, mut y1): (i32, i32), (x2, y2): (i32, i32), color: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, color);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle`: its
    /// corners lie on a circle, a quarter turn apart. The mix of f32 and f64
    /// steps is Redis's (float variables, double math functions), so the
    /// corners round to the same pixels.
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32, color: u8) {
        let radius = (f64::from(size) / REDIS_SQRT_2) as f32;
        let radius = f64::from(radius).round() as f32;
        let mut k = (std::f64::consts::FRAC_PI_4 + f64::from(angle)) as f32;
        let mut corners = [(0, 0); 4];
        for corner in &mut corners {
            let k64 = f64::from(k);
            *corner = (
                (k64.sin() * f64::from(radius) + f64::from(x)).round() as i32,
                (k64.cos() * f64::from(radius) + f64::from(y)).round() as i32,
            );
            k = (f64::from(k) + std::f64::consts::FRAC_PI_2) as f32;
        }
        for j in 0..4 {
            self.line(corners[j], corners[(j + 1) % 4], color);
        }
    }
}

/// LOLWUT VERSION 5 [columns [squares-per-row [squares-per-col]]].
fn schotter_reply(ctx: &mut Ctx, rest: &[Bytes]) -> Result<Vec<u8>, CmdError> {
    let [cols, per_row, per_col] = numbers(rest, [(66, 1000), (8, 200), (12, 200)])?;
    let canvas = schotter(ctx, cols as i32, per_row as i32, per_col as i32);
    let mut text = braille(&canvas);
    text.extend_from_slice(
        format!("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {VERSION}\n")
            .as_bytes(),
    );
    Ok(text)
}

/// Rows of squares, increasingly turned and shifted at random from the third
/// row down (the first two are always straight).
fn schotter(ctx: &mut Ctx, cols: i32, per_row: i32, per_col: i32) -> Canvas {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0);
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0f32;
            if y > 1 {
                let mut r = [0.0f32; 3];
                for v in &mut r {
                    *v = rand(ctx) as f32 / RAND_MAX as f32 / per_col as f32 * y as f32;
                }
                for v in &mut r {
                    if rand(ctx) % 2 == 1 {
                        *v = -*v;
                    }
                }
                angle = r[0];
                sx = (sx as f32 + r[1] * side / 3.0) as i32;
                sy = (sy as f32 + r[2] * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    canvas
}

/// Each 2x4 block of pixels as one Braille character (dots 1-8 in Unicode's
/// bit order). Like Redis, a row is followed by a newline unless its first
/// pixel row is the canvas's last.
fn braille(canvas: &Canvas) -> Vec<u8> {
    let mut text = Vec::new();
    for y in (0..canvas.height).step_by(4) {
        for x in (0..canvas.width).step_by(2) {
            let dots = [
                (x, y),
                (x, y + 1),
                (x, y + 2),
                (x + 1, y),
                (x + 1, y + 1),
                (x + 1, y + 2),
                (x, y + 3),
                (x + 1, y + 3),
            ];
            let mut bits = 0u32;
            for (bit, (px, py)) in dots.into_iter().enumerate() {
                if canvas.get(px, py) != 0 {
                    bits |= 1 << bit;
                }
            }
            let ch = char::from_u32(0x2800 + bits).unwrap_or(' ');
            let mut utf8 = [0u8; 4];
            text.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
        }
        if y != canvas.height - 1 {
            text.push(b'\n');
        }
    }
    text
}

/// LOLWUT VERSION 6 [columns [rows]].
fn skyline_reply(ctx: &mut Ctx, rest: &[Bytes]) -> Result<Vec<u8>, CmdError> {
    let [cols, rows] = numbers(rest, [(80, 1000), (20, 1000)])?;
    let mut canvas = Canvas::new(cols as i32, rows as i32, 3);
    skyline(ctx, &mut canvas);
    let mut text = grays(&canvas);
    text.extend_from_slice(
        format!(
            "\nDedicated to the 8 bit game developers of past and present.\n\
             Original 8 bit image from Plaguemon by hikikomori. Redis ver. {VERSION}\n"
        )
        .as_bytes(),
    );
    Ok(text)
}

/// One building: its left edge, size, color and whether it has windows.
struct Building {
    x: i32,
    width: i32,
    height: i32,
    color: u8,
    windows: bool,
}

/// Two rows of plain buildings (the lighter gray behind), then dark ones
/// with lit windows in front.
fn skyline(ctx: &mut Ctx, canvas: &mut Canvas) {
    let (w, h) = (canvas.width, canvas.height);
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < w {
            offset += rand(ctx) % 8;
            let width = 10 + rand(ctx) % 9;
            let height = if color == 2 {
                h / 2 + rand(ctx) % h / 2
            } else {
                h / 2 + rand(ctx) % h / 3
            };
            let b = Building {
                x: offset,
                width,
                height,
                color,
                windows: false,
            };
            building(ctx, canvas, &b);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < w {
        offset += rand(ctx) % 8;
        let mut width = 5 + rand(ctx) % 14;
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + rand(ctx) % h / 2;
        let b = Building {
            x: offset,
            width,
            height,
            color: 0,
            windows: true,
        };
        building(ctx, canvas, &b);
        offset += width + 5;
    }
}

/// Draws a building up from the bottom row. Its roof is two pixels narrower
/// on each side; windows are two pixels wide and one tall, in a random gray,
/// kept off the walls.
fn building(ctx: &mut Ctx, canvas: &mut Canvas, b: &Building) {
    let bottom = canvas.height - 1;
    let top = bottom - b.height + 1;
    for y in (top..=bottom).rev() {
        for x in b.x..b.x + b.width {
            if y == top && (x <= b.x + 1 || x >= b.x + b.width - 2) {
                continue;
            }
            let mut color = b.color;
            let inside = x > b.x + 1 && x < b.x + b.width - 2 && y > top + 1 && y < bottom - 1;
            if b.windows && inside {
                let (rel_x, rel_y) = (x - (b.x + 1), y - (top + 1));
                if (rel_x / 2) % 2 != 0 && rel_y % 2 != 0 {
                    loop {
                        color = 1 + (rand(ctx) % 2) as u8;
                        if color != b.color {
                            break;
                        }
                    }
                    // Both pixels of a window share its color.
                    if rel_x % 2 != 0 {
                        color = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.set(x, y, color);
        }
    }
}

/// Each pixel as a space in one of the terminal's four grays (foreground and
/// background both set, for terminals that differ); rows joined by newlines.
fn grays(canvas: &Canvas) -> Vec<u8> {
    let mut text = Vec::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let escape: &[u8] = match canvas.get(x, y) {
                1 => b"0;90;100m",
                2 => b"0;37;47m",
                3 => b"0;97;107m",
                _ => b"0;30;40m",
            };
            text.extend_from_slice(b"\x1b[");
            text.extend_from_slice(escape);
            text.extend_from_slice(b" \x1b[0m");
        }
        if y != canvas.height - 1 {
            text.push(b'\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braille_maps_dots_to_unicode_bits() {
        let mut c = Canvas::new(2, 4, 0);
        c.set(0, 0, 1); // dot 1
        c.set(1, 3, 1); // dot 8
        assert_eq!(String::from_utf8(braille(&c)).unwrap(), "\u{2881}\n");
        // No newline only where a row starts on the canvas's last pixel row.
        let mut five = Canvas::new(4, 5, 0);
        five.set(3, 4, 1); // second row, second cell, dot 4
        assert_eq!(
            String::from_utf8(braille(&five)).unwrap(),
            "\u{2800}\u{2800}\n\u{2800}\u{2808}"
        );
    }

    #[test]
    fn lines_include_both_ends() {
        let mut c = Canvas::new(5, 5, 0);
        c.line((0, 0), (4, 2), 1);
        let set: Vec<(i32, i32)> = (0..5)
            .flat_map(|y| (0..5).map(move |x| (x, y)))
            .filter(|&(x, y)| c.get(x, y) == 1)
            .collect();
        assert_eq!(set, [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2)]);
        // Out of the canvas is ignored, both ways.
        c.set(-1, 9, 1);
        assert_eq!(c.get(-1, 9), 0);
    }
}
