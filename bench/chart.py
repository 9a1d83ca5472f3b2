#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Draws broadcast deliveries/s against N, one line per server, as SVG, from the JSON
files presence-bench wrote (--json). A file named broadcast-SERVER-N.json is a point of
SERVER's line. Standard library only.

    python3 bench/chart.py bench/results bench/broadcast.svg
"""

import collections
import json
import os
import re
import sys

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 90, 150, 40, 60
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
NAMES = {"ours": "presence-server (sgc JSON frames)", "uws": "uWebSockets relay (raw frames)"}


def load_series(folder):
    series = collections.defaultdict(list)
    for name in sorted(os.listdir(folder)):
        m = re.fullmatch(r"broadcast-(\w+)-(\d+)\.json", name)
        if not m:
            continue
        with open(os.path.join(folder, name)) as f:
            document = json.load(f)
        if document.get("completed"):
            series[m.group(1)].append((document["options"]["clients"],
                                       document["figures"]["deliveries_per_second"]))
    return {k: sorted(v) for k, v in series.items()}


def nice_top(value):
    """The smallest 1, 2 or 5 times a power of ten at or above value."""
    step = 1
    while step * 10 <= value:
        step *= 10
    for multiple in (1, 2, 5, 10):
        if step * multiple >= value:
            return step * multiple
    return step * 10


def svg(series):
    xs = sorted({x for points in series.values() for x, _ in points})
    top = nice_top(max(y for points in series.values() for _, y in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + (xs.index(x) + 0.5) * plot_w / len(xs)

    def py(y):
        return TOP + plot_h - y * plot_h / top

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="14">broadcast: deliveries per second against N</text>']
    for i in range(6):
        y = top * i / 5
        out.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + plot_w}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:,.0f}</text>')
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{x}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 15}" text-anchor="middle">N (members in the room)</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="black"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="black"/>')
    for i, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{colour}"/>')
        ly = TOP + 20 + 36 * i
        out.append(f'<line x1="{LEFT + plot_w + 10}" y1="{ly}" x2="{LEFT + plot_w + 30}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        for j, word in enumerate(NAMES.get(name, name).split(" (")):
            text = word if j == 0 else "(" + word
            out.append(f'<text x="{LEFT + plot_w + 34}" y="{ly + 4 + 14 * j}" font-size="10">{text}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    series = load_series(argv[1])
    if not series:
        sys.exit(f"no completed broadcast-*.json in {argv[1]}")
    with open(argv[2], "w") as f:
        f.write(svg(series))


if __name__ == "__main__":
    main(sys.argv)
