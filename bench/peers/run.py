#!/usr/bin/env python3
"""skewless versus DuckDB, pandas and Polars on the same data and the same 10 features.

The C++ tool bench_export_for_peers generates the workload (power-law payments and a
spine of (user, T) rows), times skewless's batch evaluator on it (3 runs on 1 and on 2
threads) and writes both the data and skewless's answer as raw columns (exact, no
decimal round trip). Each peer then computes the same features with the same
point-in-time semantics — events with T - W <= ts < T, strictly before T — in the best
formulation found for it, and in the one used before (labelled "previous"):

  Polars  rolling(index_column=ts, period=W, closed=left, group_by=user) over the union
          of events and spine rows, one pass per window size (best); join_asof at T and
          T - W on per-user prefix sums; rolling_*_by(...).over(user) (previous)
  DuckDB  ASOF LEFT JOIN at T and T - W on per-user prefix sums, a window for the
          maxima (best); the spine at T - 1 with RANGE BETWEEN W-1 PRECEDING AND
          CURRENT ROW; RANGE BETWEEN W PRECEDING AND 1 PRECEDING (previous)
  pandas  searchsorted on a packed (user, ts) key + prefix sums, one rolling pass over
          the packed key for the maxima (best); groupby(user).rolling (previous)

Every engine gets the same threads (PEER_THREADS, default 2; pandas has one). For every
engine: load seconds (raw columns into the engine's table) and compute seconds (min and
median of the runs), the ratio of the min to skewless's 2-thread min, how many rows
agree with skewless within a relative 1e-6, and how many rows differ from the correctly
rounded exact value. The exact values are computed here, independently, for a random
sample of rows with math.fsum and fractions.Fraction; skewless must match them on every
sampled row, and its full matrix then stands for the exact answer on all rows.

  python3 bench/peers/run.py --tool build/bench/bench_export_for_peers \
      --events 10000000 --rows 1000000 --users 1000000 [--engines polars,duckdb,...] [--runs N]
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time
from fractions import Fraction
import subprocess

# Every engine gets the same threads: the machine's two cores.
THREADS = int(os.environ.get("PEER_THREADS", "2"))
os.environ["POLARS_MAX_THREADS"] = str(THREADS)  # read when polars is imported

import numpy as np

FEATURES = ["count_1h", "sum_1h", "mean_1h", "count_1d", "sum_1d", "mean_1d", "max_1d",
            "sum_7d", "mean_7d", "max_7d"]
HOUR = 3_600_000_000
DAY = 24 * HOUR
WEEK = 7 * DAY
# (feature, aggregate, window) in column order
SPEC = [("count", HOUR), ("sum", HOUR), ("mean", HOUR), ("count", DAY), ("sum", DAY),
        ("mean", DAY), ("max", DAY), ("sum", WEEK), ("mean", WEEK), ("max", WEEK)]


def load(d):
    f = lambda name, t: np.fromfile(os.path.join(d, name), dtype=t)
    ev = dict(user=f("events_user.i64", "<i8"), ts=f("events_ts.i64", "<i8"),
              amount=f("events_amount.f64", "<f8"))
    sp = dict(user=f("spine_user.i64", "<i8"), ts=f("spine_ts.i64", "<i8"))
    sk = f("skewless.f64", "<f8").reshape(len(sp["user"]), len(FEATURES))
    timing = {}
    with open(os.path.join(d, "skewless_timing.txt")) as fh:
        for line in fh:
            threads, secs = line.split()
            timing.setdefault(int(threads), []).append(float(secs))
    return ev, sp, sk, timing


# ---- the independent exact reference, for a sample of rows ------------------------------

def exact_rows(ev, sp, rows):
    order = np.lexsort((ev["ts"], ev["user"]))
    users, ts, amt = ev["user"][order], ev["ts"][order], ev["amount"][order]
    out = np.empty((len(rows), len(FEATURES)))
    for i, r in enumerate(rows):
        u, t = sp["user"][r], sp["ts"][r]
        lo_u, hi_u = np.searchsorted(users, u, "left"), np.searchsorted(users, u, "right")
        uts, uam = ts[lo_u:hi_u], amt[lo_u:hi_u]
        end = np.searchsorted(uts, t, "left")  # ts < t
        for c, (agg, w) in enumerate(SPEC):
            start = np.searchsorted(uts, t - w, "left")  # ts >= t - w
            vals = [float(x) for x in uam[start:end] if not math.isnan(x)]
            if agg == "count":
                out[i, c] = float(end - start)
            elif agg == "sum":
                out[i, c] = math.fsum(vals) + 0.0  # correctly rounded; exact zero is +0.0
            elif agg == "mean":
                out[i, c] = float(sum(Fraction(v) for v in vals) / len(vals)) if vals else math.nan
            else:
                out[i, c] = max(vals) if vals else math.nan
    return out


def same_bits(a, b):
    return (np.isnan(a) & np.isnan(b)) | (a.view("<u8") == b.view("<u8"))


# ---- peers ------------------------------------------------------------------------------------
# Each engine in its best formulation found so far, and the formulation used before
# (labelled "previous"), on the same data and threads. A runner returns
# (load_seconds, compute_seconds, values); load is the raw numpy columns into the
# engine's own table, compute is the query to a numpy matrix of the spine's rows.

def union(ev, sp, spine_shift=0):
    """Events and spine rows in one set of columns; spine rows have no amount and no
    event flag, and their time is shifted by spine_shift."""
    n_e, n_s = len(ev["user"]), len(sp["user"])
    return {
        "user": np.concatenate([ev["user"], sp["user"]]),
        "ts": np.concatenate([ev["ts"], sp["ts"] + spine_shift]),
        "amount": np.concatenate([ev["amount"], np.full(n_s, np.nan)]),
        "is_event": np.concatenate([np.ones(n_e), np.full(n_s, np.nan)]),
        "row_id": np.concatenate([np.full(n_e, -1, dtype=np.int64), np.arange(n_s, dtype=np.int64)]),
    }


def arrow_union(ev, sp, shift):
    """union() as an Arrow table whose missing amounts and flags are nulls, not NaN
    (SQL aggregates skip nulls; a NaN would poison them)."""
    import pyarrow as pa
    cols = union(ev, sp, shift)
    return pa.table({k: pa.array(v, from_pandas=True) for k, v in cols.items()})


def duckdb_con():
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={THREADS}")
    return con


def duckdb_matrix(res, n):
    cols = list(res.keys())
    row_id = np.asarray(res[cols[0]])
    out = np.empty((n, len(cols) - 1))
    for c, name in enumerate(cols[1:]):
        v = res[name]
        v = np.ma.filled(v.astype(np.float64), np.nan) if hasattr(v, "mask") else np.asarray(v, dtype=np.float64)
        out[row_id, c] = v
    return out


def duckdb_windows(ev, sp, frame_end, shift):
    """Window functions over the union; frame RANGE BETWEEN (W - shift_w) PRECEDING AND frame_end."""
    import pyarrow as pa
    con = duckdb_con()
    t0 = time.perf_counter()
    con.register("src", arrow_union(ev, sp, shift))
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    load = time.perf_counter() - t0
    lo = {"h": HOUR, "d": DAY, "w": WEEK}
    if frame_end == "CURRENT ROW":  # spine rows at T - 1: ts in [T - W, T - 1]
        frames = {k: f"RANGE BETWEEN {v - 1} PRECEDING AND CURRENT ROW" for k, v in lo.items()}
    else:
        frames = {k: f"RANGE BETWEEN {v} PRECEDING AND 1 PRECEDING" for k, v in lo.items()}
    sql = f"""
      SELECT row_id,
        count(is_event) OVER h, coalesce(sum(amount) OVER h, 0), avg(amount) OVER h,
        count(is_event) OVER d, coalesce(sum(amount) OVER d, 0), avg(amount) OVER d, max(amount) OVER d,
        coalesce(sum(amount) OVER w, 0), avg(amount) OVER w, max(amount) OVER w
      FROM t
      WINDOW {", ".join(f"{k} AS (PARTITION BY user ORDER BY ts {f})" for k, f in frames.items())}
      QUALIFY row_id >= 0"""
    t0 = time.perf_counter()
    out = duckdb_matrix(con.execute(sql).fetchnumpy(), len(sp["user"]))
    return load, time.perf_counter() - t0, out


def run_duckdb_current_row(ev, sp):
    return duckdb_windows(ev, sp, "CURRENT ROW", -1)


def run_duckdb_preceding(ev, sp):
    return duckdb_windows(ev, sp, "1 PRECEDING", 0)


def run_duckdb_asof(ev, sp):
    """Counts and sums from per-user prefix sums over distinct timestamps, found by ASOF
    joins at T and T - W (exact only as far as the prefix sums cancel); the two maxima by
    the CURRENT ROW window over the union."""
    import pyarrow as pa
    con = duckdb_con()
    t0 = time.perf_counter()
    con.register("ev_src", pa.table(ev))
    con.register("sp_src", pa.table({"row_id": np.arange(len(sp["user"])), **sp}))
    con.register("u_src", arrow_union(ev, sp, -1))
    con.execute("CREATE TABLE e AS SELECT * FROM ev_src")
    con.execute("CREATE TABLE s AS SELECT * FROM sp_src")
    con.execute("CREATE TABLE u AS SELECT * FROM u_src")
    load = time.perf_counter() - t0
    joins, cols = [], []
    for k, w in (("h", HOUR), ("d", DAY), ("w", WEEK)):
        joins.append(f"ASOF LEFT JOIN p AS p{k} ON s.user = p{k}.user AND s.ts - {w} > p{k}.ts")
        n = f"(coalesce(pe.cn, 0) - coalesce(p{k}.cn, 0))"
        sm = f"(coalesce(pe.cs, 0) - coalesce(p{k}.cs, 0))"
        cols.append((k, n, sm))
    select = []
    for k, n, sm in cols:
        select += [f"{n}::DOUBLE AS n_{k}", f"{sm} AS s_{k}", f"CASE WHEN {n} > 0 THEN {sm} / {n} END AS m_{k}"]
    sql = f"""
      WITH p AS (
        SELECT user, ts, sum(a) OVER w AS cs, sum(n) OVER w AS cn
        FROM (SELECT user, ts, sum(amount) AS a, count(*) AS n FROM e GROUP BY user, ts)
        WINDOW w AS (PARTITION BY user ORDER BY ts ROWS UNBOUNDED PRECEDING))
      SELECT s.row_id, {", ".join(select)}
      FROM s ASOF LEFT JOIN p AS pe ON s.user = pe.user AND s.ts > pe.ts
      {" ".join(joins)}"""
    maxima = f"""
      SELECT row_id, max(amount) OVER d, max(amount) OVER w FROM u
      WINDOW d AS (PARTITION BY user ORDER BY ts RANGE BETWEEN {DAY - 1} PRECEDING AND CURRENT ROW),
             w AS (PARTITION BY user ORDER BY ts RANGE BETWEEN {WEEK - 1} PRECEDING AND CURRENT ROW)
      QUALIFY row_id >= 0"""
    t0 = time.perf_counter()
    n = len(sp["user"])
    sums = duckdb_matrix(con.execute(sql).fetchnumpy(), n)   # n, s, m per window
    mx = duckdb_matrix(con.execute(maxima).fetchnumpy(), n)
    secs = time.perf_counter() - t0
    h, d, w = sums[:, 0:3], sums[:, 3:6], sums[:, 6:9]
    out = np.column_stack([h[:, 0], h[:, 1], h[:, 2], d[:, 0], d[:, 1], d[:, 2], mx[:, 0], w[:, 1], w[:, 2], mx[:, 1]])
    return load, secs, out


def polars_frame(ev, sp, pl):
    cols = union(ev, sp)
    return pl.DataFrame({"user": cols["user"], "ts": cols["ts"], "amount": cols["amount"],
                         "is_event": cols["is_event"], "row_id": cols["row_id"]},
                        nan_to_null=True)


def run_polars_rolling(ev, sp):
    """DataFrame.rolling per user over the union, left-closed: one pass per window size,
    every aggregate of that size in it."""
    import polars as pl
    t0 = time.perf_counter()
    df = polars_frame(ev, sp, pl)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = df.sort(["user", "ts"])
    parts = []
    for w, aggs in ((HOUR, ["count", "sum", "mean"]), (DAY, ["count", "sum", "mean", "max"]), (WEEK, ["sum", "mean", "max"])):
        exprs = {"count": pl.col("is_event").count(), "sum": pl.col("amount").sum(),
                 "mean": pl.col("amount").mean(), "max": pl.col("amount").max()}
        r = df.rolling(index_column="ts", period=f"{w}i", closed="left", group_by="user").agg(
            [exprs[a].alias(f"{a}_{w}") for a in aggs])
        parts.append(r.drop(["user", "ts"]))
    res = pl.concat([df.select("row_id")] + parts, how="horizontal").filter(pl.col("row_id") >= 0)
    secs = time.perf_counter() - t0
    order = [f"count_{HOUR}", f"sum_{HOUR}", f"mean_{HOUR}", f"count_{DAY}", f"sum_{DAY}", f"mean_{DAY}",
             f"max_{DAY}", f"sum_{WEEK}", f"mean_{WEEK}", f"max_{WEEK}"]
    out = np.empty((len(sp["user"]), len(FEATURES)))
    row_id = res["row_id"].to_numpy()
    for c, name in enumerate(order):
        out[row_id, c] = res[name].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return load, secs, out


def run_polars_asof(ev, sp):
    """Counts and sums from per-user prefix sums over distinct timestamps, found by
    join_asof at T and T - W (strictly before; exact only as far as the prefix sums
    cancel); the two maxima by rolling(group_by) over the union."""
    import polars as pl
    t0 = time.perf_counter()
    events = pl.DataFrame(ev)
    spine = pl.DataFrame({"row_id": np.arange(len(sp["user"])), **sp})
    both = polars_frame(ev, sp, pl)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    prefix = (events.group_by(["user", "ts"]).agg(pl.col("amount").sum().alias("a"), pl.len().alias("n"))
              .sort(["user", "ts"])
              .with_columns(pl.col("a").cum_sum().over("user").alias("cs"),
                            pl.col("n").cum_sum().over("user").alias("cn"))
              .select(["user", "ts", "cs", "cn"]))
    # Strictly before: the prefix at the last distinct time < T is the one at <= T - 1.
    q = spine.with_columns((pl.col("ts") - 1).alias("end")).sort("end")
    p_end = prefix.rename({"ts": "end", "cs": "cs_end", "cn": "cn_end"})
    q = q.join_asof(p_end, on="end", by="user", strategy="backward")
    cols = {}
    for w in (HOUR, DAY, WEEK):
        q = q.with_columns((pl.col("ts") - w - 1).alias("start")).sort("start")
        p_start = prefix.rename({"ts": "start", "cs": f"cs_{w}", "cn": f"cn_{w}"})
        q = q.join_asof(p_start, on="start", by="user", strategy="backward")
    exprs = []
    for w in (HOUR, DAY, WEEK):
        n = (pl.col("cn_end").fill_null(0) - pl.col(f"cn_{w}").fill_null(0)).cast(pl.Float64)
        total = pl.col("cs_end").fill_null(0.0) - pl.col(f"cs_{w}").fill_null(0.0)
        exprs += [n.alias(f"count_{w}"), total.alias(f"sum_{w}"),
                  pl.when(n > 0).then(total / n).otherwise(None).alias(f"mean_{w}")]
    q = q.select([pl.col("row_id")] + exprs)
    both = both.sort(["user", "ts"])
    mx = [both.rolling(index_column="ts", period=f"{w}i", closed="left", group_by="user")
          .agg(pl.col("amount").max().alias(f"max_{w}")).drop(["user", "ts"]) for w in (DAY, WEEK)]
    mx = pl.concat([both.select("row_id")] + mx, how="horizontal").filter(pl.col("row_id") >= 0)
    secs = time.perf_counter() - t0
    out = np.empty((len(sp["user"]), len(FEATURES)))
    order = [f"count_{HOUR}", f"sum_{HOUR}", f"mean_{HOUR}", f"count_{DAY}", f"sum_{DAY}", f"mean_{DAY}",
             f"max_{DAY}", f"sum_{WEEK}", f"mean_{WEEK}", f"max_{WEEK}"]
    for c, name in enumerate(order):
        frame_ = mx if name.startswith("max") else q
        out[frame_["row_id"].to_numpy(), c] = frame_[name].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return load, secs, out


def run_polars_over(ev, sp):
    """rolling_*_by(...).over(user), one expression per feature."""
    import polars as pl
    t0 = time.perf_counter()
    df = polars_frame(ev, sp, pl)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    df = df.with_columns(pl.from_epoch("ts", time_unit="us").alias("t")).sort(["user", "t"])
    exprs = []
    for i, (agg, w) in enumerate(SPEC):
        ws = f"{w // 1_000_000}s"
        if agg == "count":
            e = pl.col("is_event").fill_null(0).rolling_sum_by("t", ws, closed="left")
        elif agg == "sum":
            e = pl.col("amount").rolling_sum_by("t", ws, closed="left")
        elif agg == "mean":
            e = pl.col("amount").rolling_mean_by("t", ws, closed="left")
        else:
            e = pl.col("amount").rolling_max_by("t", ws, closed="left")
        exprs.append(e.over("user").alias(f"f{i}"))
    res = df.select([pl.col("row_id")] + exprs).filter(pl.col("row_id") >= 0)
    secs = time.perf_counter() - t0
    out = np.empty((len(sp["user"]), len(FEATURES)))
    row_id = res["row_id"].to_numpy()
    for c, (agg, _) in enumerate(SPEC):
        v = res[f"f{c}"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
        if agg in ("count", "sum"):
            v = np.nan_to_num(v, nan=0.0)
        out[row_id, c] = v
    return load, secs, out


def run_pandas_vectorised(ev, sp):
    """numpy under pandas: events sorted by (user, ts) once, each window's ends found by
    searchsorted on a packed (user, ts) key, counts and sums from prefix sums (exact only
    as far as they cancel); the maxima, which prefix sums cannot give, by one rolling
    pass over the union keyed by the packed key."""
    import pandas as pd
    t0 = time.perf_counter()
    events = pd.DataFrame(ev)
    spine = pd.DataFrame(sp)
    both = pd.DataFrame(union(ev, sp))
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    events = events.sort_values(["user", "ts"], kind="stable")
    shift = 42  # ts < 2^42 us (50 days): (user, ts) packs into one int64
    key = (events["user"].to_numpy() << shift) | events["ts"].to_numpy()
    cs = np.concatenate([[0.0], np.cumsum(events["amount"].to_numpy())])
    su, st = spine["user"].to_numpy(), spine["ts"].to_numpy()
    end = np.searchsorted(key, (su << shift) | np.maximum(st, 0), "left")
    cols = {}
    for w in (HOUR, DAY, WEEK):
        start = np.searchsorted(key, (su << shift) | np.maximum(st - w, 0), "left")
        n = (end - start).astype(np.float64)
        total = cs[end] - cs[start]
        cols[("count", w)], cols[("sum", w)] = n, total
        with np.errstate(invalid="ignore", divide="ignore"):
            cols[("mean", w)] = np.where(n > 0, total / n, np.nan)
    # The maxima: one rolling pass over the whole union, its time the packed (user, ts)
    # key as datetime64[ns] — a window of W never reaches the previous user (2^42 apart),
    # so no groupby and no per-user overhead.
    both["packed"] = ((both["user"].to_numpy() << shift) | both["ts"].to_numpy()).view("datetime64[ns]")
    both = both.sort_values("packed", kind="stable").reset_index(drop=True)
    row_id = both["row_id"].to_numpy()
    keep = row_id >= 0
    for w in (DAY, WEEK):
        m = both.rolling(pd.Timedelta(w, unit="ns"), on="packed", closed="left")["amount"].max()  # packed units are us
        v = np.full(len(sp["user"]), np.nan)
        v[row_id[keep]] = m.to_numpy()[keep]
        cols[("max", w)] = v
    secs = time.perf_counter() - t0
    return load, secs, np.column_stack([cols[k] for k in SPEC])


def run_pandas_rolling(ev, sp):
    """groupby(user).rolling(W, on=time, closed='left') per feature over the union."""
    import pandas as pd
    t0 = time.perf_counter()
    df = pd.DataFrame(union(ev, sp))
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    df["t"] = pd.to_datetime(df["ts"], unit="us")
    df = df.sort_values(["user", "t"], kind="stable").reset_index(drop=True)
    cols = {}
    for agg, w in SPEC:
        r = df.groupby("user", sort=False).rolling(pd.Timedelta(microseconds=w), on="t", closed="left")
        if agg == "count":
            s_ = r["is_event"].count()
        elif agg == "sum":
            s_ = r["amount"].sum()
        elif agg == "mean":
            s_ = r["amount"].mean()
        else:
            s_ = r["amount"].max()
        cols[(agg, w)] = s_.to_numpy()
    secs = time.perf_counter() - t0
    row_id = df["row_id"].to_numpy()
    keep = row_id >= 0
    out = np.empty((len(sp["user"]), len(FEATURES)))
    for c, key in enumerate(SPEC):
        v = cols[key].astype(np.float64)
        if key[0] in ("count", "sum"):
            v = np.nan_to_num(v, nan=0.0)
        out[row_id[keep], c] = v[keep]
    return load, secs, out


# name: (runner, label, runs by default: the previous forms are slow and run once)
ENGINES = {
    "polars": (run_polars_rolling, "Polars rolling(group_by) (best)", 3),
    "polars-asof": (run_polars_asof, "Polars join_asof + prefix sums", 3),
    "polars-over": (run_polars_over, "Polars rolling_*_by.over (previous)", 1),
    "duckdb": (run_duckdb_current_row, "DuckDB T-1, CURRENT ROW frame", 3),
    "duckdb-asof": (run_duckdb_asof, "DuckDB ASOF + prefix sums (best)", 3),
    "duckdb-preceding": (run_duckdb_preceding, "DuckDB 1 PRECEDING frame (previous)", 1),
    "pandas": (run_pandas_vectorised, "pandas/numpy searchsorted + cumsum (best)", 3),
    "pandas-rolling": (run_pandas_rolling, "pandas groupby.rolling (previous)", 1),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", required=True, help="path to bench_export_for_peers")
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--runs", type=int, default=0, help="runs per engine (0: 3 for the best forms, 1 for previous)")
    ap.add_argument("--sample", type=int, default=2000, help="rows checked against exact values")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([args.tool, d, str(args.events), str(args.rows), str(args.users)], check=True)
        ev, sp, sk, timing = load(d)

    rng = np.random.default_rng(1)
    sample = rng.choice(len(sp["user"]), size=min(args.sample, len(sp["user"])), replace=False)
    exact = exact_rows(ev, sp, sample)
    sk_bad = int((~same_bits(sk[sample], exact).all(axis=1)).sum())
    print(f"skewless vs independent exact values on {len(sample)} sampled rows: {sk_bad} rows differ")
    if sk_bad:
        sys.exit("skewless is not exact on this data: stop")

    rows = len(sp["user"])
    sk_secs = min(timing[2])
    results = []
    for threads in (2, 1):
        t = sorted(timing[threads])
        results.append(dict(engine=f"skewless ({threads} thread{'s' if threads > 1 else ''})", runs=len(t),
                            load=0.0, seconds=t[0], median=t[len(t) // 2], ratio=t[0] / sk_secs,
                            agree=rows, not_exact=0))
    for name in args.engines.split(","):
        runner, label, default_runs = ENGINES[name]
        loads, times = [], []
        for _ in range(args.runs or default_runs):
            load_s, secs, out = runner(ev, sp)
            loads.append(load_s)
            times.append(secs)
        times.sort()
        close = np.isclose(out, sk, rtol=1e-6, atol=1e-9, equal_nan=True).all(axis=1)
        exact_ok = same_bits(out, sk).all(axis=1)
        results.append(dict(engine=label, runs=len(times), load=min(loads), seconds=times[0],
                            median=times[len(times) // 2], ratio=times[0] / sk_secs, agree=int(close.sum()),
                            not_exact=int((~exact_ok).sum())))
        print(f"  {label}: {times[0]:.2f} s", flush=True)

    print(f"\n{len(ev['user'])} events, {rows} spine rows, {len(np.unique(ev['user']))} users, 10 features, "
          f"{THREADS} threads for every engine (pandas is single-threaded)")
    print(f"{'engine':<44} {'runs':>4} {'load s':>7} {'min s':>8} {'median s':>9} {'x skewless':>10} "
          f"{'rows within 1e-6':>17} {'rows not exact':>15}")
    for r in results:
        print(f"{r['engine']:<44} {r['runs']:>4} {r['load']:>7.2f} {r['seconds']:>8.3f} {r['median']:>9.3f} "
              f"{r['ratio']:>10.2f} {r['agree']:>17,} {r['not_exact']:>15,}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(events=len(ev["user"]), rows=rows, threads=THREADS, results=results), fh, indent=1)


if __name__ == "__main__":
    main()
