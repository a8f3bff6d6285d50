"""Point-in-time training sets on Spark, with a module built from your definitions.

    import payments_features
    from skewless import spark as sks
    rows = sks.training_set(events_df, spine_df, payments_features)
    rows.write.parquet("s3://bucket/training_set/")

Rows depend only on their key, so the backfill is parallel by entity: events and spine
rows are co-partitioned by key (one DataFrame, tagged by side), sorted by key within
each partition (Spark's external sort, which spills), and each partition streams through
`mapInArrow`: rows are buffered only until their key is complete, and the complete keys
go to `module.training_set` in chunks. Memory per task is therefore bounded by the
largest key's rows plus one chunk, not by the partition or the data set — a key with
30% of the events needs that key's rows in memory (the batch evaluator needs a key's
whole history), nothing more. `groupBy(key).cogroup(..).applyInArrow` would bound memory
the same way but calls Python once per key, which costs more than the evaluation
for millions of small keys.

The result has the module's training-set schema — the key column (the events' key type),
the time column (timestamp, microseconds) and one double column per feature column —
followed by the spine's other columns (labels), passed through. Its values are the
single-process module's, bit for bit.

Only the module (the wheel built from your definitions) must be installed on the
executors: the function Spark ships is self-contained.

Before any job runs, the events are checked against the module's `event_fields`: every
field the definition's event struct has must be a column of a type its field takes. An
error found in a task names the row by its key and time, which the user can find
(the module counts rows within the chunk it was handed).
"""

from __future__ import annotations

import importlib

_SIDE = "__skewless_side"

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
                 partitions: int | None = None, rows_per_chunk: int = 262_144):
    """The training set of `spine` over `events`, as a Spark DataFrame.

    events:     a DataFrame with the event struct's columns (by name, as the module reads
                Arrow: integers, doubles, booleans, strings, timestamps).
    spine:      a DataFrame with the key and time columns, and any label columns, which
                are passed through.
    module:     the feature module (or its importable name).
    key, time:  column names; default to the module's key_column and time_column.
    partitions: how many partitions to co-partition into (default: default_partitions,
                the larger of the cluster's cores and the events' input partitions).
    rows_per_chunk: rows (events + spine) gathered before one call into the module.
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
    if rows_per_chunk < 1:
        raise ValueError("skewless.spark: rows_per_chunk must be positive")
    if partitions is not None and partitions < 1:
        raise ValueError("skewless.spark: partitions must be positive")
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

    event_columns = list(events.columns)
    labels = [f for f in spine.schema.fields if f.name not in (key, time)]
    clash = [f.name for f in labels if f.name in event_columns or f.name in mod.columns]
    if clash:
        raise ValueError(f"skewless.spark: spine columns {clash} clash with event or feature columns")
    if _SIDE in event_columns or _SIDE in spine.columns:
        raise ValueError(f"skewless.spark: the column name {_SIDE} is reserved")

    both = (events.withColumn(_SIDE, F.lit(0).cast("byte"))
            .unionByName(spine.withColumn(_SIDE, F.lit(1).cast("byte")), allowMissingColumns=True))
    n = partitions if partitions is not None else default_partitions(events)
    both = both.repartition(n, key).sortWithinPartitions(key)

    out_schema = T.StructType(
        [T.StructField(key, events.schema[key].dataType, False), T.StructField(time, T.TimestampType(), False)]
        + [T.StructField(c, T.DoubleType(), False) for c in mod.columns]
        + [T.StructField(f.name, f.dataType, True) for f in labels])
    label_names = [f.name for f in labels]
    chunk = rows_per_chunk

    def evaluate(batches):
        # Runs on the executors: needs pyarrow and the module, nothing from this package.
        import importlib as _importlib

        import re as _re

        import pyarrow as pa
        import pyarrow.compute as pc

        m = _importlib.import_module(name)
        target = None

        def run(tables):
            nonlocal target
            table = pa.concat_tables(tables)
            is_spine = pc.equal(table[_SIDE], 1)
            rows = table.filter(is_spine)
            events_in = table.filter(pc.invert(is_spine)).select(event_columns)
            # Called even without spine rows, so bad events fail here as they would in
            # one process (a null key, say), whichever partition they land in.
            try:
                out = m.training_set(events_in, rows.select([key, time]), threads=1)
            except ValueError as e:
                # The module counts rows within this chunk: name the row by its key and time.
                found = _re.match(r"(events|spine): .*? row (\d+)", str(e))
                if not found:
                    raise
                side = events_in if found.group(1) == "events" else rows
                at = int(found.group(2))
                if at >= side.num_rows:
                    raise
                row = side.slice(at, 1).select([key, time]).to_pylist()[0]
                raise ValueError(f"{e} [in Spark: the {found.group(1)} row with {key}={row[key]!r}, "
                                 f"{time}={row[time]!r}; the row number counts within one chunk of a task]") from e
            for label in label_names:
                out = out.append_column(label, rows[label])
            if target is None:  # Spark's Arrow types: its key type, its timestamp zone
                target = pa.schema([pa.field(f.name, t, f.nullable) for f, t in
                                    zip(out.schema, [table.schema.field(key).type, pa.timestamp("us", tz="UTC")]
                                        + [pa.float64()] * len(m.columns) + [rows.schema.field(c).type
                                                                            for c in label_names])])
            yield from out.cast(target).to_batches()

        ready, ready_rows = [], 0  # complete keys, not yet evaluated
        pending, pending_key = [], None  # rows of the last key seen, which may go on
        for batch in batches:
            if batch.num_rows == 0:
                continue
            keys = batch.column(key)
            last = keys[batch.num_rows - 1].as_py()
            # Rows of the batch's last key (a suffix: the partition is sorted by key,
            # nulls first); a null key is an error the module reports.
            same = pc.is_null(keys) if last is None else pc.fill_null(pc.equal(keys, keys[batch.num_rows - 1]), False)
            tail = pc.sum(same).as_py() or 0
            head = batch.num_rows - tail
            if head > 0 or last != pending_key:
                ready.extend(pa.Table.from_batches([b]) for b in pending)
                ready_rows += sum(b.num_rows for b in pending)
                pending = []
            if head > 0:
                ready.append(pa.Table.from_batches([batch.slice(0, head)]))
                ready_rows += head
            pending.append(batch.slice(head))
            pending_key = last
            if ready_rows >= chunk:
                yield from run(ready)
                ready, ready_rows = [], 0
        ready.extend(pa.Table.from_batches([b]) for b in pending)
        if ready:
            yield from run(ready)

    return both.mapInArrow(evaluate, out_schema)
