//! Ember as a throwaway server for an application's integration tests: start it
//! on an ephemeral port, talk RESP to it over TCP, stop it.
//!
//! Run with `cargo run --example test_server`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

fn main() -> std::io::Result<()> {
    let server = ember::start_server(ember::Config {
        port: 0, // any free port
        ..Default::default()
    })?;
    println!("Ember listening on 127.0.0.1:{}", server.port);

    let mut stream = TcpStream::connect(("127.0.0.1", server.port))?;
    let mut reader = BufReader::new(stream.try_clone()?);

    for cmd in [&["SET", "lang", "rust"][..], &["GET", "lang"], &["PING"]] {
        stream.write_all(&encode(cmd))?;
        println!("{} -> {}", cmd.join(" "), read_reply(&mut reader)?);
    }

    drop(stream);
    server.stop(); // dropping the handle stops it too
    Ok(())
}

/// A command as a RESP multibulk.
fn encode(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    out
}

/// Reads one simple reply (status, error, integer or bulk string) as text.
fn read_reply(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let line = line.trim_end().to_string();
    if let Some(len) = line.strip_prefix('$') {
        let Ok(len) = len.parse::<usize>() else {
            return Ok("(nil)".into());
        };
        let mut buf = vec![0; len + 2];
        r.read_exact(&mut buf)?;
        buf.truncate(len);
        return Ok(format!("{:?}", String::from_utf8_lossy(&buf)));
    }
    Ok(line)
}
