"""Arrow interop with pyarrow: skewless reads pyarrow's streams and pyarrow reads skewless's.

Run by ctest (tests/CMakeLists.txt) with the venv that scripts/test.sh makes:

    python tests/arrow/interop.py build/tests/libskewless_arrow_interop.so

Events and a spine go from pyarrow tables to the library (tests/arrow/interop_lib.cpp)
as Arrow C streams, in several column encodings; the training set comes back as an
Arrow C stream that pyarrow imports. Every value is checked, bit for bit, against an
exact reference written here in Python (fractions.Fraction sums, correctly rounded),
so the test checks the ABI both ways and the point-in-time semantics across it.
"""

import csv
import ctypes
import json
import os
import tempfile
import math
import random
import struct
import sys
from fractions import Fraction

import numpy as np
import pyarrow as pa

HOUR = 3_600_000_000
DAY = 24 * HOUR


class Stream(ctypes.Structure):
    """struct ArrowArrayStream: four callbacks and private data, as pointers."""

    _fields_ = [
        ("get_schema", ctypes.c_void_p),
        ("get_next", ctypes.c_void_p),
        ("get_last_error", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    lib.skewless_interop_training_set.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t]
    lib.skewless_interop_training_set.restype = ctypes.c_int
    lib.skewless_interop_fingerprint.restype = ctypes.c_uint64
    lib.skewless_interop_files.argtypes = [
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.skewless_interop_files.restype = ctypes.c_int
    return lib


def export(table, chunk=257):
    s = Stream()
    pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=chunk))._export_to_c(
        ctypes.addressof(s))
    return s


def release(s):
    if s.release:
        ctypes.CFUNCTYPE(None, ctypes.c_void_p)(s.release)(ctypes.addressof(s))


def training_set(lib, events, spine, rows_per_batch=64, chunk=257):
    """Runs the library on two pyarrow tables; returns (table, None) or (None, error)."""
    events_c, spine_c, out_c = export(events, chunk), export(spine, chunk), Stream()
    error = ctypes.create_string_buffer(1024)
    rc = lib.skewless_interop_training_set(ctypes.addressof(events_c), ctypes.addressof(spine_c),
                                           ctypes.addressof(out_c), rows_per_batch, error, len(error))
    # The producer's streams are released through pyarrow's own release callbacks.
    release(events_c)
    release(spine_c)
    if rc != 0:
        return None, error.value.decode()
    reader = pa.RecordBatchReader._import_from_c(ctypes.addressof(out_c))
    return reader.read_all(), None


def present(v):
    return v is not None and not math.isnan(v)


def exact_sum(values):
    """The correctly rounded sum as skewless defines it: NaN if both infinities, else the
    infinity present, else the exact sum rounded (an exact zero is +0.0)."""
    pos = any(v == math.inf for v in values)
    neg = any(v == -math.inf for v in values)
    if pos and neg:
        return math.nan
    if pos:
        return math.inf
    if neg:
        return -math.inf
    return float(sum((Fraction(v) for v in values), Fraction(0)))


def exact_mean(values):
    if not values:
        return math.nan
    s = exact_sum(values)
    if math.isinf(s) or math.isnan(s):
        return s
    return float(sum((Fraction(v) for v in values), Fraction(0)) / len(values))


def total_order_max(values):
    if not values:
        return math.nan
    return max(values, key=lambda v: (v, math.copysign(1.0, v)))  # -0.0 below +0.0


def reference(events, user, t):
    """count_1h, sum_1h, mean_1d, max_all of `user` as of t (events with ts < t)."""
    mine = [(ts, a) for (u, ts, a) in events if u == user and ts < t]
    hour = [(ts, a) for (ts, a) in mine if ts >= t - HOUR]
    day = [a for (ts, a) in mine if ts >= t - DAY and present(a)]
    return [float(len(hour)),
            exact_sum([a for (_, a) in hour if present(a)]),
            exact_mean(day),
            total_order_max([a for (_, a) in mine if present(a)])]


def same(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return struct.pack("<d", a) == struct.pack("<d", b)


def main():
    lib = load(sys.argv[1])
    rng = random.Random(20261130)
    users = ["alice", "bob", "carol", "dave", "ünïcode"]
    specials = [None, -0.0, 0.0, 1e300, -1e300, 1e-300, math.inf, -math.inf, math.nan, 0.1, 1e16, 1.0]
    events = []
    t = 1_700_000_000_000_000
    for _ in range(3000):
        t += rng.choice([0, 0, 1, 1_000, 60_000_000, 600_000_000, 3 * HOUR])
        late = rng.randrange(0, 30 * 60_000_000) if rng.random() < 0.1 else 0
        a = rng.choice(specials) if rng.random() < 0.15 else round(rng.uniform(-500, 500), 2)
        events.append((rng.choice(users), t - late, a))
    spine = []
    for _ in range(600):
        u, ts, _ = rng.choice(events)
        spine.append((rng.choice(users + ["nobody"]) if rng.random() < 0.2 else u,
                      ts + rng.choice([0, 1, 1_000, HOUR, HOUR + 1, DAY, 2 * DAY])))
    spine.append(("alice", events[0][1]))  # before anything of alice's
    # Both infinities in one hour of one user: a NaN sum and mean.
    events += [("dave", t + HOUR, math.inf), ("dave", t + HOUR + 5, -math.inf), ("dave", t + HOUR + 5, 2.5)]
    spine += [("dave", t + HOUR + 1), ("dave", t + HOUR + 6), ("dave", t + 3 * HOUR)]

    user_col = [u for (u, _, _) in events]
    ts_us = [ts for (_, ts, _) in events]
    amounts = pa.array([a for (_, _, a) in events], type=pa.float64())  # None -> null
    spine_table = pa.table({"user": [u for (u, _) in spine],
                            "ts": pa.array([ts for (_, ts) in spine], type=pa.timestamp("us", tz="UTC"))})
    encodings = {
        "utf8 keys, timestamp[ns, UTC] times": pa.table({
            "user": pa.array(user_col, type=pa.string()),
            "ts": pa.array([ts * 1000 for ts in ts_us], type=pa.timestamp("ns", tz="UTC")),
            "amount": amounts}),
        "dictionary keys, int64 microseconds, an extra column": pa.table({
            "extra": pa.array(range(len(events)), type=pa.int32()),
            "amount": amounts,
            "user": pa.array(user_col).dictionary_encode(),
            "ts": pa.array(ts_us, type=pa.int64())}),
        "large_utf8 keys, timestamp[us] without a time zone": pa.table({
            "user": pa.array(user_col, type=pa.large_string()),
            "ts": pa.array(ts_us, type=pa.timestamp("us")),
            "amount": amounts}),
    }
    expected = [reference(events, u, t) for (u, t) in spine]
    # The data reach what the test is for: windows with events, sums that are not
    # representable in a double naively, infinities and NaNs, empty windows.
    assert sum(1 for r in expected if r[0] > 0) > 100
    assert any(math.isinf(r[1]) for r in expected) and any(math.isnan(r[1]) for r in expected)
    assert any(r[1] != 0 and not math.isinf(r[1]) and r[1] != math.fsum([]) for r in expected)
    assert any(math.isnan(r[2]) for r in expected) and any(r[0] == 0 for r in expected)
    fingerprint = lib.skewless_interop_fingerprint()
    failures = 0
    for name, table in encodings.items():
        out, error = training_set(lib, table, spine_table)
        assert error is None, f"{name}: {error}"
        assert out.num_rows == len(spine), (name, out.num_rows)
        assert out.column_names == ["user", "ts", "count_1h", "sum_1h", "mean_1d", "max_all"], out.column_names
        assert out.schema.field("user").type == pa.string()
        assert out.schema.field("ts").type == pa.timestamp("us", tz="UTC")
        for c in ["count_1h", "sum_1h", "mean_1d", "max_all"]:
            assert out.schema.field(c).type == pa.float64()
        meta = out.schema.metadata
        assert int(meta[b"skewless.fingerprint"], 16) == fingerprint
        catalog = json.loads(meta[b"skewless.catalog"])["skewless_catalog"]
        assert catalog["fingerprint"] == f"{fingerprint:016x}"
        assert [f["name"] for f in catalog["features"]] == ["count_1h", "sum_1h", "mean_1d", "max_all"], catalog
        assert out.column("user").to_pylist() == [u for (u, _) in spine]
        assert out.column("ts").cast(pa.int64()).to_pylist() == [t for (_, t) in spine]
        got = [out.column(c).to_pylist() for c in ["count_1h", "sum_1h", "mean_1d", "max_all"]]
        for i, row in enumerate(expected):
            for c in range(4):
                if not same(got[c][i], row[c]):
                    failures += 1
                    if failures < 10:
                        print(f"{name}: row {i} {spine[i]} column {c}: skewless {got[c][i]!r}, reference {row[c]!r}")
        print(f"{name}: {out.num_rows} rows in {len(out.to_batches())} batches checked")
    assert failures == 0, f"{failures} values differ from the exact reference"

    # The same training set through skewless/io: numpy.load and Python's csv module
    # read back the Arrow table's bits (NaN as an empty CSV field).
    table = encodings["utf8 keys, timestamp[ns, UTC] times"]
    out, _ = training_set(lib, table, spine_table)
    columns = ["count_1h", "sum_1h", "mean_1d", "max_all"]
    with tempfile.TemporaryDirectory() as d:
        csv_path, npy_path = os.path.join(d, "t.csv"), os.path.join(d, "t.npy")
        events_c, spine_c = export(table), export(spine_table)
        error = ctypes.create_string_buffer(1024)
        rc = lib.skewless_interop_files(ctypes.addressof(events_c), ctypes.addressof(spine_c), csv_path.encode(),
                                        npy_path.encode(), error, len(error))
        release(events_c)
        release(spine_c)
        assert rc == 0, error.value
        m = np.load(npy_path)
        assert m.dtype == np.float64 and m.shape == (len(spine), 4), (m.dtype, m.shape)
        with open(csv_path, newline="", encoding="utf-8") as f:
            lines = list(csv.reader(f))
    assert lines[0] == ["user", "ts"] + columns, lines[0]
    assert len(lines) == len(spine) + 1
    for c, name in enumerate(columns):
        arrow_values = out.column(name).to_pylist()
        for i, v in enumerate(arrow_values):
            assert same(float(m[i, c]), v), (name, i, m[i, c], v)
            text = lines[i + 1][2 + c]
            assert (text == "") == math.isnan(v), (name, i, text, v)
            assert same(math.nan if text == "" else float(text), v), (name, i, text, v)
    assert [row[0] for row in lines[1:]] == [u for (u, _) in spine]
    assert [int(row[1]) for row in lines[1:]] == [t for (_, t) in spine]
    print(f"csv and npy: {len(spine)} rows read back to the same bits by Python's csv and numpy")

    # Bad input: a clear message naming the column (and row), and no training set.
    no_amount = pa.table({"user": ["a"], "ts": pa.array([1], type=pa.int64())})
    _, error = training_set(lib, no_amount, spine_table)
    assert error is not None and "no column 'amount'" in error, error
    null_key = pa.table({"user": ["a", "b", None, "d"], "ts": pa.array([1, 2, 3, 4], type=pa.int64()),
                         "amount": [1.0, 2.0, 3.0, 4.0]})
    _, error = training_set(lib, null_key, spine_table, chunk=2)
    assert error is not None and "column 'user' row 2: null" in error, error  # row 0 of the second batch
    wrong_type = pa.table({"user": ["a"], "ts": pa.array(["yesterday"]), "amount": [1.0]})
    _, error = training_set(lib, wrong_type, spine_table)
    assert error is not None and "column 'ts' has Arrow type 'u' (utf8); an integer field" in error, error
    print("bad input refused with the column, and the row or the type received, named")


if __name__ == "__main__":
    main()
