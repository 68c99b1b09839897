//! The background driver: a thread that runs the engine's background work
//! (`Engine::background_step`: snapshot slices for BGSAVE, BGREWRITEAOF and
//! full syncs) in short slices while there is some, taking the engine lock
//! for one slice at a time and handing it over fairly in between, so
//! connections keep being served. The engine wakes it through the waker
//! installed here; it also polls now and then, and exits when the engine is
//! gone.

use ember_core::snapshot::Progress;
use ember_core::Engine;
use parking_lot::{Mutex, MutexGuard};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How long the driver sleeps with nothing to do (it is woken earlier when
/// work arrives).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// Starts the driver for `engine` and installs its waker.
pub fn spawn(engine: &Arc<Mutex<Engine>>) {
    let weak: Weak<Mutex<Engine>> = Arc::downgrade(engine);
    let spawned = std::thread::Builder::new()
        .name("ember-background".into())
        .spawn(move || run(weak));
    if let Ok(handle) = spawned {
        let thread = handle.thread().clone();
        engine
            .lock()
            .set_background_waker(Arc::new(move || thread.unpark()));
    }
}

fn run(engine: Weak<Mutex<Engine>>) {
    loop {
        let Some(strong) = engine.upgrade() else {
            return;
        };
        let progress = {
            let mut g = strong.lock();
            let p = g.background_step();
            // Fair unlock: a connection waiting for the lock gets it next.
            MutexGuard::unlock_fair(g);
            p
        };
        drop(strong);
        match progress {
            Progress::Busy => std::thread::yield_now(),
            Progress::Waiting => std::thread::sleep(Duration::from_micros(500)),
            Progress::Idle => std::thread::park_timeout(IDLE_POLL),
        }
    }
}
