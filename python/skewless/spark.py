"""Point-in-time training sets on Spark, with a module built from your definitions.

    import payments_features
    from skewless import spark as sks
    rows = sks.training_set(events_df, spine_df, payments_features)
    rows.write.parquet("s3://bucket/training_set/")

Rows depend only on their key, so the backfill is parallel by entity. Each key goes to
one of `buckets` hash buckets (xxhash64 of the key, the same on both sides); events
and spine rows are co-partitioned by bucket and cogrouped, and each bucket reaches
Python as two narrow Arrow tables — the events' columns and the spine's — in one call
to `module.training_set`. Spark sorts only by the bucket number, an integer (to group);
the rows are sorted by key and time once, by the module, in C++. Memory per call is one
bucket's rows: about events / buckets, and never less than the largest key's (a key is
never split: the batch evaluator needs its whole history).

The result has the module's training-set schema — the key column (the events' key type),
the time column (timestamp, microseconds) and one double column per feature column —
followed by the spine's other columns (labels), passed through. Its values are the
single-process module's, bit for bit.

Only the module (the wheel built from your definitions) must be installed on the
executors: the function Spark ships is self-contained.

Before any job runs, the events are checked against the module's `event_fields`: every
field the definition's event struct has must be a column of a type its field takes. An
error found in a task names the row by its key and time, which the user can find
(the module counts rows within the bucket it was handed).
"""

from __future__ import annotations

import importlib

_BUCKET = "__skewless_bucket"

# The Spark types (by class name) each kind of event field takes (module.event_fields);
# Spark hands them to the module as the Arrow types the module reads.
_INTEGERS = ("ByteType", "ShortType", "IntegerType", "LongType", "BooleanType")
_TIMESTAMPS = ("TimestampType", "TimestampNTZType")
_TAKES = {
    "int64": _INTEGERS + _TIMESTAMPS,
    "integer": _INTEGERS,
    "float": ("FloatType", "DoubleType") + _INTEGERS[:-1],
    "string": ("StringType",),
    "time": _TIMESTAMPS + _INTEGERS[:-1],
    "vector": ("ArrayType",),
}


def _check_event_columns(events, mod, name):
    """Every event field a column of a type it takes, before any job (ValueError)."""
    fields = getattr(mod, "event_fields", None)
    if fields is None:  # a module built before event_fields: the tasks will say
        return
    types = {f.name: f.dataType for f in events.schema.fields}
    missing = [f for f in fields if f not in types]
    if missing:
        raise ValueError(f"skewless.spark: events has no column {', '.join(repr(f) for f in missing)}; the module "
                         f"{name} reads the fields {list(fields)}")
    wrong = [f"'{f}' is {types[f].simpleString()} but its field takes {kind} "
             f"({', '.join(t[:-4].lower() for t in _TAKES.get(kind, ()))})"
             for f, kind in fields.items() if type(types[f]).__name__ not in _TAKES.get(kind, ())]
    if wrong:
        raise ValueError(f"skewless.spark: events columns of the wrong type: {'; '.join(wrong)}")


def default_partitions(events) -> int:
    """Partitions when none are given: the larger of the cluster's parallelism (its cores)
    and the events' input partitions (about one per 128 MB of files). Spark's
    spark.sql.shuffle.partitions (200 unless set) is not used: each partition costs a
    task, a Python worker's batches and module calls, so 200 small partitions on 2 cores
    took 42 s where 2 to 7 took 18 to 21 s (3M events)."""
    return max(events.sparkSession.sparkContext.defaultParallelism, events.rdd.getNumPartitions())


def training_set(events, spine, module, *, key: str | None = None, time: str | None = None,
                 partitions: int | None = None, buckets: int | None = None):
    """The training set of `spine` over `events`, as a Spark DataFrame.

    events:     a DataFrame with the event struct's columns (by name, as the module reads
                Arrow: integers, doubles, booleans, strings, timestamps).
    spine:      a DataFrame with the key and time columns, and any label columns, which
                are passed through.
    module:     the feature module (or its importable name).
    key, time:  column names; default to the module's key_column and time_column.
    partitions: how many partitions to co-partition into (default: default_partitions,
                the larger of the cluster's cores and the events' input partitions).
    buckets:    how many hash buckets of keys, each evaluated by one call into the module
                (default: 4 per partition). A call holds one bucket's rows.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    name = module if isinstance(module, str) else module.__name__
    mod = importlib.import_module(name)
    key = key or mod.key_column
    time = time or mod.time_column
    if key != mod.key_column or time != mod.time_column:
        raise ValueError(f"skewless.spark: the module {name} reads key '{mod.key_column}' and time "
                         f"'{mod.time_column}'; rename the columns rather than passing key='{key}', time='{time}'")
    for df, what in ((events, "events"), (spine, "spine")):
        for column in (key, time):
            if column not in df.columns:
                raise ValueError(f"skewless.spark: {what} has no column '{column}'")
    if partitions is not None and partitions < 1:
        raise ValueError("skewless.spark: partitions must be positive")
    if buckets is not None and buckets < 1:
        raise ValueError("skewless.spark: buckets must be positive")
    _check_event_columns(events, mod, name)

    # One time type on both sides: microseconds as long, or timestamps.
    event_time = events.schema[time].dataType
    spine_time = spine.schema[time].dataType
    if isinstance(event_time, T.TimestampType) and isinstance(spine_time, T.LongType):
        spine = spine.withColumn(time, F.timestamp_micros(spine[time]))
    elif isinstance(event_time, T.LongType) and isinstance(spine_time, T.TimestampType):
        spine = spine.withColumn(time, F.unix_micros(spine[time]))
    elif type(event_time) is not type(spine_time):
        raise ValueError(f"skewless.spark: the time column is {event_time.simpleString()} in events but "
                         f"{spine_time.simpleString()} in the spine")
    # One key type on both sides, or a key would hash to different buckets.
    event_key = events.schema[key].dataType
    spine_key = spine.schema[key].dataType
    if type(event_key) is not type(spine_key):
        if type(event_key).__name__ in _INTEGERS and type(spine_key).__name__ in _INTEGERS:
            spine = spine.withColumn(key, spine[key].cast(event_key))
        else:
            raise ValueError(f"skewless.spark: the key column is {event_key.simpleString()} in events but "
                             f"{spine_key.simpleString()} in the spine")

    event_columns = list(events.columns)
    labels = [f for f in spine.schema.fields if f.name not in (key, time)]
    clash = [f.name for f in labels if f.name in event_columns or f.name in mod.columns]
    if clash:
        raise ValueError(f"skewless.spark: spine columns {clash} clash with event or feature columns")
    if _BUCKET in event_columns or _BUCKET in spine.columns:
        raise ValueError(f"skewless.spark: the column name {_BUCKET} is reserved")

    n = partitions if partitions is not None else default_partitions(events)
    bucket = F.pmod(F.xxhash64(F.col(key)), F.lit(buckets if buckets is not None else 4 * n))
    # Grouped by the expression, not a column, so the bucket number travels to Python
    # once per bucket rather than with every row.
    left = events.repartition(n, bucket).groupBy(bucket.alias(_BUCKET))
    right = spine.repartition(n, bucket).groupBy(bucket.alias(_BUCKET))

    out_schema = T.StructType(
        [T.StructField(key, event_key, False), T.StructField(time, T.TimestampType(), False)]
        + [T.StructField(c, T.DoubleType(), False) for c in mod.columns]
        + [T.StructField(f.name, f.dataType, True) for f in labels])
    label_names = [f.name for f in labels]

    def evaluate(events_in, rows):
        # Runs on the executors: needs pyarrow and the module, nothing from this package.
        # Called for every bucket with events, even without spine rows, so bad events fail
        # here as they would in one process (a null key, say), wherever they land.
        import importlib as _importlib

        import re as _re

        import pyarrow as pa

        m = _importlib.import_module(name)
        events_in = events_in.select(event_columns)
        try:
            out = m.training_set(events_in, rows.select([key, time]), threads=1)
        except ValueError as e:
            # The module counts rows within this bucket: name the row by its key and time.
            found = _re.match(r"(events|spine): .*? row (\d+)", str(e))
            if not found:
                raise
            side = events_in if found.group(1) == "events" else rows
            at = int(found.group(2))
            if at >= side.num_rows:
                raise
            row = side.slice(at, 1).select([key, time]).to_pylist()[0]
            raise ValueError(f"{e} [in Spark: the {found.group(1)} row with {key}={row[key]!r}, "
                             f"{time}={row[time]!r}; the row number counts within one bucket of keys]") from e
        for label in label_names:
            out = out.append_column(label, rows[label])
        # Spark's Arrow types: its key type, its timestamp zone, the labels' types.
        return out.cast(pa.schema([pa.field(f.name, t, f.nullable) for f, t in
                                   zip(out.schema, [events_in.schema.field(key).type, pa.timestamp("us", tz="UTC")]
                                       + [pa.float64()] * len(m.columns)
                                       + [rows.schema.field(c).type for c in label_names])]))

    return left.cogroup(right).applyInArrow(evaluate, out_schema)
