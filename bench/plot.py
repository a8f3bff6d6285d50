#!/usr/bin/env python3
"""Plots online ingest throughput against the number of entities, skewless beside the
hand-written baseline, from bench_online_ingest's Google Benchmark JSON.

  python3 bench/plot.py bench/results/online_ingest.json docs/ingest_throughput.png
"""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(src, dst):
    series = {}
    for b in json.load(open(src))["benchmarks"]:
        name = b["name"].split("/")[0]
        series.setdefault(name, []).append((b["entities"], b["items_per_second"] / 1e6))
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label=name.replace("_ingest", ""))
    ax.set_xscale("log")
    ax.set_xlabel("entities (users with state)")
    ax.set_ylabel("events ingested per second (millions, 1 core)")
    ax.set_title("Online ingest, 10 features (count/sum/mean/max over 1h/1d/7d)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(dst, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
