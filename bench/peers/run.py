#!/usr/bin/env python3
"""skewless versus DuckDB, pandas and Polars on the same data and the same 10 features.

The C++ tool bench_export_for_peers generates the workload (power-law payments and a
spine of (user, T) rows), times skewless's batch evaluator on it and writes both the
data and skewless's answer as raw columns (exact, no decimal round trip). Each peer then
computes the same features with the same point-in-time semantics — events with
T - W <= ts < T, strictly before T — by putting the spine rows into each user's stream
as rows with a missing amount and windowing with a left-closed frame:
  DuckDB  RANGE BETWEEN W PRECEDING AND 1 PRECEDING over integer microseconds
  pandas  groupby(user).rolling(W, on=time, closed='left')
  Polars  rolling_*_by(time, W, closed='left').over(user)
(An ASOF JOIN against per-event rolling features would be faster but answers a
different question: features as of the user's last event, not as of T.)

For every engine: seconds (compute only: union, sort and windows; not loading), spine
rows per second, the ratio to skewless, how many rows agree with skewless within a
relative 1e-6, and how many rows differ from the correctly rounded exact value. The
exact values are computed here, independently, for a random sample of rows with
math.fsum and fractions.Fraction; skewless must match them on every sampled row, and
its full matrix then stands for the exact answer on all rows.

  python3 bench/peers/run.py --tool build/bench/bench_export_for_peers \
      --events 10000000 --rows 1000000 --users 1000000
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
            timing[int(threads)] = float(secs)
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

def frame(ev, sp):
    """Events and spine rows in one table; spine rows have no amount and no event flag."""
    import pandas as pd
    n_e, n_s = len(ev["user"]), len(sp["user"])
    return pd.DataFrame({
        "user": np.concatenate([ev["user"], sp["user"]]),
        "ts": np.concatenate([ev["ts"], sp["ts"]]),
        "amount": np.concatenate([ev["amount"], np.full(n_s, np.nan)]),
        "is_event": np.concatenate([np.ones(n_e), np.full(n_s, np.nan)]),
        "row_id": np.concatenate([np.full(n_e, -1, dtype=np.int64), np.arange(n_s, dtype=np.int64)]),
    })


def run_duckdb(ev, sp):
    import duckdb
    df = frame(ev, sp)
    con = duckdb.connect()
    con.register("t", df)
    windows = {"h": HOUR, "d": DAY, "w": WEEK}
    sql = f"""
      SELECT row_id,
        count(is_event) OVER h, coalesce(sum(amount) OVER h, 0), avg(amount) OVER h,
        count(is_event) OVER d, coalesce(sum(amount) OVER d, 0), avg(amount) OVER d, max(amount) OVER d,
        coalesce(sum(amount) OVER w, 0), avg(amount) OVER w, max(amount) OVER w
      FROM t
      WINDOW {", ".join(f"{k} AS (PARTITION BY user ORDER BY ts RANGE BETWEEN {v} PRECEDING AND 1 PRECEDING)" for k, v in windows.items())}
      QUALIFY row_id >= 0
      ORDER BY row_id"""
    t0 = time.perf_counter()
    res = con.execute(sql).fetchnumpy()
    secs = time.perf_counter() - t0
    cols = list(res.keys())[1:]
    out = np.column_stack([np.asarray(res[c], dtype=np.float64) if not hasattr(res[c], "mask")
                           else np.ma.filled(res[c].astype(np.float64), np.nan) for c in cols])
    return secs, out


def run_pandas(ev, sp):
    import pandas as pd
    df = frame(ev, sp)
    t0 = time.perf_counter()
    df["t"] = pd.to_datetime(df["ts"], unit="us")
    df = df.sort_values(["user", "t"], kind="stable").reset_index(drop=True)
    cols = {}
    for agg, w in SPEC:
        r = df.groupby("user", sort=False).rolling(pd.Timedelta(microseconds=w), on="t", closed="left")
        if agg == "count":
            s = r["is_event"].count()
        elif agg == "sum":
            s = r["amount"].sum()
        elif agg == "mean":
            s = r["amount"].mean()
        else:
            s = r["amount"].max()
        cols[(agg, w)] = s.to_numpy()
    secs = time.perf_counter() - t0
    # groupby(sort=False).rolling keeps rows grouped in first-appearance order; the frame
    # is sorted by user, so that is the frame's own order.
    row_id = df["row_id"].to_numpy()
    keep = row_id >= 0
    out = np.empty((len(sp["user"]), len(FEATURES)))
    for c, key in enumerate(SPEC):
        v = cols[key].astype(np.float64)
        if key[0] in ("count", "sum"):
            v = np.nan_to_num(v, nan=0.0)
        out[row_id[keep], c] = v[keep]
    return secs, out


def run_polars(ev, sp):
    import polars as pl
    df = pl.from_pandas(frame(ev, sp))
    t0 = time.perf_counter()
    df = df.with_columns(pl.from_epoch("ts", time_unit="us").alias("t")).sort(["user", "t"])
    exprs = []
    for i, (agg, w) in enumerate(SPEC):
        ws = f"{w // 1_000_000}s"
        if agg == "count":
            e = pl.col("is_event").fill_null(0).fill_nan(0).rolling_sum_by("t", ws, closed="left")
        elif agg == "sum":
            e = pl.col("amount").fill_nan(None).rolling_sum_by("t", ws, closed="left")
        elif agg == "mean":
            e = pl.col("amount").fill_nan(None).rolling_mean_by("t", ws, closed="left")
        else:
            e = pl.col("amount").fill_nan(None).rolling_max_by("t", ws, closed="left")
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
    return secs, out


ENGINES = {"duckdb": run_duckdb, "pandas": run_pandas, "polars": run_polars}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tool", required=True, help="path to bench_export_for_peers")
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--engines", default="duckdb,pandas,polars")
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
    sk_secs = timing[2]
    results = [dict(engine="skewless (2 threads)", seconds=sk_secs, rows_per_s=rows / sk_secs,
                    ratio=1.0, agree=rows, not_exact=0),
               dict(engine="skewless (1 thread)", seconds=timing[1], rows_per_s=rows / timing[1],
                    ratio=timing[1] / sk_secs, agree=rows, not_exact=0)]
    for name in args.engines.split(","):
        secs, out = ENGINES[name](ev, sp)
        close = np.isclose(out, sk, rtol=1e-6, atol=1e-9, equal_nan=True).all(axis=1)
        exact_rows_ok = same_bits(out, sk).all(axis=1)
        results.append(dict(engine=name, seconds=secs, rows_per_s=rows / secs, ratio=secs / sk_secs,
                            agree=int(close.sum()), not_exact=int((~exact_rows_ok).sum())))

    print(f"\n{len(ev['user'])} events, {rows} spine rows, {len(np.unique(ev['user']))} users, 10 features")
    print(f"{'engine':<22} {'seconds':>9} {'rows/s':>12} {'x skewless time':>16} "
          f"{'rows within 1e-6':>17} {'rows not exact':>15}")
    for r in results:
        print(f"{r['engine']:<22} {r['seconds']:>9.3f} {r['rows_per_s']:>12,.0f} {r['ratio']:>16.2f} "
              f"{r['agree']:>17,} {r['not_exact']:>15,}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(events=len(ev["user"]), rows=rows, results=results), fh, indent=1)


if __name__ == "__main__":
    main()
