//! Stream commands, as a user sees them: XADD and its IDs, ranges, deletion, trimming (exact
//! and approximate), XSETID, consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM), XINFO, XREAD (with BLOCK answered at once), and streams among the other
//! types (TYPE, OBJECT ENCODING, SCAN TYPE, COPY, WRONGTYPE).
//!
//! The server runs two shards; XREAD and XREADGROUP are also run on keys owned by different
//! shards. Times (idle, seen-time, delivery time) are checked for their kind and range, since
//! they depend on the clock.

mod common;

use common::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

fn srv() -> TestServer {
    TestServer::builder().threads(2).start()
}

/// One entry as XRANGE answers it: `[id, [field, value, ...]]`.
fn entry(id: &str, pairs: &[&str]) -> Reply {
    array(vec![bulk(id), bulks(pairs)])
}

/// The value of `field` in a flat map reply (`[k1, v1, k2, v2, ...]`).
fn field(map: &Reply, name: &str) -> Reply {
    let items = map.items();
    let at = items
        .iter()
        .step_by(2)
        .position(|k| k == &bulk(name))
        .unwrap_or_else(|| panic!("no field {name} in {map:?}"));
    items[at * 2 + 1].clone()
}

/// Adds `n` entries `1-1`, `2-1`, ... `n-1`, each `f <i>`.
fn fill(c: &mut redis::Connection, key: &str, n: u64) {
    for i in 1..=n {
        assert_eq!(
            run(c, &format!("XADD {key} {i}-1 f {i}")),
            bulk(format!("{i}-1"))
        );
    }
}

// ---------------------------------------------------------------- XADD and IDs

#[test]
fn xadd_takes_explicit_partial_and_generated_ids() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "XADD s 5-3 a 1 b 2"), bulk("5-3"));
    assert_eq!(run(&mut c, "XADD s 5-* c 3"), bulk("5-4"));
    assert_eq!(run(&mut c, "XADD s 7-* c 3"), bulk("7-0"));
    assert_eq!(run(&mut c, "XADD s 8 c 3"), bulk("8-0"));
    let generated = run(&mut c, "XADD s * d 4").text();
    let (ms, seq) = generated.split_once('-').expect("ms-seq");
    assert!(ms.parse::<u64>().unwrap() > 1_600_000_000_000);
    assert_eq!(seq, "0");
    assert_eq!(
        run(&mut c, "XADD s 8-0 x y"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(run(&mut c, "XLEN s"), int(5));
    assert_eq!(
        run(&mut c, "XRANGE s - 7"),
        array(vec![
            entry("5-3", &["a", "1", "b", "2"]),
            entry("5-4", &["c", "3"]),
            entry("7-0", &["c", "3"]),
        ])
    );
    assert_eq!(run(&mut c, "XLEN nokey"), int(0));
}

#[test]
fn xadd_rejects_bad_ids_and_argument_counts() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "XADD s 0-0 f v"),
        err("ERR The ID specified in XADD must be greater than 0-0")
    );
    assert_eq!(run(&mut c, "EXISTS s"), int(0));
    assert_eq!(run(&mut c, "XADD s 0-* f v"), bulk("0-1"));
    for bad in ["-3", "4-x", "abc", "-", "+", "1-2-3"] {
        assert_eq!(run(&mut c, &format!("XADD s {bad} f v")), err(INVALID_ID));
    }
    let arity = err("ERR wrong number of arguments for 'xadd' command");
    assert_eq!(run(&mut c, "XADD s * f"), arity);
    assert_eq!(run(&mut c, "XADD s * f v g"), arity);
    assert_eq!(run(&mut c, "XADD s MAXLEN ~ 5 f"), err(INVALID_ID));
    assert_eq!(run(&mut c, "XADD s MAXLEN 5"), arity);
    assert_eq!(
        run(
            &mut c,
            "XADD s 18446744073709551615-18446744073709551615 f v"
        ),
        bulk("18446744073709551615-18446744073709551615")
    );
    assert_eq!(
        run(&mut c, "XADD s * f v"),
        err("ERR The stream has exhausted the last possible ID, unable to add more items")
    );
    assert_eq!(
        run(&mut c, "XADD t 5-18446744073709551615 f v"),
        bulk("5-18446744073709551615")
    );
    assert_eq!(
        run(&mut c, "XADD t 5-* f v"),
        err("ERR Elements are too large to be stored")
    );
}

#[test]
fn nomkstream_leaves_a_missing_key_missing() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "XADD s NOMKSTREAM * f v"), nil());
    assert_eq!(run(&mut c, "EXISTS s"), int(0));
    assert_eq!(run(&mut c, "XADD s 1-1 f v"), bulk("1-1"));
    assert_eq!(run(&mut c, "XADD s NOMKSTREAM 2-1 f v"), bulk("2-1"));
    assert_eq!(run(&mut c, "XLEN s"), int(2));
}

#[test]
fn xadd_trims_with_maxlen_and_minid() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 5);
    assert_eq!(run(&mut c, "XADD s MAXLEN 3 6-1 f 6"), bulk("6-1"));
    assert_eq!(run(&mut c, "XLEN s"), int(3));
    assert_eq!(run(&mut c, "XADD s MINID = 5 7-1 f 7"), bulk("7-1"));
    assert_eq!(
        run(&mut c, "XRANGE s - +"),
        array(vec![
            entry("5-1", &["f", "5"]),
            entry("6-1", &["f", "6"]),
            entry("7-1", &["f", "7"]),
        ])
    );
    // Approximate trimming drops whole nodes only (100 entries each by default).
    fill_from(&mut c, "big", 1, 250);
    assert_eq!(
        run(&mut c, "XADD big MAXLEN ~ 120 251-1 f v"),
        bulk("251-1")
    );
    assert_eq!(run(&mut c, "XLEN big"), int(151));
    assert_eq!(
        run(&mut c, "XADD big MAXLEN 1 MINID 1 * f v"),
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
    assert_eq!(
        run(&mut c, "XADD big MAXLEN -1 * f v"),
        err("ERR The MAXLEN argument must be >= 0.")
    );
    assert_eq!(run(&mut c, "XADD big MAXLEN x * f v"), err(NOT_INT));
    assert_eq!(run(&mut c, "XADD big MINID - * f v"), err(INVALID_ID));
    assert_eq!(
        run(&mut c, "XADD big LIMIT 5 * f v"),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    assert_eq!(
        run(&mut c, "XADD big MAXLEN 5 LIMIT 5 * f v"),
        err("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    assert_eq!(
        run(&mut c, "XADD big MAXLEN ~ 5 LIMIT -1 * f v"),
        err("ERR The LIMIT argument must be >= 0.")
    );
    assert_eq!(run(&mut c, "XLEN big"), int(151));
}

/// Adds entries `from-1` to `to-1` with one field each.
fn fill_from(c: &mut redis::Connection, key: &str, from: u64, to: u64) {
    for i in from..=to {
        run(c, &format!("XADD {key} {i}-1 f v"));
    }
}

// ---------------------------------------------------------------- XRANGE, XREVRANGE, XDEL

#[test]
fn ranges_take_inclusive_exclusive_and_partial_bounds() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 4);
    let ids = |r: Reply| -> Vec<String> { r.items().iter().map(|e| e.items()[0].text()).collect() };
    assert_eq!(
        ids(run(&mut c, "XRANGE s - +")),
        ["1-1", "2-1", "3-1", "4-1"]
    );
    assert_eq!(ids(run(&mut c, "XRANGE s 2 3")), ["2-1", "3-1"]);
    assert_eq!(ids(run(&mut c, "XRANGE s (2-1 +")), ["3-1", "4-1"]);
    assert_eq!(ids(run(&mut c, "XRANGE s - (3-1")), ["1-1", "2-1"]);
    assert_eq!(ids(run(&mut c, "XRANGE s - + COUNT 2")), ["1-1", "2-1"]);
    assert_eq!(
        ids(run(&mut c, "XREVRANGE s + - COUNT 3")),
        ["4-1", "3-1", "2-1"]
    );
    assert_eq!(ids(run(&mut c, "XREVRANGE s (4-1 (1-1")), ["3-1", "2-1"]);
    assert_eq!(run(&mut c, "XRANGE s 3 2"), array(vec![]));
    assert_eq!(run(&mut c, "XRANGE s - + COUNT 0"), nil());
    assert_eq!(run(&mut c, "XRANGE s - + COUNT -1"), nil());
    assert_eq!(run(&mut c, "XRANGE nokey - +"), array(vec![]));
    assert_eq!(run(&mut c, "XRANGE s - + COUNT x"), err(NOT_INT));
    assert_eq!(run(&mut c, "XRANGE s - + FOO 1"), err(SYNTAX));
    assert_eq!(run(&mut c, "XRANGE s - + COUNT"), err(SYNTAX));
    assert_eq!(run(&mut c, "XRANGE s abc +"), err(INVALID_ID));
    assert_eq!(run(&mut c, "XRANGE s (- +"), err(INVALID_ID));
    assert_eq!(
        run(&mut c, "XRANGE s - (0-0"),
        err("ERR invalid end ID for the interval")
    );
    assert_eq!(
        run(
            &mut c,
            "XRANGE s (18446744073709551615-18446744073709551615 +"
        ),
        err("ERR invalid start ID for the interval")
    );
}

#[test]
fn xdel_removes_entries_and_records_the_greatest_deleted_id() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "XDEL nokey bad"), int(0));
    fill(&mut c, "s", 3);
    assert_eq!(run(&mut c, "XDEL s 1-1 bad"), err(INVALID_ID));
    assert_eq!(run(&mut c, "XLEN s"), int(3));
    assert_eq!(run(&mut c, "XDEL s 2-1 2-1 9-9"), int(1));
    assert_eq!(run(&mut c, "XDEL s 1-1 3-1"), int(2));
    assert_eq!(run(&mut c, "XLEN s"), int(0));
    assert_eq!(run(&mut c, "EXISTS s"), int(1), "an empty stream stays");
    let info = run(&mut c, "XINFO STREAM s");
    assert_eq!(field(&info, "max-deleted-entry-id"), bulk("3-1"));
    assert_eq!(field(&info, "recorded-first-entry-id"), bulk("0-0"));
    assert_eq!(field(&info, "entries-added"), int(3));
    assert_eq!(field(&info, "first-entry"), nil());
}

// ---------------------------------------------------------------- XTRIM, XSETID

#[test]
fn xtrim_trims_exactly_or_by_whole_nodes() {
    let srv = srv();
    let mut c = srv.client();
    fill_from(&mut c, "s", 1, 250);
    assert_eq!(run(&mut c, "XTRIM s MAXLEN ~ 200"), int(0));
    assert_eq!(run(&mut c, "XTRIM s MAXLEN ~ 120"), int(100));
    assert_eq!(run(&mut c, "XTRIM s MAXLEN ~ 0 LIMIT 50"), int(0));
    assert_eq!(run(&mut c, "XTRIM s MAXLEN 140"), int(10));
    assert_eq!(run(&mut c, "XTRIM s MINID 115"), int(4));
    assert_eq!(run(&mut c, "XTRIM s MINID ~ 201"), int(86));
    assert_eq!(run(&mut c, "XLEN s"), int(50));
    let info = run(&mut c, "XINFO STREAM s");
    assert_eq!(field(&info, "radix-tree-keys"), int(1));
    assert_eq!(field(&info, "recorded-first-entry-id"), bulk("201-1"));
    assert_eq!(run(&mut c, "XTRIM s MAXLEN = 0"), int(50));
    assert_eq!(run(&mut c, "XTRIM nokey MAXLEN 0"), int(0));
    assert_eq!(
        run(&mut c, "XTRIM s LIMIT 5"),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    assert_eq!(
        run(&mut c, "XTRIM s LIMIT 0"),
        err("ERR syntax error, XTRIM must be called with a trimming strategy")
    );
    assert_eq!(run(&mut c, "XTRIM s FOO 1"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "XTRIM s"),
        err("ERR wrong number of arguments for 'xtrim' command")
    );
}

#[test]
fn xsetid_moves_the_last_id_and_the_counters() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(run(&mut c, "XSETID s 1-1"), err("ERR no such key"));
    fill(&mut c, "s", 2);
    assert_eq!(
        run(&mut c, "XSETID s 1-9"),
        err("ERR The ID specified in XSETID is smaller than the target stream top item")
    );
    assert_eq!(
        run(&mut c, "XSETID s 5-0 ENTRIESADDED 1"),
        err("ERR The entries_added specified in XSETID is smaller than the target stream length")
    );
    assert_eq!(
        run(&mut c, "XSETID s 5-0 ENTRIESADDED -1"),
        err("ERR entries_added must be positive")
    );
    assert_eq!(
        run(&mut c, "XSETID s 5-0 MAXDELETEDID 6-0"),
        err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
    );
    assert_eq!(run(&mut c, "XSETID s 5-0 FOO"), err(SYNTAX));
    assert_eq!(run(&mut c, "XSETID s +"), err(INVALID_ID));
    assert_eq!(
        run(&mut c, "XSETID s 5-0 ENTRIESADDED 10 MAXDELETEDID 3-0"),
        ok()
    );
    let info = run(&mut c, "XINFO STREAM s");
    assert_eq!(field(&info, "last-generated-id"), bulk("5-0"));
    assert_eq!(field(&info, "entries-added"), int(10));
    assert_eq!(field(&info, "max-deleted-entry-id"), bulk("3-0"));
    assert_eq!(run(&mut c, "XADD s 5-* f v"), bulk("5-1"));
}

// ---------------------------------------------------------------- XGROUP

#[test]
fn xgroup_creates_moves_and_destroys_groups() {
    let srv = srv();
    let mut c = srv.client();
    assert_eq!(
        run(&mut c, "XGROUP CREATE s g $"),
        err(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
             want to use the MKSTREAM option to create an empty stream automatically."
        )
    );
    assert_eq!(run(&mut c, "XGROUP CREATE s g $ MKSTREAM"), ok());
    assert_eq!(run(&mut c, "XLEN s"), int(0));
    assert_eq!(
        run(&mut c, "XGROUP CREATE s g 0"),
        err("BUSYGROUP Consumer Group name already exists")
    );
    assert_eq!(run(&mut c, "XGROUP CREATE s g2 0 ENTRIESREAD 5"), ok());
    assert_eq!(
        run(&mut c, "XGROUP CREATE s g3 0 ENTRIESREAD -2"),
        err("ERR value for ENTRIESREAD must be positive or -1")
    );
    assert_eq!(
        run(&mut c, "XGROUP CREATE s g3 0 ENTRIESREAD x"),
        err(NOT_INT)
    );
    assert_eq!(
        run(&mut c, "XGROUP CREATE s g3 0 FOO"),
        err("ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.")
    );
    assert_eq!(run(&mut c, "XGROUP CREATE s g3 -"), err(INVALID_ID));
    assert_eq!(
        run(&mut c, "XGROUP SETID s nog 0"),
        err("NOGROUP No such consumer group 'nog' for key name 's'")
    );
    assert_eq!(run(&mut c, "XGROUP SETID s g 5-5 ENTRIESREAD 3"), ok());
    assert_eq!(run(&mut c, "XGROUP SETID s g2 +"), ok());
    let groups = run(&mut c, "XINFO GROUPS s").items();
    assert_eq!(field(&groups[0], "name"), bulk("g"));
    assert_eq!(field(&groups[0], "last-delivered-id"), bulk("5-5"));
    assert_eq!(field(&groups[0], "entries-read"), int(3));
    assert_eq!(
        field(&groups[1], "last-delivered-id"),
        bulk("18446744073709551615-18446744073709551615")
    );
    assert_eq!(field(&groups[1], "entries-read"), nil());
    assert_eq!(run(&mut c, "XGROUP CREATECONSUMER s g alice"), int(1));
    assert_eq!(run(&mut c, "XGROUP CREATECONSUMER s g alice"), int(0));
    assert_eq!(run(&mut c, "XGROUP DELCONSUMER s g bob"), int(0));
    assert_eq!(run(&mut c, "XGROUP DELCONSUMER s g alice"), int(0));
    assert_eq!(run(&mut c, "XGROUP DESTROY s g2"), int(1));
    assert_eq!(run(&mut c, "XGROUP DESTROY s g2"), int(0));
    assert_eq!(
        run(&mut c, "XGROUP FOO s g"),
        err("ERR unknown subcommand 'FOO'. Try XGROUP HELP.")
    );
    assert_eq!(
        run(&mut c, "XGROUP DESTROY s"),
        err("ERR wrong number of arguments for 'xgroup|destroy' command")
    );
    let help = run(&mut c, "XGROUP HELP").items();
    assert_eq!(
        help[0],
        status("XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(help.len(), 17);
    run(&mut c, "SET str x");
    assert_eq!(
        run(&mut c, "XGROUP CREATE str g 0 MKSTREAM"),
        err(WRONGTYPE)
    );
}

// ---------------------------------------------------------------- XREADGROUP, XACK, XPENDING

#[test]
fn xreadgroup_delivers_new_entries_then_history() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 3);
    assert_eq!(run(&mut c, "XGROUP CREATE s g 0"), ok());
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g alice COUNT 2 STREAMS s >"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![entry("1-1", &["f", "1"]), entry("2-1", &["f", "2"])]),
        ])])
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g bob STREAMS s >"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![entry("3-1", &["f", "3"])])
        ])])
    );
    assert_eq!(run(&mut c, "XREADGROUP GROUP g bob STREAMS s >"), nil());
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g bob BLOCK 10 STREAMS s >"),
        nil()
    );
    // History: the consumer's own pending entries after the ID; a deleted one reads as nil.
    assert_eq!(run(&mut c, "XDEL s 1-1"), int(1));
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g alice STREAMS s 0"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![
                array(vec![bulk("1-1"), nil()]),
                entry("2-1", &["f", "2"]),
            ]),
        ])])
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g carol STREAMS s 0"),
        array(vec![array(vec![bulk("s"), array(vec![])])])
    );
    let groups = run(&mut c, "XINFO GROUPS s").items();
    assert_eq!(field(&groups[0], "consumers"), int(3));
    assert_eq!(field(&groups[0], "pending"), int(3));
    assert_eq!(field(&groups[0], "last-delivered-id"), bulk("3-1"));
    assert_eq!(field(&groups[0], "entries-read"), int(3));
    assert_eq!(field(&groups[0], "lag"), int(0));
    // NOACK moves the group without filling its pending list.
    run(&mut c, "XADD s 4-1 f 4");
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g dave NOACK STREAMS s >"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![entry("4-1", &["f", "4"])])
        ])])
    );
    assert_eq!(run(&mut c, "XPENDING s g").items()[0], int(3));
}

#[test]
fn xreadgroup_errors_come_in_redis_order() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 1);
    run(&mut c, "XGROUP CREATE s g 0");
    run(&mut c, "SET str x");
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP nog c STREAMS s >"),
        err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option")
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c STREAMS nokey >"),
        err("NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option")
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c STREAMS str >"),
        err(WRONGTYPE)
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c STREAMS s $"),
        err(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the \
             history of this consumer by specifying a proper ID, or use the > ID to get new \
             messages. The $ ID would just return an empty result set."
        )
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c STREAMS s bad"),
        err(INVALID_ID)
    );
    assert_eq!(
        run(&mut c, "XREADGROUP NOACK COUNT 1 STREAMS s >"),
        err("ERR Missing GROUP option for XREADGROUP")
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c STREAMS s > x"),
        err(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be \
             specified."
        )
    );
    assert_eq!(
        run(&mut c, "XREADGROUP GROUP g c FOO STREAMS s >"),
        err(SYNTAX)
    );
    // Nothing was delivered by the failed calls.
    assert_eq!(run(&mut c, "XPENDING s g").items()[0], int(0));
}

#[test]
fn xack_and_xpending_track_the_pending_entries() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 4);
    run(&mut c, "XGROUP CREATE s g 0");
    assert_eq!(
        run(&mut c, "XPENDING s g"),
        array(vec![int(0), nil(), nil(), nil()])
    );
    run(&mut c, "XREADGROUP GROUP g alice COUNT 3 STREAMS s >");
    run(&mut c, "XREADGROUP GROUP g bob STREAMS s >");
    assert_eq!(
        run(&mut c, "XPENDING s g"),
        array(vec![
            int(4),
            bulk("1-1"),
            bulk("4-1"),
            array(vec![bulks(&["alice", "3"]), bulks(&["bob", "1"])]),
        ])
    );
    let detail = run(&mut c, "XPENDING s g - + 10 alice").items();
    assert_eq!(detail.len(), 3);
    let first = detail[0].items();
    assert_eq!(
        (first[0].clone(), first[1].clone()),
        (bulk("1-1"), bulk("alice"))
    );
    assert!((0..60_000).contains(&first[2].int()), "idle ms");
    assert_eq!(first[3], int(1));
    assert_eq!(run(&mut c, "XPENDING s g (1-1 (4-1 10").items().len(), 2);
    assert_eq!(run(&mut c, "XPENDING s g - + 1").items().len(), 1);
    assert_eq!(
        run(&mut c, "XPENDING s g IDLE 3600000 - + 10"),
        array(vec![])
    );
    assert_eq!(run(&mut c, "XPENDING s g - + 10 nobody"), array(vec![]));
    assert_eq!(run(&mut c, "XPENDING s g - + x"), err(NOT_INT));
    assert_eq!(run(&mut c, "XPENDING s g IDLE 10 - +"), err(SYNTAX));
    assert_eq!(run(&mut c, "XPENDING s g -"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "XPENDING s nog"),
        err("NOGROUP No such key 's' or consumer group 'nog'")
    );
    assert_eq!(run(&mut c, "XACK s g 1-1 bad"), err(INVALID_ID));
    assert_eq!(run(&mut c, "XACK s g 1-1 4-1 9-9"), int(2));
    assert_eq!(run(&mut c, "XACK s g 1-1"), int(0));
    assert_eq!(run(&mut c, "XACK s nog bad"), int(0));
    assert_eq!(run(&mut c, "XACK nokey g bad"), int(0));
    assert_eq!(
        run(&mut c, "XPENDING s g"),
        array(vec![
            int(2),
            bulk("2-1"),
            bulk("3-1"),
            array(vec![bulks(&["alice", "2"])]),
        ])
    );
}

// ---------------------------------------------------------------- XCLAIM, XAUTOCLAIM

#[test]
fn xclaim_hands_pending_entries_over() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 4);
    run(&mut c, "XGROUP CREATE s g 0");
    run(&mut c, "XREADGROUP GROUP g alice COUNT 3 STREAMS s >");
    assert_eq!(
        run(&mut c, "XCLAIM s g bob 0 1-1"),
        array(vec![entry("1-1", &["f", "1"])])
    );
    assert_eq!(run(&mut c, "XCLAIM s g bob 3600000 2-1"), array(vec![]));
    assert_eq!(
        run(&mut c, "XCLAIM s g bob 0 2-1 4-1 JUSTID"),
        bulks(&["2-1"])
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g bob 0 4-1 FORCE JUSTID"),
        bulks(&["4-1"])
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 1-1 RETRYCOUNT 7 JUSTID"),
        bulks(&["1-1"])
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 3-1 IDLE 5000 JUSTID"),
        bulks(&["3-1"])
    );
    let detail = run(&mut c, "XPENDING s g - + 10").items();
    let row = |i: usize| detail[i].items();
    assert_eq!(
        (row(0)[1].clone(), row(0)[3].clone()),
        (bulk("carol"), int(7))
    );
    assert_eq!(
        (row(1)[1].clone(), row(1)[3].clone()),
        (bulk("bob"), int(1))
    );
    assert!(row(2)[2].int() >= 5000, "IDLE sets the delivery time back");
    assert_eq!(row(3)[3], int(1), "FORCE then JUSTID: delivered once");
    // A pending entry whose entry was deleted is dropped from the PEL.
    run(&mut c, "XDEL s 2-1");
    assert_eq!(run(&mut c, "XCLAIM s g carol 0 2-1"), array(vec![]));
    assert_eq!(run(&mut c, "XPENDING s g").items()[0], int(3));
    // LASTID moves the group forward.
    assert_eq!(run(&mut c, "XCLAIM s g carol 0 LASTID 9-9"), array(vec![]));
    let groups = run(&mut c, "XINFO GROUPS s").items();
    assert_eq!(field(&groups[0], "last-delivered-id"), bulk("9-9"));
    assert_eq!(
        run(&mut c, "XCLAIM s g carol x 1-1"),
        err("ERR Invalid min-idle-time argument for XCLAIM")
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 1-1 IDLE x"),
        err("ERR Invalid IDLE option argument for XCLAIM")
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 1-1 TIME x"),
        err("ERR Invalid TIME option argument for XCLAIM")
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 1-1 RETRYCOUNT x"),
        err("ERR Invalid RETRYCOUNT option argument for XCLAIM")
    );
    assert_eq!(
        run(&mut c, "XCLAIM s g carol 0 1-1 FORCE 3-1"),
        err("ERR Unrecognized XCLAIM option '3-1'")
    );
    assert_eq!(
        run(&mut c, "XCLAIM s nog carol 0 1-1"),
        err("NOGROUP No such key 's' or consumer group 'nog'")
    );
}

#[test]
fn xautoclaim_walks_the_pel_with_a_cursor() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 5);
    run(&mut c, "XGROUP CREATE s g 0");
    run(&mut c, "XREADGROUP GROUP g alice STREAMS s >");
    assert_eq!(
        run(&mut c, "XAUTOCLAIM s g bob 0 0 COUNT 2"),
        array(vec![
            bulk("3-1"),
            array(vec![entry("1-1", &["f", "1"]), entry("2-1", &["f", "2"])]),
            array(vec![]),
        ])
    );
    run(&mut c, "XDEL s 4-1");
    assert_eq!(
        run(&mut c, "XAUTOCLAIM s g bob 0 3-1 JUSTID"),
        array(vec![bulk("0-0"), bulks(&["3-1", "5-1"]), bulks(&["4-1"])])
    );
    assert_eq!(
        run(&mut c, "XAUTOCLAIM s g carol 3600000 0"),
        array(vec![bulk("0-0"), array(vec![]), array(vec![])])
    );
    assert_eq!(
        run(&mut c, "XAUTOCLAIM s g carol 0 (1-1 COUNT 1 JUSTID"),
        array(vec![bulk("3-1"), bulks(&["2-1"]), array(vec![])])
    );
    let count_err = err("ERR COUNT must be > 0");
    assert_eq!(run(&mut c, "XAUTOCLAIM s g carol 0 0 COUNT 0"), count_err);
    assert_eq!(run(&mut c, "XAUTOCLAIM s g carol 0 0 COUNT x"), count_err);
    assert_eq!(
        run(&mut c, "XAUTOCLAIM s g carol x 0"),
        err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    );
    assert_eq!(run(&mut c, "XAUTOCLAIM s g carol 0 x"), err(INVALID_ID));
    assert_eq!(run(&mut c, "XAUTOCLAIM s g carol 0 0 FOO"), err(SYNTAX));
    assert_eq!(
        run(&mut c, "XAUTOCLAIM nokey g carol 0 0"),
        err("NOGROUP No such key 'nokey' or consumer group 'g'")
    );
}

// ---------------------------------------------------------------- XINFO

#[test]
fn xinfo_describes_streams_groups_and_consumers() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 3);
    run(&mut c, "XDEL s 2-1");
    let info = run(&mut c, "XINFO STREAM s");
    assert_eq!(
        info,
        array(vec![
            bulk("length"),
            int(2),
            bulk("radix-tree-keys"),
            int(1),
            bulk("radix-tree-nodes"),
            int(2),
            bulk("last-generated-id"),
            bulk("3-1"),
            bulk("max-deleted-entry-id"),
            bulk("2-1"),
            bulk("entries-added"),
            int(3),
            bulk("recorded-first-entry-id"),
            bulk("1-1"),
            bulk("groups"),
            int(0),
            bulk("first-entry"),
            entry("1-1", &["f", "1"]),
            bulk("last-entry"),
            entry("3-1", &["f", "3"]),
        ])
    );
    run(&mut c, "XGROUP CREATE s g 0");
    run(&mut c, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
    let full = run(&mut c, "XINFO STREAM s FULL COUNT 1");
    assert_eq!(
        field(&full, "entries"),
        array(vec![entry("1-1", &["f", "1"])])
    );
    let group = &field(&full, "groups").items()[0];
    assert_eq!(field(group, "name"), bulk("g"));
    // The group was created without ENTRIESREAD and a deletion lies ahead: neither its read
    // counter nor its lag can be known.
    assert_eq!(field(group, "entries-read"), nil());
    assert_eq!(field(group, "lag"), nil());
    assert_eq!(field(group, "pel-count"), int(1));
    let consumer = &field(group, "consumers").items()[0];
    assert_eq!(field(consumer, "name"), bulk("alice"));
    assert!(field(consumer, "seen-time").int() > 1_600_000_000_000);
    assert_eq!(field(consumer, "pel-count"), int(1));
    let consumers = run(&mut c, "XINFO CONSUMERS s g").items();
    assert_eq!(field(&consumers[0], "pending"), int(1));
    assert!((0..60_000).contains(&field(&consumers[0], "idle").int()));
    assert_eq!(
        run(&mut c, "XINFO CONSUMERS s nog"),
        err("NOGROUP No such consumer group 'nog' for key name 's'")
    );
    assert_eq!(run(&mut c, "XINFO STREAM nokey"), err("ERR no such key"));
    assert_eq!(
        run(&mut c, "XINFO STREAM s FULL COUNT"),
        err("ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.")
    );
    assert_eq!(run(&mut c, "XINFO STREAM s FULL COUNT x"), err(NOT_INT));
    assert_eq!(run(&mut c, "XINFO HELP").items().len(), 9);
    run(&mut c, "SET str x");
    assert_eq!(run(&mut c, "XINFO GROUPS str"), err(WRONGTYPE));
}

// ---------------------------------------------------------------- XREAD

#[test]
fn xread_returns_entries_after_each_id() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 3);
    assert_eq!(
        run(&mut c, "XREAD COUNT 1 STREAMS s 1-1"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![entry("2-1", &["f", "2"])])
        ])])
    );
    assert_eq!(run(&mut c, "XREAD STREAMS s $"), nil());
    assert_eq!(run(&mut c, "XREAD STREAMS s nokey 3-1 0"), nil());
    // BLOCK answers at once when there is data.
    assert_eq!(
        run(&mut c, "XREAD BLOCK 0 STREAMS s 2-1"),
        array(vec![array(vec![
            bulk("s"),
            array(vec![entry("3-1", &["f", "3"])])
        ])])
    );
    assert_eq!(run(&mut c, "XREAD BLOCK 10 STREAMS s 99"), nil());
    assert_eq!(run(&mut c, "XREAD STREAMS s +"), err(INVALID_ID));
    assert_eq!(
        run(&mut c, "XREAD BLOCK -1 STREAMS s 0"),
        err("ERR timeout is negative")
    );
    assert_eq!(
        run(&mut c, "XREAD BLOCK x STREAMS s 0"),
        err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        run(&mut c, "XREAD STREAMS s >"),
        err(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
             <group> <consumer> option."
        )
    );
    assert_eq!(
        run(&mut c, "XREAD GROUP g c STREAMS s 0"),
        err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(
        run(&mut c, "XREAD NOACK STREAMS s 0"),
        err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(run(&mut c, "XREAD COUNT 1 s 0"), err(SYNTAX));
    assert_eq!(run(&mut c, "XREAD COUNT x STREAMS s 0"), err(NOT_INT));
    run(&mut c, "SET str x");
    assert_eq!(run(&mut c, "XREAD STREAMS s str 0 0"), err(WRONGTYPE));
}

#[test]
fn xread_and_xreadgroup_span_keys_on_both_shards() {
    let srv = srv();
    let mut c = srv.client();
    let keys = keys_on_each_shard("stream:", 2);
    let (a, b) = (&keys[0], &keys[1]);
    run(&mut c, &format!("XADD {a} 1-1 f a1"));
    run(&mut c, &format!("XADD {b} 2-1 f b1"));
    run(&mut c, &format!("XADD {b} 3-1 f b2"));
    // Replies follow the caller's key order, whichever shard owns each key.
    assert_eq!(
        run(&mut c, &format!("XREAD STREAMS {b} nokey {a} 2-1 0 0")),
        array(vec![
            array(vec![bulk(b), array(vec![entry("3-1", &["f", "b2"])])]),
            array(vec![bulk(a), array(vec![entry("1-1", &["f", "a1"])])]),
        ])
    );
    run(&mut c, &format!("XGROUP CREATE {a} g 0"));
    run(&mut c, &format!("XGROUP CREATE {b} g 0"));
    run(&mut c, "SET str x");
    // A bad key anywhere fails the whole call before any stream is served.
    assert_eq!(
        run(
            &mut c,
            &format!("XREADGROUP GROUP g c STREAMS {a} {b} str > > >")
        ),
        err(WRONGTYPE)
    );
    assert_eq!(run(&mut c, &format!("XPENDING {a} g")).items()[0], int(0));
    assert_eq!(
        run(
            &mut c,
            &format!("XREADGROUP GROUP g c COUNT 1 STREAMS {a} {b} > >")
        ),
        array(vec![
            array(vec![bulk(a), array(vec![entry("1-1", &["f", "a1"])])]),
            array(vec![bulk(b), array(vec![entry("2-1", &["f", "b1"])])]),
        ])
    );
    assert_eq!(run(&mut c, &format!("XPENDING {b} g")).items()[0], int(1));
    assert_eq!(
        run(&mut c, &format!("XREADGROUP GROUP g c STREAMS {a} {b} > >")),
        array(vec![array(vec![
            bulk(b),
            array(vec![entry("3-1", &["f", "b2"])])
        ])])
    );
}

#[test]
fn xread_answers_a_map_in_resp3() {
    let srv = srv();
    let mut raw = srv.raw();
    raw.send_cmd(&["XADD", "s", "1-1", "f", "v"]);
    raw.expect(b"$3\r\n1-1\r\n");
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_frame();
    raw.send_cmd(&["XREAD", "STREAMS", "s", "0"]);
    raw.expect(b"%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    raw.send_cmd(&["XREAD", "STREAMS", "s", "$"]);
    raw.expect(b"_\r\n");
    raw.send_cmd(&["XINFO", "GROUPS", "s"]);
    raw.expect(b"*0\r\n");
}

// ---------------------------------------------------------------- streams among other types

/// Every key SCAN passes with `options`, over the whole cursor walk.
fn scan_all(c: &mut redis::Connection, options: &str) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let r = run(c, &format!("SCAN {cursor} {options}")).items();
        keys.extend(r[1].texts());
        cursor = r[0].text();
        if cursor == "0" {
            return keys;
        }
    }
}

#[test]
fn streams_are_a_type_like_the_others() {
    let srv = srv();
    let mut c = srv.client();
    fill(&mut c, "s", 2);
    assert_eq!(run(&mut c, "TYPE s"), status("stream"));
    assert_eq!(run(&mut c, "OBJECT ENCODING s"), bulk("stream"));
    run(&mut c, "SET str x");
    assert_eq!(scan_all(&mut c, "TYPE stream"), ["s"]);
    run(&mut c, "XGROUP CREATE s g 0");
    assert_eq!(run(&mut c, "COPY s {s}copy"), int(1));
    assert_eq!(run(&mut c, "XLEN {s}copy"), int(2));
    assert_eq!(run(&mut c, "XINFO GROUPS {s}copy").items().len(), 1);
    for cmd in [
        "XADD str * f v",
        "XLEN str",
        "XRANGE str - +",
        "XDEL str 1-1",
        "XTRIM str MAXLEN 0",
        "XACK str g 1-1",
        "XINFO STREAM str",
    ] {
        assert_eq!(run(&mut c, cmd), err(WRONGTYPE), "{cmd}");
    }
    assert_eq!(run(&mut c, "LPUSH s x"), err(WRONGTYPE));
    assert_eq!(run(&mut c, "GET s"), err(WRONGTYPE));
}
