"""A backfill on Spark: Parquet events -> a Parquet training set, with labels.

    pip install ./examples/python ./python pyspark      # the module, skewless.spark, Spark
    python examples/spark/backfill.py --out /tmp/backfill

Writes a day of synthetic payments as Parquet (examples/python/train.py's generator),
then in Spark: reads the events, makes one label per user (an hour after its last
payment, with a made-up target), builds the point-in-time training set with the
payments module on every partition, and writes it as Parquet. Last, it checks the
Spark result against the single-process module on the same files, row for row and bit
for bit. On a cluster, replace local[2] with your master and ship the module's wheel
to the executors (docs/spark.md).
"""

import argparse
import os
import pathlib
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import payments_features as pf
from skewless import spark as sks

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))
from train import write_events  # noqa: E402  (the same synthetic payments as the Python example)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="backfill-out")
    parser.add_argument("--users", type=int, default=3_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    write_events(out / "events.parquet", args.users, args.events, seed=11)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local mode: the workers use this Python
    spark = (SparkSession.builder.master(args.master).appName("skewless-backfill")
             .config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")  # not INT96 (nanoseconds)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    events = spark.read.parquet(str(out / "events.parquet"))
    labels = (events.groupBy("user_id").agg(F.max("ts_us").alias("last"), F.count("*").alias("n"))
              .select("user_id", (F.col("last") + F.expr("INTERVAL 1 HOUR")).alias("ts_us"),
                      (F.col("n") % 7 == 0).alias("is_fraud")))
    rows = sks.training_set(events, labels, pf)
    rows.write.mode("overwrite").parquet(str(out / "training_set"))
    labels.write.mode("overwrite").parquet(str(out / "labels"))
    spark.stop()

    written = pq.read_table(out / "training_set")
    print(f"spark: {written.num_rows} rows x {len(pf.columns)} features + label -> {out / 'training_set'}")

    # The same files through the single-process module: the same rows, the same bits.
    label_table = pq.read_table(out / "labels")
    single = pf.training_set(pq.read_table(out / "events.parquet"), label_table.select(["user_id", "ts_us"]))
    order = pc.sort_indices(written, [("user_id", "ascending")])
    spark_rows = written.take(order)
    single = single.take(pc.sort_indices(single, [("user_id", "ascending")]))  # one label per user
    same = all(np.array_equal(spark_rows[c].to_numpy().view(np.uint64), single[c].to_numpy().view(np.uint64))
               for c in pf.columns)
    micros = lambda t: t["ts_us"].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())  # noqa: E731
    same = same and spark_rows["user_id"].equals(single["user_id"]) and micros(spark_rows).equals(micros(single))
    if not same:
        raise SystemExit("MISMATCH: Spark differs from the single-process module")
    print("OK: Spark and the single-process module agree on every row, bit for bit")


if __name__ == "__main__":
    main()
