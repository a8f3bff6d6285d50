#!/usr/bin/env python3
"""Plots batch training-set time against the number of events (10 and 50 features, 1
and 2 threads, and the hand-written baseline) from bench_batch_scaling's JSON.

  python3 bench/plot_batch_scaling.py bench/results/batch_scaling.json docs/batch_scaling.png
"""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(src, dst):
    series = {}
    for c in json.load(open(src)):
        if c["set"] != "payments":
            continue
        who = c["who"] if c["who"] == "baseline" else f"skewless, {c['features']} features"
        label = f"{who}, {c['threads']} thread{'s' if c['threads'] > 1 else ''}"
        series.setdefault(label, []).append((c["events"], c["min_s"]))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] / 1e6 for p in pts], [p[1] for p in pts], marker="o",
                linestyle="--" if label.startswith("baseline") else "-", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("events (millions); users and spine rows are a tenth of that")
    ax.set_ylabel("training set time, s (min of 3, sorting included)")
    ax.set_title("Batch training sets: scaling with events, features and threads")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
