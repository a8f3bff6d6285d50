"""The Python module beside the C++ it wraps, on the same data (bench/python_module.cpp).

    training_set: events and spine as pyarrow tables (zero-copy from numpy) through
                  module.training_set(..) to a pyarrow.Table, vs C++ batch::evaluate on
                  the same events already in structs (the binding's whole overhead:
                  reading the Arrow columns, the export, pyarrow's import);
    features:     OnlineEvaluator.features for 1,000 keys in one call, vs the C++
                  concurrent_evaluator's batched read of the same keys;
    per call:     what a service pays per request: features([key], now) for one key
                  (a list of one int and an int time), and ingest of 10 events as a
                  pyarrow.RecordBatch and as a pyarrow.Table, vs the same C++ calls;
                  the difference is the binding's overhead per call.

    python bench/python_module.py [--events 10000000 --spine 1000000 --users 1000000]

Prints medians and ratios (no assertion on time). SKEWLESS_BENCH_SMOKE=1 shrinks it.
"""

import os

import numpy as np
import pyarrow as pa

import skewless_bench as m
from workload import arguments, median_seconds


def main():
    p, smoke = arguments(__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    seed = 42

    d = m._generate(a.users, a.events, a.spine, seed)
    events = pa.table({"user": d["user"], "ts": d["ts"], "amount": d["amount"]})
    spine = pa.table({"user": d["spine_user"], "ts": d["spine_ts"]})
    print(f"{a.events} events, {a.spine} spine rows, {a.users} users, {a.threads} threads, "
          f"{len(m.columns)} features")

    py = median_seconds(lambda: m.training_set(events, spine, threads=a.threads), a.reps)
    cpp = m._cpp_batch_seconds(a.users, a.events, a.spine, seed, a.threads, a.reps)
    print(f"training_set   python {py:8.3f} s   C++ batch::evaluate {cpp:8.3f} s   ratio {py / cpp:5.2f}x")

    online = m.OnlineEvaluator()
    for batch in events.to_batches(max_chunksize=1 << 20):
        online.ingest(batch)
    n_keys = 1000
    keys = (np.arange(n_keys, dtype=np.int64) * 7919) % a.users
    t = int(d["ts"][-1]) + 1
    online.features(keys, t)  # warm
    reps = 50 if smoke else 2000
    py = median_seconds(lambda: online.features(keys, t), reps)
    cpp = m._cpp_features_seconds(a.users, a.events, seed, n_keys, reps)
    print(f"features 1000  python {py / n_keys * 1e6:8.3f} us/key   C++ {cpp / n_keys * 1e6:8.3f} us/key   "
          f"ratio {py / cpp:5.2f}x")

    # Per call, as a service makes them: one key now; 10 new events.
    calls = 200 if smoke else 20000
    key = int(keys[0])
    py = median_seconds(lambda: online.features([key], t), calls)
    cpp = m._cpp_features_seconds(a.users, a.events, seed, 1, calls)
    print(f"features 1 key python {py * 1e6:8.3f} us       C++ {cpp * 1e6:8.3f} us       "
          f"overhead {(py - cpp) * 1e6:6.2f} us per call")
    batch = 10
    cpp = m._cpp_ingest_seconds(a.users, a.events, seed, batch, calls)
    t0 = t + 10
    for kind in ("RecordBatch", "Table"):
        # Each call a new user's events after every event so far, as the C++ run.
        made = []
        for c in range(calls):
            cols = {"user": np.full(batch, (c * 7919) % a.users, np.int64),
                    "ts": t0 + c * batch + np.arange(batch, dtype=np.int64), "amount": 1.0 + np.arange(batch)}
            made.append(pa.record_batch(cols) if kind == "RecordBatch" else pa.table(cols))
        fresh = m.OnlineEvaluator()
        for b in events.to_batches(max_chunksize=1 << 20):
            fresh.ingest(b)
        it = iter(made)
        py = median_seconds(lambda: fresh.ingest(next(it)), calls)
        print(f"ingest {batch} ({kind:11s}) python {py * 1e6:8.3f} us   C++ {cpp * 1e6:8.3f} us   "
              f"overhead {(py - cpp) * 1e6:6.2f} us per call")


if __name__ == "__main__":
    main()
