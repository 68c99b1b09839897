use super::*;

const MS: Duration = Duration::from_millis(1);

fn fresh() -> Poller {
    let p = Poller::new();
    p.installed.set(true);
    p
}

#[test]
fn polls_once_work_fills_a_third_of_the_time() {
    assert!(worth_polling(100 * MS, 60 * MS, Duration::ZERO));
    assert!(worth_polling(100 * MS, 30 * MS, Duration::ZERO));
    assert!(!worth_polling(100 * MS, 29 * MS, Duration::ZERO));
    assert!(!worth_polling(100 * MS, 5 * MS, Duration::ZERO));
    assert!(!worth_polling(
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO
    ));
}

#[test]
fn polling_is_not_work_and_never_outweighs_it() {
    // Busy all the time, 70% of it polling: 30% work, but less than the polling.
    assert!(!worth_polling(100 * MS, 100 * MS, 70 * MS));
    assert!(worth_polling(100 * MS, 100 * MS, 50 * MS));
    assert!(worth_polling(100 * MS, 90 * MS, 40 * MS));
    // Polling is measured in wall time, which can exceed the CPU time it took.
    assert!(!worth_polling(100 * MS, 20 * MS, 30 * MS));
}

#[test]
fn reviews_measure_the_load_since_the_previous_one() {
    let p = fresh();
    let t0 = Instant::now();
    // The first review only starts a period.
    review(&p, t0, || 10 * MS);
    assert!(!p.enabled.get());
    // 2 ms later, 1 ms more CPU: half loaded.
    review(&p, t0 + 2 * MS, || 11 * MS);
    assert!(p.enabled.get());
    // Too soon for another review: nothing changes, even at no load.
    review(&p, t0 + 2 * MS + MS / 2, || 11 * MS);
    assert!(p.enabled.get());
    // After an idle second, polling stops.
    review(&p, t0 + 1002 * MS, || 12 * MS);
    assert!(!p.enabled.get());
    // Loaded again, but mostly polling.
    p.spent.set(3 * MS);
    review(&p, t0 + 1006 * MS, || 16 * MS);
    assert!(!p.enabled.get());
}

/// Runs `f` on a current-thread runtime (the thread of the test: the
/// poller's state is per thread).
fn on_runtime<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn state() -> (bool, bool, Duration) {
    POLLER.with(|p| {
        let parked = p.parked.take();
        let has = parked.is_some();
        p.parked.set(parked);
        (p.polling.get(), has, p.spent.get())
    })
}

#[test]
fn the_poller_polls_after_a_batch_while_enabled_then_sleeps() {
    on_runtime(async {
        tokio::spawn(run());
        tokio::task::yield_now().await;
        // Parked: nothing ran yet.
        let (polling, parked, spent) = state();
        assert!(!polling && parked && spent.is_zero());
        // A batch on an unloaded thread does not start it.
        after_batch();
        assert!(!state().0);
        tokio::time::sleep(5 * MS).await;
        assert_eq!(state(), (false, true, Duration::ZERO));
        // Loaded: a batch starts it; it polls, finds nothing for QUIET and
        // parks again (the runtime sleeps through the rest of the 5 ms).
        POLLER.with(|p| p.enabled.set(true));
        after_batch();
        assert!(state().0);
        tokio::time::sleep(5 * MS).await;
        let (polling, parked, spent) = state();
        assert!(!polling && parked, "still polling after 5 ms");
        assert!(spent >= QUIET, "{spent:?}");
        // Parked, it spends nothing.
        tokio::time::sleep(5 * MS).await;
        assert_eq!(state().2, spent);
        // Turned off while polling: it stops at its next look.
        after_batch();
        POLLER.with(|p| p.enabled.set(false));
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        assert!(!state().0, "still polling after it was turned off");
    });
}

#[test]
fn a_thread_without_a_poller_only_counts_batches() {
    POLLER.with(|p| p.enabled.set(true));
    for _ in 0..40 {
        after_batch();
    }
    POLLER.with(|p| {
        assert_eq!(p.batches.get(), 40);
        assert!(!p.polling.get());
        assert!(p.reviewed.get().is_none());
    });
}

#[test]
fn polls_only_single_threaded_with_a_core_to_spare_unless_told_not_to() {
    assert!(decide(1, None, 2));
    assert!(decide(1, Some("yes"), 16));
    assert!(!decide(2, None, 16));
    assert!(!decide(1, None, 1));
    assert!(!decide(1, Some("no"), 16));
    assert!(!decide(1, Some("NO"), 16));
    assert!(!decide(1, Some("0"), 16));
}
