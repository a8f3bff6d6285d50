"""Spark local[2] vs the single-process module vs C++, on the same Parquet data, at three sizes.

    python bench/spark.py [--sizes 3000000,10000000,30000000] [--reps 3]

For each size, the payments data of the other benchmarks (bench/payments.hpp, drawn in
C++ by the skewless_bench module: events / 10 users and spine rows) is written as
Parquet once; then each contender reads the events and spine Parquet files and, but for
the floor, builds the training set and writes it as Parquet:

    module: pyarrow.parquet -> skewless_bench.training_set(threads=2) -> Parquet
    spark:  spark.read.parquet -> skewless.spark.training_set -> .write.parquet
            (local[2], default partitions; spark.sql.execution.arrow.maxRecordsPerBatch
            100000, as docs/spark.md advises)
    floor:  what any Spark backfill through Python pays before computing anything: read
            the events, shuffle them by key, hand every row to Python as Arrow (which
            returns nothing) — the hand-written baseline of the Spark path
    C++:    batch::evaluate alone on the same events in memory (no I/O), for scale

Prints wall times (median of --reps, after one untimed Spark run to warm the JVM), the
ratios, and the cost per event beyond the smallest size (the slope between the first
and the last size), which is what a cluster's user pays as data grows. Nothing is
asserted. SKEWLESS_BENCH_SMOKE=1 shrinks it to a moment.
"""

import os
import shutil
import sys
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import skewless_bench as m
from workload import arguments, median_seconds


def main():
    p, smoke = arguments(__doc__.splitlines()[0])
    p.add_argument("--sizes", default="20000,40000" if smoke else "3000000,10000000,30000000",
                   help="comma-separated event counts (users and spine rows are a tenth)")
    a = p.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    seed = 42

    from pyspark.sql import SparkSession

    from skewless import spark as sks

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (SparkSession.builder.master("local[2]").appName("skewless-bench")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
             .config("spark.driver.memory", "6g").config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print(f"{len(m.columns)} features, local[2] (2 cores); wall seconds, median of {a.reps}")
    print(f"{'events':>11} {'C++':>7} {'module':>7} {'Spark':>7} {'floor':>7}   Spark/module  floor/module")
    measured = []
    for i, events_n in enumerate(sizes):
        users, spine_n = max(events_n // 10, 1), max(events_n // 10, 1)
        work = tempfile.mkdtemp(prefix="skewless-spark-bench-")
        try:
            d = m._generate(users, events_n, spine_n, seed)
            pq.write_table(pa.table({"user": d["user"], "ts": d["ts"], "amount": d["amount"]}),
                           f"{work}/events.parquet")
            pq.write_table(pa.table({"user": d["spine_user"], "ts": d["spine_ts"]}), f"{work}/spine.parquet")
            del d

            def module():
                out = m.training_set(pq.read_table(f"{work}/events.parquet"),
                                     pq.read_table(f"{work}/spine.parquet"), threads=2)
                pq.write_table(out, f"{work}/module.parquet")

            def on_spark():
                events = spark.read.parquet(f"{work}/events.parquet")
                spine = spark.read.parquet(f"{work}/spine.parquet")
                sks.training_set(events, spine, m).write.mode("overwrite").parquet(f"{work}/spark.parquet")

            def floor():
                events = spark.read.parquet(f"{work}/events.parquet")

                def nothing(batches):
                    for b in batches:
                        yield b.slice(0, 0)

                (events.repartition(sks.default_partitions(events), "user").mapInArrow(nothing, events.schema)
                 .write.format("noop").mode("overwrite").save())

            if i == 0:
                on_spark()  # warm the JVM once
            t_module = median_seconds(module, a.reps)
            t_spark = median_seconds(on_spark, a.reps)
            t_floor = median_seconds(floor, a.reps)
            t_cpp = m._cpp_batch_seconds(users, events_n, spine_n, seed, 2, a.reps)
            rows = spark.read.parquet(f"{work}/spark.parquet").count()
            assert rows == spine_n, (rows, spine_n)
            got, want = (np.column_stack([t[c].to_numpy() for c in m.columns]).view(np.uint64) for t in
                         (pq.read_table(f"{work}/{f}.parquet").sort_by([("user", "ascending"), ("ts", "ascending")])
                          for f in ("spark", "module")))
            assert (got == want).all(), "Spark and the module differ"
        finally:
            shutil.rmtree(work, ignore_errors=True)
        measured.append((events_n, t_cpp, t_module, t_spark, t_floor))
        print(f"{events_n:>11,} {t_cpp:7.2f} {t_module:7.2f} {t_spark:7.2f} {t_floor:7.2f}   "
              f"{t_spark / t_module:11.2f}x {t_floor / t_module:12.2f}x", flush=True)
    spark.stop()
    if len(measured) > 1:
        (n0, *first), (n1, *last) = measured[0], measured[-1]
        slope = [(b - a_) / (n1 - n0) * 1e6 for a_, b in zip(first, last)]
        print(f"per event beyond {n0:,} (µs): C++ {slope[0]:.3f}, module {slope[1]:.3f}, Spark {slope[2]:.3f} "
              f"({slope[2] / slope[1]:.2f}x the module), floor {slope[3]:.3f} ({slope[3] / slope[1]:.2f}x)")


if __name__ == "__main__":
    main()
