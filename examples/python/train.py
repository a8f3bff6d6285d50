"""Parquet events -> a point-in-time training set in Parquet, and serving that agrees.

    pip install ./examples/python          # builds payments_features from its C++ definition
    python examples/python/train.py --out /tmp/payments

The events would normally be the team's own Parquet files; here a day of synthetic card
payments is written first. The training set is one row per label (user, time) with
features from strictly earlier events, computed by the C++ batch evaluator, and written
as Parquet with the definition's fingerprint and catalog in its metadata. Then the same
events go through the online evaluator, which must give the same bits at label time.
"""

import argparse
import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import payments_features as pf

HOUR_US = 3_600_000_000


def write_events(path, users, events, seed):
    rng = np.random.default_rng(seed)
    user = rng.zipf(1.3, events) % users
    ts = np.sort(rng.integers(1_700_000_000_000_000, 1_700_000_000_000_000 + 24 * HOUR_US, events))
    amount = np.round(rng.lognormal(3.0, 1.2, events), 2)
    amount[rng.random(events) < 0.01] = np.nan  # the processor did not report it
    table = pa.table({
        "user_id": pa.array(user, pa.int64()),
        "ts_us": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "amount": pa.array(amount, from_pandas=True),  # NaN -> null: a missing value
        "merchant_category": pa.array(rng.integers(0, 30, events), pa.int32()),
        "card_present": pa.array(rng.random(events) < 0.7),
    })
    pq.write_table(table, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="payments-out")
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    events_path = out / "events.parquet"
    write_events(events_path, args.users, args.events, args.seed)
    events = pq.read_table(events_path)

    # Labels: each user's last event time plus an hour (when a label would be observed).
    last = events.group_by("user_id").aggregate([("ts_us", "max")])
    spine = pa.table({"user_id": last["user_id"],
                      "ts_us": pc.add(last["ts_us_max"].cast(pa.int64()), HOUR_US)})

    training = pf.training_set(events, spine)
    pq.write_table(training, out / "training_set.parquet")
    written = pq.read_table(out / "training_set.parquet")
    assert written.schema.metadata[b"skewless.fingerprint"] == f"{pf.fingerprint:016x}".encode()
    print(f"training set: {written.num_rows} rows x {len(pf.columns)} features -> {out / 'training_set.parquet'}")

    # Serving: the same events, streamed in batches; read every user at its label time.
    online = pf.OnlineEvaluator()
    counts = {}
    for batch in events.to_batches(max_chunksize=10_000):
        for outcome, n in online.ingest(batch).items():
            counts[outcome] = counts.get(outcome, 0) + n
    served = online.features(spine["user_id"].to_numpy(), spine["ts_us"].to_numpy())
    trained = np.column_stack([written[c].to_numpy() for c in pf.columns])
    same = np.array_equal(served.view(np.uint64), trained.view(np.uint64))
    print(f"online: {counts['accepted']} events accepted, {len(online)} users, "
          f"{online.memory()['total_bytes'] / len(online):.0f} bytes of state per user")
    if not same:
        raise SystemExit("MISMATCH: serving differs from training")
    print("OK: training and serving agree on every row, bit for bit")


if __name__ == "__main__":
    main()
