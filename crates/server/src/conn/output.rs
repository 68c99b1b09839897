//! Writing a connection's replies: the usual single write, and a write that
//! has to wait, which meanwhile watches for wake-ups (pushed output, CLIENT
//! KILL) and reads the client's next input (see `written` in `serve`).

use super::{Wake, WRITE_MAX};
use bytes::BytesMut;
use ember_core::Engine;
use parking_lot::Mutex;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// How a [`write_watching`] ended.
pub(super) enum Flush {
    /// Everything was written (`out` is cleared).
    Done,
    /// The connection must close.
    Closed,
    /// The socket could not take more while the client sent input (read into
    /// the buffer given); `out[written..]` still waits.
    Input(std::io::Result<usize>),
    /// The socket could not take more and commands already read wait to run;
    /// `out[written..]` still waits.
    Queued,
}

/// Writes `out[written..]` (then clears `out`) while staying responsive to
/// the engine: output pushed meanwhile (pub/sub messages) is appended behind
/// it, and `Client::obuf` shows what is still unwritten, so that a subscriber
/// that stops reading is measured against `client-output-buffer-limit` and,
/// once killed for it, is dropped at once instead of blocking on the socket.
///
/// With `input`, a write that has to wait also reads, or returns at once when
/// `queued` (commands read but not run yet): the client's next commands are
/// then run while these replies wait (see `written` in `serve`).
/// A client not yet authenticated (`unauthenticated`) is closed instead of
/// waited for: its replies (NOAUTH errors and the like) can only fill the
/// socket's buffer if it sends without reading, and Redis closes such a
/// client once 1 KiB more than its 16 KiB reply buffer waits.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_watching<S>(
    stream: &mut S,
    out: &mut Vec<u8>,
    written: &mut usize,
    mut input: Option<&mut BytesMut>,
    queued: bool,
    wake: &Wake,
    engine: &Mutex<Engine>,
    id: ember_core::ClientId,
    unauthenticated: bool,
) -> Flush
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    enum Event {
        Wrote(std::io::Result<usize>),
        Read(std::io::Result<usize>),
        Queued,
        Woken,
        /// A write to a client that has not authenticated has to wait.
        Unauthenticated,
    }
    // The usual case first, in a poll of its own: the socket takes the
    // whole batch at once.
    if *written == 0 && out.len() <= WRITE_MAX {
        let at_once =
            std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *stream).poll_write(cx, out)))
                .await;
        match at_once {
            Poll::Ready(Ok(n)) if n == out.len() => {
                out.clear();
                return Flush::Done;
            }
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Flush::Closed,
            Poll::Ready(Ok(n)) => *written = n,
            Poll::Pending => {}
        }
    }
    let mut first = *written == 0;
    // Whether `Client::obuf` was set (and must be reset once all is out).
    let mut tracked = false;
    while *written < out.len() {
        // Usually the socket takes the whole batch at once: only a write that
        // has to wait also watches for wake-ups and input. Output past
        // WRITE_MAX goes in pieces, each after the other ready connections
        // had their turn.
        if !first {
            tokio::task::yield_now().await;
        }
        first = false;
        let end = out.len().min(*written + WRITE_MAX);
        let event = std::future::poll_fn(|cx| {
            let piece = &out[*written..end];
            if let Poll::Ready(r) = Pin::new(&mut *stream).poll_write(cx, piece) {
                return Poll::Ready(Event::Wrote(r));
            }
            if unauthenticated {
                return Poll::Ready(Event::Unauthenticated);
            }
            if !tracked {
                // CLIENT LIST's omem, INFO's biggest output buffer and the
                // clients' memory see the output that waits for the client.
                set_obuf(engine, id, out.len() - *written);
                tracked = true;
            }
            if wake.take() || wake.register(cx) {
                return Poll::Ready(Event::Woken);
            }
            if let Some(buf) = input.as_deref_mut() {
                if queued {
                    return Poll::Ready(Event::Queued);
                }
                if let Poll::Ready(r) = poll_read_into(&mut *stream, cx, buf) {
                    return Poll::Ready(Event::Read(r));
                }
            }
            Poll::Pending
        })
        .await;
        match event {
            Event::Wrote(Ok(0)) | Event::Wrote(Err(_)) | Event::Unauthenticated => {
                return Flush::Closed
            }
            Event::Wrote(Ok(n)) => {
                *written += n;
                if tracked {
                    set_obuf(engine, id, out.len() - *written);
                }
            }
            // (`obuf` was set when the write had to wait.)
            Event::Read(r) => return Flush::Input(r),
            Event::Queued => return Flush::Queued,
            Event::Woken => {
                let mut eng = engine.lock();
                let Some(c) = eng.client_mut(id) else {
                    return Flush::Closed;
                };
                if c.killed {
                    return Flush::Closed;
                }
                out.append(&mut c.pending);
                c.obuf = out.len() - *written;
                eng.account_client_memory(id);
                tracked = true;
            }
        }
    }
    out.clear();
    *written = 0;
    if tracked {
        set_obuf(engine, id, 0);
    }
    Flush::Done
}

/// Records `n` bytes of output waiting for client `id` (`Client::obuf`).
pub(super) fn set_obuf(engine: &Mutex<Engine>, id: ember_core::ClientId, n: usize) {
    let mut eng = engine.lock();
    if let Some(c) = eng.client_mut(id) {
        c.obuf = n;
        eng.account_client_memory(id);
    }
}

/// Reads what the socket holds into `buf`'s spare room (which must not be empty).
fn poll_read_into<S: AsyncRead + Unpin>(
    stream: &mut S,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
) -> Poll<std::io::Result<usize>> {
    let mut room = tokio::io::ReadBuf::uninit(buf.spare_capacity_mut());
    match Pin::new(stream).poll_read(cx, &mut room) {
        Poll::Ready(Ok(())) => {
            let n = room.filled().len();
            // SAFETY: poll_read initialised the first `n` bytes of the spare room.
            unsafe { buf.set_len(buf.len() + n) };
            Poll::Ready(Ok(n))
        }
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}
