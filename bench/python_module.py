"""The Python module beside the C++ it wraps, on the same data (bench/python_module.cpp).

    training_set: events and spine as pyarrow tables (zero-copy from numpy) through
                  module.training_set(..) to a pyarrow.Table, vs C++ batch::evaluate on
                  the same events already in structs (the binding's whole overhead:
                  reading the Arrow columns, the export, pyarrow's import);
    features:     OnlineEvaluator.features for 1,000 keys in one call, vs the C++
                  concurrent_evaluator's batched read of the same keys.

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


if __name__ == "__main__":
    main()
