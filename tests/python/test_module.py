"""The Python module from a definition, against C++ (tests/python/conformance_module.cpp).

The conformance suite's random streams (NaN, +-inf, -0.0, subnormals, 1e-300..1e300,
cancellation, equal timestamps, late and out-of-order arrival) go through the module
from pyarrow, pandas, Polars and DuckDB, and every value must have the bits C++ gives
on the same structs: batch on 1 and 2 threads, the reference evaluator, and the online
evaluator with its snapshot bytes. Then the API's edges: bad inputs change nothing,
snapshots are refused whole, threads.

Run by ctest with PYTHONPATH at the built modules; SKEWLESS_CASES_SCALE scales the
number of random cases.
"""

import ast
import os
import random
import threading

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import payments_features as payments
import skewless_conformance as m

CASES = max(1, int(float(os.environ.get("SKEWLESS_CASES_SCALE", "1")) * 600))


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64)).view(np.uint64)


def assert_same_bits(got, expect, what):
    got, expect = bits(got), bits(expect)
    assert got.shape == expect.shape, f"{what}: shape {got.shape} vs {expect.shape}"
    bad = np.argwhere(got != expect)
    if len(bad):
        r, c = bad[0]
        g, e = got[r, c].view(np.float64), expect[r, c].view(np.float64)
        raise AssertionError(f"{what}: {len(bad)} values differ, first at row {r} col {c}: {g!r} vs {e!r}")


def matrix(table, module=m):
    """The feature columns of a training-set table as an (n, F) array."""
    cols = [table.column(c).to_numpy() for c in module.columns]
    return np.column_stack(cols) if cols and table.num_rows else np.empty((table.num_rows, len(module.columns)))


# ---- the same data in every form a caller may hand over -----------------------------


def as_arrow(columns, key_type=pa.string()):
    return pa.table({name: (pa.array(v, type=key_type) if name == "k" else pa.array(v, type=pa.int64() if name == "ts" else pa.float64()))
                     for name, v in columns.items()})


def forms(columns, seed):
    """A representation of `columns` chosen by seed: every producer and string layout."""
    table = as_arrow(columns)
    choice = seed % 7
    if table.num_rows == 0:
        return table  # pandas and Polars cannot tell the types of empty columns
    if choice == 0:
        return table  # utf8
    if choice == 1:  # large_utf8, in several record batches
        t = as_arrow(columns, pa.large_string())
        return pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=7))
    if choice == 2:
        return pd.DataFrame(columns)
    if choice == 3:
        return pl.DataFrame(columns)  # strings as utf8_view
    if choice == 4:  # dictionary-encoded keys
        return table.set_column(0, "k", table.column("k").dictionary_encode())
    if choice == 5:
        return duckdb.from_arrow(table)
    return table.combine_chunks().to_batches()[0] if table.num_rows else table  # one RecordBatch


def take(columns, order):
    return {name: [v[i] for i in order] for name, v in columns.items()}


# ---- parity over the conformance streams -------------------------------------------


def test_streams_match_cpp_batch_reference_and_online_bit_for_bit():
    stats = dict(cases=0, values=0, rows_online=0, rejected=0, snapshots=0)
    for c in range(CASES):
        seed = 9_100_000 + c
        case = m._case(seed)
        events, spine = case["events"], case["spine"]
        rng = random.Random(seed)

        # Batch: the module's training set == C++ batch (1 and 2 threads) == reference.
        threads = rng.choice([None, 1, 2])
        table = m.training_set(forms(events, seed), forms(spine, seed + 3), threads=threads,
                               rows_per_batch=rng.choice([1, 5, 65536]))
        got = matrix(table)
        expect = m._batch(seed, 1)
        assert_same_bits(got, expect, f"seed {seed}: module vs C++ batch")
        assert_same_bits(m._batch(seed, 2), expect, f"seed {seed}: C++ batch on 2 threads")
        assert_same_bits(m._reference(seed), expect, f"seed {seed}: reference")
        assert table.column("k").to_pylist() == spine["k"]
        assert [t.value for t in table.column("ts")] == spine["ts"]
        stats["values"] += got.size

        # Online: arrival order, random chunks in random forms, a snapshot/restore inside.
        arrived = take(events, case["arrival"])
        n = len(case["arrival"])
        online = m.OnlineEvaluator(shards=rng.choice([1, 4, 256]))
        counts = dict.fromkeys(online.counters(), 0)
        at, restore_at = 0, rng.randrange(n + 1)
        while at < n or restore_at is not None:
            if restore_at is not None and at >= restore_at:
                snap = online.snapshot()
                online = m.OnlineEvaluator()
                online.restore(snap)
                assert online.snapshot() == snap
                stats["snapshots"] += 1
                restore_at = None
                continue
            size = min(n - at, rng.randint(1, 40), (restore_at - at) if restore_at is not None and restore_at > at else n)
            chunk = {name: v[at:at + size] for name, v in arrived.items()}
            for k, v in online.ingest(forms(chunk, rng.randrange(1000))).items():
                counts[k] = counts.get(k, 0) + v
            at += size
        keys = sorted(set(events["k"])) + ["never-seen"]
        t = (max(events["ts"]) + rng.choice([0, 1, 17, 400])) if events["ts"] else 0
        values, cpp_counts, cpp_snapshot = m._online(seed, keys, t)
        assert_same_bits(online.features(keys, t), values, f"seed {seed}: online at T={t}")
        assert counts == cpp_counts, f"seed {seed}: outcomes"
        assert online.snapshot() == cpp_snapshot, f"seed {seed}: snapshot bytes differ from C++'s"
        # A C++ snapshot restores in Python and reads the same.
        other = m.OnlineEvaluator()
        other.restore(cpp_snapshot)
        assert_same_bits(other.features(keys, t), values, f"seed {seed}: restored from C++")
        stats["rows_online"] += len(keys)
        stats["rejected"] += sum(v for k, v in counts.items() if k != "accepted")
        stats["cases"] += 1
    print(f"\n{stats['cases']} cases, {stats['values']} batch values, {stats['rows_online']} online rows, "
          f"{stats['rejected']} late events rejected, {stats['snapshots']} snapshot/restores: all bit for bit")
    assert stats["cases"] == CASES and stats["values"] > 10_000 and stats["rejected"] > 0


# ---- the API ------------------------------------------------------------------------


def small_case():
    case = m._case(9_100_042)
    return case["events"], case["spine"]


def test_every_producer_gives_the_same_training_set():
    events, spine = small_case()
    expect = m._batch(9_100_042, 1)
    for seed in range(7):
        assert_same_bits(matrix(m.training_set(forms(events, seed), forms(spine, seed))), expect, f"form {seed}")


def test_schema_metadata_names_and_batches():
    events, spine = small_case()
    table = m.training_set(as_arrow(events), as_arrow(spine), rows_per_batch=7)
    assert table.column_names == ["k", "ts"] + list(m.columns)
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert all(table.schema.field(c).type == pa.float64() for c in m.columns)
    assert all(b.num_rows <= 7 for b in table.to_batches()) and len(table.to_batches()) > 1
    meta = table.schema.metadata
    assert meta[b"skewless.fingerprint"] == f"{m.fingerprint:016x}".encode()
    assert meta[b"skewless.catalog"].decode() == m.catalog_json()
    assert "skewless_catalog" in m.catalog()
    assert m.key_column == "k" and m.time_column == "ts"
    assert "q[p50]" in m.columns and "last3[2]" in m.columns
    assert m.fingerprint != payments.fingerprint


def test_stream_out_is_read_once():
    events, spine = small_case()
    stream = m.training_set_stream(as_arrow(events), as_arrow(spine))
    table = pa.RecordBatchReader.from_stream(stream).read_all()
    assert_same_bits(matrix(table), m._batch(9_100_042, 1), "stream")
    with pytest.raises(ValueError, match="already consumed"):
        pa.RecordBatchReader.from_stream(stream)
    # Polars reads the same stream interface.
    frame = pl.from_arrow(pa.RecordBatchReader.from_stream(m.training_set_stream(as_arrow(events), as_arrow(spine))))
    assert frame.columns == table.column_names


def test_sorted_inputs_stream_rows_as_keys_complete():
    checked = 0
    for seed in range(9_100_100, 9_100_160):
        case = m._case(seed)
        if not case["events"]["k"]:
            continue
        events = as_arrow(case["events"]).sort_by([("k", "ascending")])
        spine = as_arrow(case["spine"]).sort_by([("k", "ascending")])
        expect = matrix(m.training_set(events, spine))
        reader = pa.RecordBatchReader.from_batches(events.schema, events.to_batches(max_chunksize=1 + seed % 9))
        polars_spine = pl.from_arrow(spine)  # string views, as Polars sends them
        stream = m.training_set_stream(reader, polars_spine, sorted_by_key=True, rows_per_batch=5)
        got = pa.RecordBatchReader.from_stream(stream).read_all()
        assert all(b.num_rows <= 5 for b in got.to_batches())
        assert got.column("k").to_pylist() == spine.column("k").to_pylist()
        assert_same_bits(matrix(got), expect, f"seed {seed}: streamed")
        checked += 1
    assert checked > 40
    # Out of order: the stream fails when it reaches the key that goes back.
    events = as_arrow(m._case(9_100_101)["events"])
    unsorted = events.sort_by([("k", "descending")])
    with pytest.raises(Exception, match="events: skewless: row .*less than the key before it"):
        pa.RecordBatchReader.from_stream(
            m.training_set_stream(unsorted, as_arrow({"k": ["z"], "ts": [1]}), sorted_by_key=True)).read_all()


def bad_event_tables():
    good = {"k": ["a", "b", "c"], "ts": [1, 2, 3], "x": [1.0, 2.0, 3.0], "y": [0.5, 0.5, 0.5]}
    yield "no column 'y'", pa.table({k: v for k, v in good.items() if k != "y"})
    # A wrong type is a property of the column: the type received, no row (issue 27, item 2).
    yield r"column 'x' has Arrow type 'u' \(utf8\); a floating-point field", pa.table({**good, "x": ["1", "2", "3"]})
    yield "column 'k' row 1: null", pa.table({**good, "k": pa.array(["a", None, "c"])})
    yield "column 'ts' row 2: null", pa.table({**good, "ts": pa.array([1, 2, None], pa.int64())})
    yield r"column 'ts' has Arrow type 'g' \(float64\); an integer field", pa.table({**good, "ts": [1.0, 2.0, 3.0]})
    yield r"column 'k' has Arrow type 'l' \(int64\); a string field", pa.table({**good, "k": [1, 2, 3]})


def test_bad_events_raise_with_column_and_row_and_change_nothing():
    events, _ = small_case()
    online = m.OnlineEvaluator()
    online.ingest(as_arrow(events))
    before, counters = online.snapshot(), online.counters()
    for message, table in bad_event_tables():
        with pytest.raises(ValueError, match=f"^events: .*{message}"):
            online.ingest(table)
        with pytest.raises(ValueError, match=f"^events: .*{message}"):
            m.training_set(table, pa.table({"k": ["a"], "ts": [5]}))
        assert online.snapshot() == before and online.counters() == counters, message
    with pytest.raises(ValueError, match="^spine: .*column 'ts' row 1: null"):
        m.training_set(as_arrow(events), pa.table({"k": ["a", "b"], "ts": pa.array([1, None], pa.int64())}))
    for not_arrow in ([1, 2], {"k": ["a"]}, np.zeros(3), None):
        with pytest.raises(TypeError, match="expected Arrow data"):
            online.ingest(not_arrow)
    # Rows count from the input's start in every form: a Table of several batches (read
    # batch by batch), one RecordBatch (read from its array capsules), a reader.
    table = as_arrow(events)
    keys = table.column("k").to_pylist()
    keys[1] = None
    bad = table.set_column(table.schema.get_field_index("k"), "k", pa.array(keys, pa.string()))
    two = pa.concat_tables([table.slice(0, 3), bad])
    assert two.column("k").num_chunks == 2
    for data, row in ((two, 4), (bad.combine_chunks().to_batches()[0], 1),
                      (pa.RecordBatchReader.from_batches(two.schema, two.to_batches()), 4)):
        with pytest.raises(ValueError, match=f"^events: .*column 'k' row {row}: null"):
            online.ingest(data)
    assert online.snapshot() == before


def test_integer_time_columns_count_their_declared_unit():
    # The conformance case moved to Nov 2023, its times as timestamp[ns], as int64
    # nanoseconds (datetime64[ns].astype("int64")) and as int64 microseconds.
    events, spine = small_case()
    base_us = 1_700_000_000_000_000

    def with_times(columns, ts):
        return pa.table({name: (ts if name == "ts" else v) for name, v in as_arrow(columns).to_pydict().items()})

    def shifted(columns):
        return np.asarray(columns["ts"], dtype=np.int64) + base_us

    def three_ways(columns):
        us = shifted(columns)
        return {"timestamp": with_times(columns, pa.array(us * 1000 + 7, pa.timestamp("ns"))),
                "ns": with_times(columns, pa.array(us * 1000 + 7, pa.int64())),
                "us": with_times(columns, pa.array(us, pa.int64()))}

    ev, sp = three_ways(events), three_ways(spine)
    expect = matrix(m.training_set(ev["timestamp"], sp["timestamp"]))
    assert_same_bits(matrix(m.training_set(ev["ns"], sp["ns"], time_unit="ns")), expect, "int64 ns, declared")
    assert_same_bits(matrix(m.training_set(ev["us"], sp["us"])), expect, "int64 us")
    assert_same_bits(matrix(m.training_set(ev["us"], sp["us"], time_unit="us")), expect, "int64 us, declared")
    streamed = pa.RecordBatchReader.from_stream(m.training_set_stream(ev["ns"], sp["ns"], time_unit="ns")).read_all()
    assert_same_bits(matrix(streamed), expect, "streamed, int64 ns, declared")
    # Undeclared nanoseconds were read as microseconds near the year 55,800: refused.
    with pytest.raises(ValueError, match=r"^events: .*column 'ts' row 0: .* looks like nanoseconds.*time_unit"):
        m.training_set(ev["ns"], sp["us"])
    with pytest.raises(ValueError, match=r"^spine: .*column 'ts' row 0: .* looks like nanoseconds"):
        m.training_set(ev["us"], sp["ns"])
    with pytest.raises(ValueError, match="time_unit must be"):
        m.training_set(ev["us"], sp["us"], time_unit="minutes")
    # Online: refused whole, then the same state as from timestamps.
    online, typed = m.OnlineEvaluator(), m.OnlineEvaluator()
    with pytest.raises(ValueError, match="looks like nanoseconds"):
        online.ingest(ev["ns"])
    assert len(online) == 0 and sum(online.counters().values()) == 0
    assert online.ingest(ev["ns"], time_unit="ns") == typed.ingest(ev["timestamp"])
    assert online.snapshot() == typed.snapshot()


def test_snapshots_are_refused_whole():
    events, _ = small_case()
    online = m.OnlineEvaluator()
    online.ingest(as_arrow(events))
    good = online.snapshot()
    fresh = m.OnlineEvaluator()
    fresh.ingest(pa.table({"k": ["z"], "ts": [1], "x": [1.0], "y": [2.0]}))
    kept = fresh.snapshot()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    foreign = payments.OnlineEvaluator().snapshot()
    for bad, message in [(bytes(flipped), "checksum"), (good[: len(good) - 3], "truncated|size|short"),
                         (foreign, "written by feature set"), (b"", "header|short|truncated"), (b"SKWLSNAP" + b"\0" * 100, "version|format")]:
        with pytest.raises(ValueError, match=message):
            fresh.restore(bad)
        assert fresh.snapshot() == kept
    fresh.restore(good)
    assert fresh.snapshot() == good


def test_snapshot_files(tmp_path):
    events, _ = small_case()
    online = m.OnlineEvaluator()
    online.ingest(as_arrow(events))
    path = tmp_path / "state.snap"  # any os.PathLike
    online.write_snapshot(path)
    other = m.OnlineEvaluator()
    other.read_snapshot(path)
    assert other.snapshot() == online.snapshot()
    with pytest.raises(OSError):
        other.read_snapshot(str(tmp_path / "missing.snap"))


def test_features_arguments():
    on = payments.OnlineEvaluator()
    ev = pa.table({"user_id": [1, 1, 2], "ts_us": [10, 20, 30], "amount": [5.0, None, 7.0],
                   "merchant_category": pa.array([1, 2, 3], pa.int32()), "card_present": [True, False, True]})
    assert on.ingest(ev)["accepted"] == 3
    assert len(on) == 2 and 1 in on and np.int64(2) in on and 3 not in on and "1" not in on
    base = on.features([1, 2, 3], 40)
    assert base.shape == (3, len(payments.columns)) and base.dtype == np.float64
    # Any integer dtype, numpy or list; one time or one per key; datetime64 in any unit.
    assert_same_bits(on.features(np.array([1, 2, 3], np.int32), np.int64(40)), base, "int32 keys")
    assert_same_bits(on.features(np.array([1, 2, 3], np.uint16), [40, 40, 40]), base, "per-row times")
    assert_same_bits(on.features([1, 2, 3], np.array([40_000] * 3, "datetime64[ns]")), base, "datetime64[ns]")
    assert on.features([], 40).shape == (0, len(payments.columns))
    with pytest.raises(ValueError, match="3 keys but 2 times"):
        on.features([1, 2, 3], [40, 41])
    with pytest.raises(TypeError, match="keys must be integers"):
        on.features([1.5], 40)
    with pytest.raises(ValueError, match="unsigned value beyond int64|outside"):
        on.features(np.array([2**64 - 1], np.uint64), 40)
    # A list of Python ints and an int time are read without numpy: the same answers and
    # checks as the numpy path.
    assert_same_bits(on.features((1, 2, 3), 40), base, "tuple of ints")
    assert_same_bits(on.features([1, 2, 3], np.int64(40)), base, "numpy time")
    with pytest.raises(ValueError, match="keys: row 1: .* is outside the key type's range"):
        on.features([1, 2**70], 40)
    with pytest.raises(ValueError, match="times must fit int64"):
        on.features([1], 2**70)
    # A read before the entity's newest event: NaN, or ValueError naming the row.
    with pytest.raises(ValueError, match="^row 1: .*before the entity's newest"):
        on.features([1, 2], 25)
    # ... whose advice names the Python API, not a C++ one (issue 27, item 5).
    with pytest.raises(ValueError) as past:
        on.features([1, 2], 25)
    assert "training_set(events, spine)" in str(past.value) and "skewless::" not in str(past.value), past.value
    partial = on.features([1, 2], 25, raise_on_error=False)
    assert np.isnan(partial[1]).all() and not np.isnan(partial[0]).all()
    on.advance_to(100)
    on.advance_to(200, key=1)
    with pytest.raises(ValueError):
        on.features([1], 150)
    assert on.erase(1) and not on.erase(1) and 1 not in on
    assert on.removals()["erased"] == 1
    assert on.memory()["entities"] == 1 and on.memory()["total_bytes"] > 0
    with pytest.raises(TypeError):
        on.erase("1")
    with pytest.raises(ValueError, match="outside the key type"):
        on.erase(2**70)


def test_threads_read_while_one_ingests():
    case = m._case(9_100_007)
    events = case["events"]
    arrived = take(events, case["arrival"])
    keys = sorted(set(events["k"]))
    t_end = max(events["ts"]) + 1
    online = m.OnlineEvaluator(shards=4)
    stop = threading.Event()
    errors = []

    def read():
        while not stop.is_set():
            try:
                online.features(keys, t_end, raise_on_error=False)
            except Exception as e:  # noqa: BLE001 - any failure fails the test
                errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for r in readers:
        r.start()
    for at in range(0, len(case["arrival"]), 3):
        online.ingest(as_arrow({k: v[at:at + 3] for k, v in arrived.items()}))
    stop.set()
    for r in readers:
        r.join()
    assert not errors
    values, _, snapshot = m._online(9_100_007, keys, t_end)
    assert online.snapshot() == snapshot
    assert_same_bits(online.features(keys, t_end), values, "after concurrent reads")


def test_typing_stub_names_the_api():
    path = os.environ.get("SKEWLESS_STUBS")
    if not path:
        pytest.skip("SKEWLESS_STUBS not set")
    tree = ast.parse(open(path).read())
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert {"training_set", "training_set_stream", "OnlineEvaluator", "catalog"} <= names
    online = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "OnlineEvaluator")
    methods = {n.name for n in online.body if isinstance(n, ast.FunctionDef)}
    assert {"ingest", "features", "advance_to", "snapshot", "restore"} <= methods
