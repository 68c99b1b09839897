use super::report;
use crate::testkit::T;
use ember_resp::Reply;

/// The engine clock of `T`, in seconds.
const NOW: i64 = 1_700_000_000;

fn text(r: Reply) -> String {
    match r {
        Reply::Verbatim(_, b) | Reply::Bulk(b) => String::from_utf8(b.to_vec()).unwrap(),
        other => panic!("{other:?}"),
    }
}

fn ints(r: &Reply) -> Vec<i64> {
    match r {
        Reply::Array(v) => v
            .iter()
            .filter_map(|x| match x {
                Reply::Integer(n) => Some(*n),
                _ => None,
            })
            .collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn slow_commands_become_command_spikes() {
    let mut t = T::new();
    t.e.config.enable_debug_command = "yes".into();
    assert!(text(t.run(&["LATENCY", "DOCTOR"])).starts_with("I'm sorry, Dave, I can't do that."));
    assert_eq!(t.run(&["DEBUG", "SLEEP", "0.012"]), Reply::OK);
    assert_eq!(
        t.run(&["LATENCY", "LATEST"]),
        Reply::Array(vec![]),
        "monitor off"
    );

    t.run(&["CONFIG", "SET", "latency-monitor-threshold", "10"]);
    t.run(&["DEBUG", "SLEEP", "0.012"]);
    t.run(&["PING"]);
    let Reply::Array(latest) = t.run(&["LATENCY", "LATEST"]) else {
        panic!()
    };
    assert_eq!(latest.len(), 1, "{latest:?}");
    let Reply::Array(entry) = &latest[0] else {
        panic!()
    };
    assert_eq!(entry[0], Reply::bulk(b"command"));
    let [time, last, max] = ints(&latest[0])[..] else {
        panic!("{entry:?}")
    };
    assert_eq!(time, NOW);
    assert!((12..1000).contains(&last), "{last}");
    assert_eq!(max, last);

    let Reply::Array(history) = t.run(&["LATENCY", "HISTORY", "command"]) else {
        panic!()
    };
    assert_eq!(ints(&history[0]), vec![NOW, last]);
    // Event names are case-sensitive here, as in Redis.
    assert_eq!(
        t.run(&["LATENCY", "HISTORY", "COMMAND"]),
        Reply::Array(vec![])
    );
    assert_eq!(
        t.run(&["LATENCY", "GRAPH", "nosuch"]),
        Reply::Error("ERR No samples available for event 'nosuch'".into())
    );
    let graph = text(t.run(&["LATENCY", "GRAPH", "command"]));
    let head = format!("command - high {last} ms, low {last} ms (all time high {last} ms)\n");
    assert!(graph.starts_with(&head), "{graph}");
    assert!(graph.contains(&format!("\n{}\n", "-".repeat(80))));
    assert!(graph.ends_with("_\n \n0\ns\n"), "{graph:?}");

    let doctor = text(t.run(&["LATENCY", "DOCTOR"]));
    assert!(
        doctor.contains("\n\n1. command: 1 latency spikes (average"),
        "{doctor}"
    );
    assert!(doctor.contains("- Check your Slow Log"), "{doctor}");

    assert_eq!(t.int(&["LATENCY", "RESET", "Command", "nosuch"]), 1);
    assert_eq!(t.int(&["LATENCY", "RESET"]), 0);
    assert_eq!(t.run(&["LATENCY", "LATEST"]), Reply::Array(vec![]));
}

#[test]
fn doctor_report_lists_events_and_advice_in_redis_words() {
    let mut t = T::new();
    t.run(&["CONFIG", "SET", "latency-monitor-threshold", "5"]);
    t.e.latency.add("expire-cycle", 8, NOW - 9);
    t.e.latency.add("expire-cycle", 12, NOW - 1);
    t.e.latency.add("eviction-cycle", 30, NOW - 3);
    let expected = "Dave, I have observed latency spikes in this Redis instance. You don't mind \
talking about it, do you Dave?\n\n\
1. expire-cycle: 2 latency spikes (average 10ms, mean deviation 2ms, period 4.50 sec). Worst all \
time event 12ms.\n\
2. eviction-cycle: 1 latency spikes (average 30ms, mean deviation 0ms, period 3.00 sec). Worst \
all time event 30ms.\n\
\nI have a few advices for you:\n\n\
- In order to make the Redis keys expiring process more incremental, try to set the 'hz' \
configuration parameter to 100 using 'CONFIG SET hz 100'.\n\
- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking \
operation. If you have very large objects that are often deleted, expired, or evicted, try to \
fragment those objects into multiple smaller objects.\n\
- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via \
sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations \
(RESTORE command), may create sudden memory pressure forcing the server to block trying to evict \
keys. \n";
    assert_eq!(report(&t.e, NOW, 0), expected);
    // Huge pages behind the heap add their own advice, last.
    assert!(report(&t.e, NOW, 2 << 20).ends_with("to get rid of the huge pages already created.\n"));

    // With the slow log off, a command spike asks to turn it on.
    t.run(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
    t.e.latency.reset(None);
    t.e.latency.add("command", 7, NOW);
    let doctor = report(&t.e, NOW, 0);
    assert!(doctor.contains(
        "- There are latency issues with potentially slow commands you are using. Try to enable \
         the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 5000'."
    ));

    t.e.latency.reset(None);
    assert_eq!(
        report(&t.e, NOW, 0),
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in \
         the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and \
         think things over.\n"
    );
}

#[test]
fn histogram_lists_commands_with_calls_and_skips_unknown_names() {
    let mut t = T::new();
    assert_eq!(t.run(&["LATENCY", "HISTOGRAM"]), Reply::Map(vec![]));
    t.run(&["SET", "k", "v"]);
    t.run(&["GET", "k"]);
    t.run(&["GET", "k"]);
    t.run(&["CONFIG", "GET", "hz"]);
    let Reply::Map(entries) = t.run(&["LATENCY", "HISTOGRAM", "get", "nosuch", "CONFIG", "hset"])
    else {
        panic!()
    };
    let names: Vec<Reply> = entries.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(names, vec![Reply::bulk(b"get"), Reply::bulk(b"config|get")]);
    let Reply::Map(fields) = &entries[0].1 else {
        panic!()
    };
    assert_eq!(fields[0], (Reply::bulk(b"calls"), Reply::Integer(2)));
    let Reply::Map(buckets) = &fields[1].1 else {
        panic!()
    };
    assert_eq!(buckets.last().unwrap().1, Reply::Integer(2), "{buckets:?}");

    let Reply::Map(all) = t.run(&["LATENCY", "HISTOGRAM"]) else {
        panic!()
    };
    // SET, GET, CONFIG GET and the first LATENCY HISTOGRAM.
    assert_eq!(all.len(), 4, "{all:?}");
    t.run(&["CONFIG", "RESETSTAT"]);
    let Reply::Map(after) = t.run(&["LATENCY", "HISTOGRAM", "get"]) else {
        panic!()
    };
    assert!(after.is_empty());
}
