//! One client connection: read, parse every complete command, execute the batch
//! under one engine lock, write all replies with one write.

use bytes::BytesMut;
use ember_core::Engine;
use ember_resp::{encode, Reply, RequestParser};
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

/// What the listener tells a connection about itself.
pub struct ConnInfo {
    pub addr: String,
    pub laddr: String,
    pub fd: i64,
}

const READ_CHUNK: usize = 16 * 1024;

pub async fn serve<S>(
    mut stream: S,
    engine: Arc<Mutex<Engine>>,
    info: ConnInfo,
    shutdown: Arc<Notify>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let wake = Arc::new(Notify::new());
    let (id, max_bulk, authenticated) = {
        let mut eng = engine.lock();
        let id = eng.add_client();
        let max_bulk = eng.config.proto_max_bulk_len;
        let w = wake.clone();
        if let Some(c) = eng.client_mut(id) {
            c.addr = info.addr;
            c.laddr = info.laddr;
            c.fd = info.fd;
            c.is_local = false;
            c.waker = Some(Arc::new(move || w.notify_one()));
        }
        eng.stats.total_connections_received += 1;
        let authenticated = eng.client_mut(id).map(|c| c.authenticated).unwrap_or(true);
        (id, max_bulk, authenticated)
    };
    let mut parser = RequestParser::new(max_bulk);
    // Before AUTH, Redis caps request sizes (CVE-2021-32675).
    parser.set_unauthenticated(!authenticated);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut out: Vec<u8> = Vec::with_capacity(READ_CHUNK);
    let mut batch = Vec::new();
    'conn: loop {
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(READ_CHUNK);
        }
        let n = tokio::select! {
            r = stream.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => break 'conn,
                Ok(n) => n,
            },
            _ = wake.notified() => {
                let (gone, pending) = {
                    let mut eng = engine.lock();
                    let gone = eng.client_mut(id).map(|c| c.killed).unwrap_or(true);
                    (gone, eng.take_pending(id))
                };
                if gone {
                    break 'conn;
                }
                if !pending.is_empty() && stream.write_all(&pending).await.is_err() {
                    break 'conn;
                }
                continue;
            }
        };
        let mut protocol_error = None;
        loop {
            match parser.parse(&mut buf) {
                Ok(Some(argv)) => batch.push(argv),
                Ok(None) => break,
                Err(e) => {
                    protocol_error = Some(e);
                    break;
                }
            }
        }
        let mut keep_open = true;
        let mut stop_server = false;
        {
            let mut eng = engine.lock();
            eng.stats.total_net_input_bytes += n as u64;
            for argv in batch.drain(..) {
                if !eng.execute_into(id, &argv, &mut out) {
                    keep_open = false;
                    break;
                }
            }
            if keep_open {
                if let Some(e) = protocol_error.take() {
                    let proto = eng.client_mut(id).map(|c| c.proto).unwrap_or_default();
                    encode(&Reply::error(e.message().to_string()), proto, &mut out);
                    keep_open = false;
                }
            }
            if eng.shutdown.is_some() {
                stop_server = true;
            }
            eng.stats.total_net_output_bytes += out.len() as u64;
            parser.set_max_bulk_len(eng.config.proto_max_bulk_len);
            if let Some(c) = eng.client_mut(id) {
                parser.set_unauthenticated(!c.authenticated);
                c.tot_net_in += n as u64;
                c.tot_net_out += out.len() as u64;
                c.qbuf = buf.len();
                if c.killed {
                    out.clear();
                }
            }
        }
        batch.clear();
        if stop_server {
            shutdown.notify_waiters();
            break 'conn;
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                break 'conn;
            }
            out.clear();
            if out.capacity() > 1024 * 1024 {
                out.shrink_to(READ_CHUNK);
            }
        }
        if !keep_open {
            break 'conn;
        }
    }
    let _ = stream.shutdown().await;
    engine.lock().remove_client(id);
}

