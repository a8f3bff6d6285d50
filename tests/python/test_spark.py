"""skewless.spark.training_set on Spark local[2] equals the single-process module.

Many keys, one of them with 30% of the events, values that stress exactness (NaN,
+-inf, -0.0, subnormals, 1e-300..1e300, equal timestamps), integer and string keys, long
and timestamp times, labels passed through: every row of the Spark result, matched to
its spine row by a row id, has the bits of module.training_set on the same tables.
"""

import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import payments_features as payments
import skewless_conformance as conformance
from skewless import spark as sks

pyspark = pytest.importorskip("pyspark")
from pyspark.sql import functions as F  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors' Python: this venv's
    session = (SparkSession.builder.master("local[2]").appName("skewless-test")
               .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "997")  # keys span batches
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def wild_values(rng, n):
    v = rng.normal(0, 1, n) * 10.0 ** rng.integers(-300, 300, n)
    pick = rng.random(n)
    v[pick < 0.05] = np.nan
    v[(pick >= 0.05) & (pick < 0.07)] = np.inf
    v[(pick >= 0.07) & (pick < 0.09)] = -np.inf
    v[(pick >= 0.09) & (pick < 0.14)] = -0.0
    v[(pick >= 0.14) & (pick < 0.18)] = 5e-324 * rng.integers(1, 1000, int(((pick >= 0.14) & (pick < 0.18)).sum()))
    money = pick >= 0.5
    v[money] = np.round(rng.normal(50, 80, int(money.sum())), 2)
    return v


def draw_keys(rng, n, n_keys):
    keys = rng.integers(1, n_keys, n)
    keys[rng.random(n) < 0.3] = 0  # one key has 30% of the events
    return keys


def spine_for(rng, keys, n_keys, rows, t_max):
    return {"key": np.concatenate([rng.integers(0, n_keys + 5, rows - 10), np.zeros(10, np.int64)]),
            "t": rng.integers(-5, t_max + 50, rows), "row_id": np.arange(rows), "label": rng.random(rows) < 0.1}


def rows_by_id(spark_df, module):
    table = spark_df.toArrow()
    table = table.take(pc.sort_indices(table, [("row_id", "ascending")]))
    return table, np.column_stack([table[c].to_numpy() for c in module.columns]).view(np.uint64)


def expected(module, events, spine):
    table = module.training_set(events, spine.select([module.key_column, module.time_column]))
    return table, np.column_stack([table[c].to_numpy() for c in module.columns]).view(np.uint64)


def test_integer_keys_many_partitions_and_a_hot_key(spark):
    rng = np.random.default_rng(11)
    n, n_keys, t_max = 60_000, 3_000, 40 * 3_600_000_000
    keys = draw_keys(rng, n, n_keys)
    ts = rng.integers(0, t_max, n) // 1_000_000 * 1_000_000  # equal timestamps are common
    events = pa.table({"user_id": keys, "ts_us": ts, "amount": wild_values(rng, n),
                       "merchant_category": pa.array(rng.integers(0, 9, n), pa.int32()),
                       "card_present": rng.random(n) < 0.5})
    s = spine_for(rng, keys, n_keys, 8_000, t_max)
    spine = pa.table({"user_id": s["key"], "ts_us": s["t"], "row_id": s["row_id"], "label": s["label"]})

    want_table, want = expected(payments, events, spine)
    for partitions, buckets in ((None, None), (7, 1), (3, 5_000)):
        got_table, got = rows_by_id(
            sks.training_set(spark.createDataFrame(events), spark.createDataFrame(spine), payments,
                             partitions=partitions, buckets=buckets), payments)
        assert got_table.num_rows == spine.num_rows
        assert got_table["user_id"].to_pylist() == want_table["user_id"].to_pylist()
        assert got_table["ts_us"].cast(pa.int64()).to_pylist() == want_table["ts_us"].cast(pa.int64()).to_pylist()
        assert got_table["label"].to_pylist() == spine["label"].to_pylist()
        bad = np.argwhere(got != want)
        assert len(bad) == 0, f"{len(bad)} values differ, first at {bad[0]}"
    hot = pc.sum(pc.equal(events["user_id"], 0)).as_py()
    assert hot > 0.25 * n


def test_string_keys_and_timestamp_times(spark):
    rng = np.random.default_rng(12)
    n, n_keys = 30_000, 1_500
    ids = draw_keys(rng, n, n_keys)
    names = np.array([f"user-{i}" if i % 3 else f"a-much-longer-user-name-{i}" for i in range(n_keys + 5)])
    ts = rng.integers(0, 4_000, n)
    events = pa.table({"k": names[ids], "ts": pa.array(ts, pa.timestamp("us")), "x": wild_values(rng, n),
                       "y": wild_values(rng, n)})
    s = spine_for(rng, ids, n_keys, 5_000, 4_000)
    spine = pa.table({"k": names[s["key"]], "ts": s["t"], "row_id": s["row_id"]})  # long microseconds

    want_table, want = expected(conformance, events, spine)
    got_table, got = rows_by_id(
        sks.training_set(spark.createDataFrame(events), spark.createDataFrame(spine), "skewless_conformance"),
        conformance)
    assert got_table["k"].to_pylist() == want_table["k"].to_pylist()
    bad = np.argwhere(got != want)
    assert len(bad) == 0, f"{len(bad)} values differ, first at {bad[0]}"


def test_bad_input_is_refused_with_the_column(spark):
    events = spark.createDataFrame(pa.table({"user_id": [1, None], "ts_us": [1, 2], "amount": [1.0, 2.0],
                                             "merchant_category": pa.array([1, 2], pa.int32()),
                                             "card_present": [True, False]}))
    spine = spark.createDataFrame(pa.table({"user_id": [1], "ts_us": [5]}))
    with pytest.raises(ValueError, match="spine has no column 'ts_us'"):
        sks.training_set(events, spine.drop("ts_us"), payments)
    with pytest.raises(ValueError, match="reserved"):
        sks.training_set(events.withColumn("__skewless_bucket", events["ts_us"]), spine, payments)
    with pytest.raises(ValueError, match="key column is bigint in events but string in the spine"):
        sks.training_set(events, spine.withColumn("user_id", spine["user_id"].cast("string")), payments)
    # A bad row found in a task is named by its key and time, not by its row in a chunk.
    with pytest.raises(Exception, match=r"column 'user_id' row .*null.*the events row with user_id=None, ts_us=2"):
        sks.training_set(events, spine, payments).toArrow()


def test_events_and_spine_travel_narrow_and_are_sorted_once(spark):
    # Issue 27 item 9: events and spine reach Python as separate tables (no union with
    # null fillers), shuffled once each, and Spark sorts them only by the bucket number.
    # A spine key of another integer type is cast to the events' (or it would hash to
    # another bucket and find no events).
    events = spark.createDataFrame(pa.table({"user_id": [1, 1, 2], "ts_us": [1, 2, 3], "amount": [1.0, 2.0, 4.0],
                                             "merchant_category": pa.array([1, 2, 3], pa.int32()),
                                             "card_present": [True, False, True]}))
    spine = spark.createDataFrame(pa.table({"user_id": pa.array([1, 2], pa.int32()), "ts_us": [5, 5]}))
    rows = sks.training_set(events, spine, payments)
    plan = rows._jdf.queryExecution().executedPlan().toString()
    assert "Union" not in plan and "CoGroup" in plan, plan
    assert plan.count("Exchange hashpartitioning") == 2, plan
    sorts = [line for line in plan.splitlines() if "Sort [" in line]
    assert sorts and all("__skewless_bucket" in line and "user_id" not in line for line in sorts), plan
    assert sorted(r["spend_1h"] for r in rows.collect()) == [3.0, 4.0]


def test_every_event_field_is_checked_before_any_job(spark):
    # training_set builds a plan and runs nothing: these raise at the call.
    events = spark.createDataFrame(pa.table({"user_id": [1, 2], "ts_us": [1, 2], "amount": [1.0, 2.0],
                                             "merchant_category": pa.array([1, 2], pa.int32()),
                                             "card_present": [True, False]}))
    spine = spark.createDataFrame(pa.table({"user_id": [1], "ts_us": [5]}))
    assert payments.event_fields == {"user_id": "int64", "ts_us": "int64", "amount": "float",
                                     "merchant_category": "integer", "card_present": "integer"}
    with pytest.raises(ValueError, match="events has no column 'amount'"):
        sks.training_set(events.drop("amount"), spine, payments)
    with pytest.raises(ValueError, match="events has no column 'merchant_category', 'card_present'"):
        sks.training_set(events.drop("merchant_category", "card_present"), spine, payments)
    with pytest.raises(ValueError, match="'amount' is string but its field takes float"):
        sks.training_set(events.withColumn("amount", events["amount"].cast("string")), spine, payments)
    with pytest.raises(ValueError, match="'card_present' is double but its field takes integer"):
        sks.training_set(events.withColumn("card_present", events["amount"]), spine, payments)
    # Timestamps for an int64 time, integers for a float: taken.
    rows = sks.training_set(events.withColumn("ts_us", F.timestamp_micros(events["ts_us"]))
                            .withColumn("amount", events["user_id"]), spine, payments)
    assert rows.count() == 1


def test_default_partitions_follow_the_cluster_not_shuffle_partitions(spark):
    # The fixture sets spark.sql.shuffle.partitions to 4; local[2] has 2 cores.
    events = spark.createDataFrame(pa.table({"user_id": [1, 2, 3], "ts_us": [1, 2, 3], "amount": [1.0, 2.0, 3.0],
                                             "merchant_category": pa.array([1, 2, 3], pa.int32()),
                                             "card_present": [True, False, True]})).repartition(3)
    spine = spark.createDataFrame(pa.table({"user_id": [1], "ts_us": [5]}))
    assert sks.default_partitions(events) == max(spark.sparkContext.defaultParallelism, 3) == 3
    assert sks.training_set(events, spine, payments).rdd.getNumPartitions() == 3
    assert sks.training_set(events.coalesce(1), spine, payments).rdd.getNumPartitions() == 2
    assert sks.training_set(events, spine, payments, partitions=5).rdd.getNumPartitions() == 5
