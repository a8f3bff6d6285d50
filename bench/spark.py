"""Spark local[2] vs the single-process module vs C++, on the same Parquet data.

    python bench/spark.py [--events 10000000 --spine 1000000 --users 1000000]

The payments data of the other benchmarks (bench/payments.hpp, drawn in C++ by the
skewless_bench module) is written as Parquet once; then each contender reads the
events and spine Parquet files, builds the training set and writes it as Parquet:

    module: pyarrow.parquet -> skewless_bench.training_set(threads=2) -> Parquet
    spark:  spark.read.parquet -> skewless.spark.training_set -> .write.parquet
            (local[2], spark.sql.shuffle.partitions=8; the session is started first)
    C++:    batch::evaluate alone on the same events in memory (no I/O), for scale

Prints wall times (median of --reps) and ratios; nothing is asserted.
SKEWLESS_BENCH_SMOKE=1 shrinks it to a moment.
"""

import os
import shutil
import sys
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq

import skewless_bench as m
from workload import arguments, median_seconds


def main():
    p, smoke = arguments(__doc__.splitlines()[0])
    p.add_argument("--partitions", type=int, default=8)
    a = p.parse_args()
    seed = 42

    from pyspark.sql import SparkSession

    from skewless import spark as sks

    work = tempfile.mkdtemp(prefix="skewless-spark-bench-")
    try:
        d = m._generate(a.users, a.events, a.spine, seed)
        pq.write_table(pa.table({"user": d["user"], "ts": d["ts"], "amount": d["amount"]}), f"{work}/events.parquet")
        pq.write_table(pa.table({"user": d["spine_user"], "ts": d["spine_ts"]}), f"{work}/spine.parquet")
        del d
        print(f"{a.events} events, {a.spine} spine rows, {a.users} users, {len(m.columns)} features, 2 cores")

        def module():
            out = m.training_set(pq.read_table(f"{work}/events.parquet"), pq.read_table(f"{work}/spine.parquet"),
                                 threads=2)
            pq.write_table(out, f"{work}/module.parquet")

        os.environ["PYSPARK_PYTHON"] = sys.executable
        spark = (SparkSession.builder.master("local[2]").appName("skewless-bench")
                 .config("spark.sql.shuffle.partitions", str(a.partitions)).config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.driver.memory", "6g").config("spark.sql.session.timeZone", "UTC").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")

        def on_spark():
            events = spark.read.parquet(f"{work}/events.parquet")
            spine = spark.read.parquet(f"{work}/spine.parquet")
            sks.training_set(events, spine, m).write.mode("overwrite").parquet(f"{work}/spark.parquet")

        t_module = median_seconds(module, a.reps)
        t_spark = median_seconds(on_spark, a.reps)
        t_cpp = m._cpp_batch_seconds(a.users, a.events, a.spine, seed, 2, a.reps)
        rows = spark.read.parquet(f"{work}/spark.parquet").count()
        spark.stop()
        assert rows == a.spine, (rows, a.spine)
        print(f"C++ batch::evaluate (in memory)   {t_cpp:8.2f} s   1.00x")
        print(f"module, Parquet to Parquet        {t_module:8.2f} s   {t_module / t_cpp:5.2f}x")
        print(f"Spark local[2], Parquet to Parquet {t_spark:7.2f} s   {t_spark / t_cpp:5.2f}x "
              f"({t_spark / t_module:.2f}x the module)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
