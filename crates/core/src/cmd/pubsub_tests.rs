use crate::client::ClientKind;
use crate::engine::Engine;
use crate::testkit::argv;

/// Runs a command through `execute_into` and returns everything written.
fn run(e: &mut Engine, id: u64, words: &[&str]) -> String {
    let mut out = Vec::new();
    e.execute_into(id, &argv(words), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn pending(e: &mut Engine, id: u64) -> String {
    String::from_utf8_lossy(&e.take_pending(id)).into_owned()
}

#[test]
fn subscribe_confirms_each_channel_and_counts_patterns() {
    let mut e = Engine::builder().build();
    let a = e.add_client();
    assert_eq!(
        run(&mut e, a, &["SUBSCRIBE", "a", "b", "a"]),
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n\
         *3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["PSUBSCRIBE", "x*"]),
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:3\r\n"
    );
    assert_eq!(e.clients[&a].kind, ClientKind::PubSub);
    assert_eq!(e.pubsub.subscribed_clients, 1);
    assert_eq!(
        run(&mut e, a, &["UNSUBSCRIBE", "zz"]),
        "*3\r\n$11\r\nunsubscribe\r\n$2\r\nzz\r\n:3\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["UNSUBSCRIBE"]),
        "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["PUNSUBSCRIBE"]),
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nx*\r\n:0\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["PUNSUBSCRIBE"]),
        "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(e.clients[&a].kind, ClientKind::Normal);
    assert_eq!(e.pubsub.subscribed_clients, 0);
    assert!(e.pubsub.channels.is_empty() && e.pubsub.patterns.is_empty());
}

#[test]
fn subscribed_resp2_context_is_restricted() {
    let mut e = Engine::builder().build();
    let a = e.add_client();
    run(&mut e, a, &["SSUBSCRIBE", "s"]);
    assert_eq!(
        run(&mut e, a, &["GET", "k"]),
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["CLIENT", "LIST"]),
        "-ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"
    );
    assert_eq!(
        run(&mut e, a, &["GET"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(run(&mut e, a, &["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        run(&mut e, a, &["PING", "hi"]),
        "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    );
    // Leaving the global channels keeps the shard subscription: still restricted.
    run(&mut e, a, &["UNSUBSCRIBE"]);
    assert!(run(&mut e, a, &["GET", "k"]).starts_with("-ERR Can't execute"));
    assert_eq!(run(&mut e, a, &["RESET"]), "+RESET\r\n");
    assert_eq!(run(&mut e, a, &["GET", "k"]), "$-1\r\n");
    assert_eq!(run(&mut e, a, &["PING"]), "+PONG\r\n");
    // RESP3 has no restriction.
    run(&mut e, a, &["HELLO", "3"]);
    assert_eq!(
        run(&mut e, a, &["SUBSCRIBE", "c"]),
        ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    );
    assert_eq!(run(&mut e, a, &["GET", "k"]), "_\r\n");
    assert_eq!(run(&mut e, a, &["PING"]), "+PONG\r\n");
    assert_eq!(
        run(&mut e, a, &["SUNSUBSCRIBE"]),
        ">3\r\n$12\r\nsunsubscribe\r\n_\r\n:0\r\n"
    );
}

#[test]
fn publish_fans_out_in_order_with_patterns() {
    let mut e = Engine::builder().build();
    let (a, b, p) = (e.add_client(), e.add_client(), e.add_client());
    run(&mut e, a, &["SUBSCRIBE", "news"]);
    run(&mut e, b, &["HELLO", "3"]);
    run(&mut e, b, &["SUBSCRIBE", "news"]);
    run(&mut e, b, &["PSUBSCRIBE", "n*", "x"]);
    assert_eq!(run(&mut e, p, &["PUBLISH", "news", "m1"]), ":3\r\n");
    assert_eq!(run(&mut e, p, &["PUBLISH", "nope", "m2"]), ":1\r\n");
    assert_eq!(run(&mut e, p, &["PUBLISH", "other", "m3"]), ":0\r\n");
    assert_eq!(
        pending(&mut e, a),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n"
    );
    assert_eq!(
        pending(&mut e, b),
        ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nm1\r\n\
         >4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nm1\r\n\
         >4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnope\r\n$2\r\nm2\r\n"
    );
    // Shard channels are separate.
    run(&mut e, a, &["SSUBSCRIBE", "news"]);
    assert_eq!(run(&mut e, p, &["SPUBLISH", "news", "s"]), ":1\r\n");
    assert_eq!(
        pending(&mut e, a),
        "*3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$1\r\ns\r\n"
    );
    // Publishing to oneself in RESP3: the message precedes the reply.
    assert_eq!(
        run(&mut e, b, &["PUBLISH", "x", "me"]),
        ">4\r\n$8\r\npmessage\r\n$1\r\nx\r\n$1\r\nx\r\n$2\r\nme\r\n:1\r\n"
    );
    e.remove_client(b);
    assert_eq!(e.pubsub.numpat(), 0);
    assert_eq!(run(&mut e, p, &["PUBLISH", "news", "m4"]), ":1\r\n");
}

#[test]
fn pubsub_introspection() {
    let mut e = Engine::builder().build();
    let (a, b, q) = (e.add_client(), e.add_client(), e.add_client());
    run(&mut e, a, &["SUBSCRIBE", "", "x", "y"]);
    run(&mut e, b, &["SUBSCRIBE", "x"]);
    run(&mut e, b, &["PSUBSCRIBE", "p*", "q*"]);
    run(&mut e, a, &["PSUBSCRIBE", "p*"]);
    run(&mut e, a, &["SSUBSCRIBE", "s"]);
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "CHANNELS"]),
        "*3\r\n$0\r\n\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "CHANNELS", "*"]),
        "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
    );
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "channels", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "NUMSUB", "x", "zz"]),
        "*4\r\n$1\r\nx\r\n:2\r\n$2\r\nzz\r\n:0\r\n"
    );
    assert_eq!(run(&mut e, q, &["PUBSUB", "NUMSUB"]), "*0\r\n");
    assert_eq!(run(&mut e, q, &["PUBSUB", "NUMPAT"]), ":2\r\n");
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "SHARDCHANNELS"]),
        "*1\r\n$1\r\ns\r\n"
    );
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "SHARDNUMSUB", "s", "x"]),
        "*4\r\n$1\r\ns\r\n:1\r\n$1\r\nx\r\n:0\r\n"
    );
    assert_eq!(
        run(&mut e, q, &["PUBSUB", "NUMPAT", "x"]),
        "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n"
    );
    let list = run(&mut e, q, &["CLIENT", "LIST"]);
    assert!(list.contains("flags=P db=0 sub=3 psub=1 ssub=1 "), "{list}");
    assert!(list.contains("flags=P db=0 sub=1 psub=2 ssub=0 "), "{list}");
    let info = run(&mut e, q, &["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:3\r\npubsub_patterns:2\r\npubsubshard_channels:1\r\n"));
}

#[test]
fn confirmations_ignore_client_reply_off() {
    let mut e = Engine::builder().build();
    let (a, p) = (e.add_client(), e.add_client());
    assert_eq!(run(&mut e, a, &["CLIENT", "REPLY", "OFF"]), "");
    assert_eq!(
        run(&mut e, a, &["SUBSCRIBE", "c", "d"]),
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nd\r\n:2\r\n"
    );
    run(&mut e, p, &["PUBLISH", "c", "m"]);
    assert_eq!(
        pending(&mut e, a),
        "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"
    );
    assert_eq!(run(&mut e, a, &["PING"]), "");
}

#[test]
fn keyspace_events_are_published() {
    let mut e = Engine::builder().build();
    let (a, w) = (e.add_client(), e.add_client());
    run(
        &mut e,
        w,
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
    );
    run(&mut e, a, &["PSUBSCRIBE", "__key*__:*"]);
    run(&mut e, w, &["SELECT", "3"]);
    run(&mut e, w, &["SET", "k", "v"]);
    assert_eq!(
        pending(&mut e, a),
        "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$16\r\n__keyspace@3__:k\r\n$3\r\nset\r\n\
         *4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@3__:set\r\n$1\r\nk\r\n"
    );
}

#[test]
fn slow_subscriber_is_disconnected_at_the_hard_limit() {
    let mut e = Engine::builder().build();
    let (a, p) = (e.add_client(), e.add_client());
    run(
        &mut e,
        p,
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1000 0 0",
        ],
    );
    run(&mut e, a, &["SUBSCRIBE", "c"]);
    let msg = "x".repeat(300);
    for _ in 0..3 {
        assert_eq!(run(&mut e, p, &["PUBLISH", "c", &msg]), ":1\r\n");
    }
    assert!(!e.clients[&a].killed);
    run(&mut e, p, &["PUBLISH", "c", &msg]);
    assert!(e.clients[&a].killed);
    assert!(e.clients[&a].pending.is_empty());
    assert_eq!(e.pubsub.obuf_limit_disconnections, 1);
    // Gone from the channel at once, before its connection closes.
    assert_eq!(run(&mut e, p, &["PUBLISH", "c", "m"]), ":0\r\n");
    e.remove_client(a);
    assert_eq!(run(&mut e, p, &["PUBLISH", "c", "m"]), ":0\r\n");
}

#[test]
fn killed_subscribers_stop_receiving_at_once() {
    let mut e = Engine::builder().build();
    let (a, m, p) = (e.add_client(), e.add_client(), e.add_client());
    e.clients.get_mut(&a).unwrap().addr = "10.0.0.1:1".into();
    run(&mut e, a, &["SUBSCRIBE", "c"]);
    run(&mut e, m, &["MONITOR"]);
    run(&mut e, m, &["SUBSCRIBE", "c"]);
    let list = run(&mut e, p, &["CLIENT", "LIST"]);
    assert!(list.contains("flags=OP db=0 sub=1 psub=0 ssub=0"), "{list}");
    assert_eq!(
        run(&mut e, p, &["CLIENT", "KILL", "ADDR", "10.0.0.1:1"]),
        ":1\r\n"
    );
    assert_eq!(
        run(&mut e, p, &["PUBSUB", "NUMSUB", "c"]),
        "*2\r\n$1\r\nc\r\n:1\r\n"
    );
    assert_eq!(run(&mut e, p, &["PUBLISH", "c", "m"]), ":1\r\n");
    assert_eq!(e.pubsub.subscribed_clients, 1);
}
