"""What the Python benchmarks share (bench/python_module.py, bench/spark.py): the
workload's size arguments (shrunk by SKEWLESS_BENCH_SMOKE=1, as ctest's smoke runs do)
and a median-of-runs timer."""

import argparse
import os
import time


def median_seconds(f, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def arguments(description):
    """--events, --spine, --users, --reps: 10M / 1M / 1M / 3, or a moment in smoke mode."""
    smoke = os.environ.get("SKEWLESS_BENCH_SMOKE") == "1"
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--events", type=int, default=20_000 if smoke else 10_000_000)
    p.add_argument("--spine", type=int, default=2_000 if smoke else 1_000_000)
    p.add_argument("--users", type=int, default=2_000 if smoke else 1_000_000)
    p.add_argument("--reps", type=int, default=1 if smoke else 3)
    return p, smoke
