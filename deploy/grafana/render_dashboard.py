#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Draws the panels of a Grafana dashboard from /metrics scraped off a running
presence-server: a picture of what the dashboard shows, made without Grafana. It is not a
Grafana screenshot. Standard library only; the PNG is taken by headless Chromium.

It evaluates the few PromQL forms the dashboard uses, at each scrape: a selector with
label matchers, rate(SELECTOR[RANGE]), sum by (LABELS) (EXPR), histogram_quantile(Q, EXPR)
and time() - SELECTOR. Template variables match everything. Anything else is refused.

    # scrape every 2 s for 3 minutes, while a load runs
    python3 deploy/grafana/render_dashboard.py scrape http://127.0.0.1:8080/metrics 180 2 > scrapes.jsonl
    # the dashboard's panels as SVG, and as PNG
    python3 deploy/grafana/render_dashboard.py draw deploy/grafana/presence-dashboard.json \\
        scrapes.jsonl dashboard.svg --png docs/dashboard.png
"""

import argparse
import html
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

# --- scrapes ---------------------------------------------------------------------------------

SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse_exposition(text):
    """{(name, frozenset of label items): value} of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        m = SAMPLE.fullmatch(line)
        if not line or line.startswith("#") or not m:
            continue
        labels = {k: re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), v)
                  for k, v in LABEL.findall(m.group(2) or "")}
        samples[(m.group(1), frozenset(labels.items()))] = float(m.group(3))
    return samples


def scrape(url, seconds, every):
    """Prints one JSON line per scrape: {"time": T, "text": EXPOSITION}."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with urllib.request.urlopen(url, timeout=every * 5) as response:
            text = response.read().decode()
        print(json.dumps({"time": time.time(), "text": text}), flush=True)
        time.sleep(every)


def load_scrapes(path):
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [(row["time"], parse_exposition(row["text"])) for row in rows]


# --- PromQL, the forms the dashboard uses --------------------------------------------------------

TOKEN = re.compile(r'\s*(?:(\d+(?:\.\d+)?[smh]?)|([a-zA-Z_:][a-zA-Z0-9_:]*)|("(?:[^"\\]|\\.)*")|(=~|!=|[(){}\[\],=-]))')


class Parser:
    def __init__(self, text):
        self.tokens = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot read {text[pos:]!r}")
            self.tokens.append(next(g for g in m.groups() if g is not None))
            pos = m.end()
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected!r}, got {token!r}")
        self.at += 1
        return token

    def whole(self):
        tree = self.expression()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return tree

    def expression(self):
        word = self.peek()
        if word == "sum":
            self.take()
            self.take("by")
            self.take("(")
            labels = [self.take()]
            while self.peek() == ",":
                self.take()
                labels.append(self.take())
            self.take(")")
            self.take("(")
            inner = self.expression()
            self.take(")")
            return ("sum", tuple(labels), inner)
        if word == "rate":
            self.take()
            self.take("(")
            selector = self.selector()
            self.take("[")
            window = duration(self.take())
            self.take("]")
            self.take(")")
            return ("rate", selector, window)
        if word == "histogram_quantile":
            self.take()
            self.take("(")
            q = float(self.take())
            self.take(",")
            inner = self.expression()
            self.take(")")
            return ("quantile", q, inner)
        if word == "time":
            self.take()
            self.take("(")
            self.take(")")
            self.take("-")
            return ("age", self.selector())
        return self.selector()

    def selector(self):
        name = self.take()
        if not re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name):
            raise ValueError(f"not a metric name: {name!r}")
        matchers = []
        if self.peek() == "{":
            self.take()
            while self.peek() != "}":
                label, op, value = self.take(), self.take(), json.loads(self.take())
                if op not in ("=", "=~"):
                    raise ValueError(f"matcher {op!r}")
                matchers.append((label, op, value))
                if self.peek() == ",":
                    self.take()
            self.take("}")
        return ("selector", name, tuple(matchers))


def duration(text):
    units = {"s": 1, "m": 60, "h": 3600}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)


def parse(expr, variables=None):
    """The tree of `expr`, its template variables ($name) replaced: each matches anything."""
    for name in variables or ():
        expr = expr.replace(f"${name}", ".*")
    return Parser(expr).whole()


def metric_names(tree):
    """The metrics `tree` reads."""
    kind = tree[0]
    if kind == "selector":
        return {tree[1]}
    return metric_names(tree[1] if kind in ("rate", "age") else tree[2])


def select(tree, samples):
    _, name, matchers = tree
    out = {}
    for (metric, labels), value in samples.items():
        if metric != name:
            continue
        found = dict(labels)
        if all(re.fullmatch(v, found.get(label, "")) if op == "=~" else found.get(label, "") == v
               for label, op, v in matchers):
            out[labels] = value
    return out


def evaluate(tree, scrapes, i):
    """{labels: value} of `tree` at scrape `i` (a list of (time, samples))."""
    now, samples = scrapes[i]
    kind = tree[0]
    if kind == "selector":
        return select(tree, samples)
    if kind == "age":
        return {labels: now - value for labels, value in select(tree[1], samples).items()}
    if kind == "rate":
        current = select(tree[1], samples)
        first = next((j for j in range(i + 1) if scrapes[j][0] >= now - tree[2]), i)
        if first == i:
            return {}
        then, earlier = scrapes[first][0], select(tree[1], scrapes[first][1])
        return {labels: max(0.0, value - earlier[labels]) / (now - then)
                for labels, value in current.items() if labels in earlier}
    if kind == "sum":
        out = {}
        for labels, value in evaluate(tree[2], scrapes, i).items():
            key = frozenset((k, v) for k, v in labels if k in tree[1])
            out[key] = out.get(key, 0.0) + value
        return out
    if kind == "quantile":
        groups = {}
        for labels, value in evaluate(tree[2], scrapes, i).items():
            found = dict(labels)
            bound = float(found.pop("le"))
            groups.setdefault(frozenset(found.items()), []).append((bound, value))
        out = {}
        for labels, buckets in groups.items():
            if (q := quantile(tree[1], sorted(buckets))) is not None:
                out[labels] = q
        return out
    raise ValueError(kind)


def quantile(q, buckets):
    """As Prometheus's histogram_quantile: linear within the bucket the rank falls in;
    None without observations."""
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below) if count > below else lower
        lower, below = bound, count
    return lower


# --- drawing -------------------------------------------------------------------------------------

COLUMN, ROW = 50, 30  # pixels per grid column (24 of them) and per grid row
COLOURS = ["#3274d9", "#e0752d", "#37872d", "#c4162a", "#8f3bb8", "#1f9aa8", "#b8860b", "#6e6e6e"]


def formatted(value, unit):
    if unit == "s":
        for scale, suffix in ((1, " s"), (1e-3, " ms"), (1e-6, " µs")):
            if abs(value) >= scale or scale == 1e-6:
                return f"{value / scale:.3g}{suffix}"
    if unit == "bytes":
        for scale, suffix in ((2 ** 30, " GiB"), (2 ** 20, " MiB"), (2 ** 10, " KiB"), (1, " B")):
            if abs(value) >= scale or scale == 1:
                return f"{value / scale:.3g}{suffix}"
    suffix = "/s" if unit == "ops" else ""
    for scale, letter in ((1e6, "M"), (1e3, "k"), (1, "")):
        if abs(value) >= scale or scale == 1:
            return f"{value / scale:.3g}{letter}{suffix}"


def legend_of(fmt, labels, tree):
    """The legend format with the labels' values; the metric's name where that leaves
    nothing (a label the scrapes lack, such as `instance` without Prometheus)."""
    found = dict(labels)
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: found.get(m.group(1), ""), fmt or "").strip()
    return text or " ".join(sorted(metric_names(tree)))


def series_of(panel, scrapes, variables):
    """[(legend, [(time, value)])] of the panel's queries over every scrape."""
    out = []
    for target in panel.get("targets", []):
        tree = parse(target["expr"], variables)
        lines = {}
        for i, (t, _) in enumerate(scrapes):
            for labels, value in evaluate(tree, scrapes, i).items():
                if math.isfinite(value):
                    lines.setdefault(labels, []).append((t, value))
        for labels in sorted(lines, key=sorted):
            out.append((legend_of(target.get("legendFormat"), labels, tree), lines[labels]))
    return out


def text(x, y, content, size=12, anchor="start", colour="#222", weight="normal"):
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}" '
            f'font-weight="{weight}">{html.escape(content)}</text>')


def draw_panel(panel, scrapes, variables):
    g = panel["gridPos"]
    x, y, w, h = g["x"] * COLUMN, g["y"] * ROW, g["w"] * COLUMN, g["h"] * ROW
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
    parts = [f'<rect x="{x + 3}" y="{y + 3}" width="{w - 6}" height="{h - 6}" rx="4" fill="#fff" stroke="#ccc"/>',
             text(x + 12, y + 22, panel["title"], 13, weight="bold")]
    series = series_of(panel, scrapes, variables)
    if not series:
        parts.append(text(x + w / 2, y + h / 2 + 10, "No data", 14, "middle", "#888"))
        return parts
    if panel["type"] == "stat":
        value = series[0][1][-1][1]
        parts.append(text(x + w / 2, y + h / 2 + 18, formatted(value, unit), 26, "middle", COLOURS[0], "bold"))
        return parts
    # The legend names the series that are not 0 throughout, as many as three rows hold.
    colours = {legend: COLOURS[n % len(COLOURS)] for n, (legend, _) in enumerate(series)}
    shown = [legend for legend, points in series if any(v for _, v in points)] or [series[0][0]]
    legend_items, row, used = [], 0, 0
    for legend in shown:
        width = 22 + 6.2 * len(legend)
        if used and used + width > w - 76:
            row, used = row + 1, 0
        if row == 3:
            break
        legend_items.append((legend, used, row))
        used += width
    hidden = len(series) - len(legend_items)
    legend_rows = legend_items[-1][2] + 1
    left, right, top, bottom = x + 62, x + w - 14, y + 36, y + h - 24 - 14 * legend_rows
    t0, t1 = scrapes[0][0], scrapes[-1][0]
    top_value = max(v for _, points in series for _, v in points)
    top_value = top_value * 1.1 if top_value > 0 else 1
    for k in range(4):
        level = top_value * k / 3
        py = bottom - (bottom - top) * k / 3
        parts.append(f'<line x1="{left}" y1="{py:.1f}" x2="{right}" y2="{py:.1f}" stroke="#eee"/>')
        parts.append(text(left - 6, py + 4, formatted(level, unit), 10, "end", "#666"))
    span = max(t1 - t0, 1)
    for k in range(3):
        px = left + (right - left) * k / 2
        ago = span * (1 - k / 2)
        parts.append(text(px, bottom + 14, f"-{ago / 60:.0f} min" if ago >= 60 else
                          (f"-{ago:.0f} s" if ago else "now"), 10, "middle", "#666"))
    for legend, points in series:
        path = " ".join(f"{left + (right - left) * (t - t0) / span:.1f},{bottom - (bottom - top) * v / top_value:.1f}"
                        for t, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colours[legend]}" stroke-width="1.6"/>')
    for legend, dx, row in legend_items:
        lx, ly = left + dx, bottom + 28 + 14 * row
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 8}" width="10" height="3" fill="{colours[legend]}"/>')
        parts.append(text(lx + 14, ly, legend, 10, colour="#444"))
    if hidden:
        parts.append(text(right, bottom + 28 + 14 * (legend_rows - 1), f"+{hidden} at 0", 10, "end", "#888"))
    return parts


def draw(dashboard, scrapes):
    variables = [v["name"] for v in dashboard.get("templating", {}).get("list", [])]
    panels = dashboard["panels"]
    width = 24 * COLUMN
    height = max((p["gridPos"]["y"] + p["gridPos"]["h"]) * ROW for p in panels) + 40
    caption = (f"{dashboard['title']}: the panels of its Grafana dashboard drawn by render_dashboard.py from "
               f"{len(scrapes)} scrapes of /metrics over {(scrapes[-1][0] - scrapes[0][0]) / 60:.1f} min "
               f"(not a Grafana screenshot)")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="DejaVu Sans, sans-serif">',
             f'<rect width="{width}" height="{height}" fill="#f4f5f5"/>']
    for panel in panels:
        parts.extend(draw_panel(panel, scrapes, variables))
    parts.append(text(12, height - 14, caption, 12, colour="#555"))
    parts.append("</svg>")
    return "\n".join(parts) + "\n", width, height


def to_png(svg_path, png_path, width, height):
    """Headless Chromium's screenshot of the SVG."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={os.path.abspath(png_path)}", "file://" + os.path.abspath(svg_path)],
                       check=True, capture_output=True, timeout=120)


def main():
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = arguments.add_subparsers(dest="command", required=True)
    s = commands.add_parser("scrape", help="print a JSON line per scrape of URL")
    s.add_argument("url")
    s.add_argument("seconds", type=float)
    s.add_argument("every", type=float)
    d = commands.add_parser("draw", help="draw the dashboard's panels from scrapes, as SVG")
    d.add_argument("dashboard")
    d.add_argument("scrapes")
    d.add_argument("svg")
    d.add_argument("--png", help="also a PNG, taken by headless Chromium")
    args = arguments.parse_args()
    if args.command == "scrape":
        return scrape(args.url, args.seconds, args.every)
    with open(args.dashboard) as f:
        dashboard = json.load(f)
    scrapes = load_scrapes(args.scrapes)
    if len(scrapes) < 2:
        sys.exit("render_dashboard: at least two scrapes are needed")
    svg, width, height = draw(dashboard, scrapes)
    with open(args.svg, "w") as f:
        f.write(svg)
    if args.png:
        to_png(args.svg, args.png, width, height)


if __name__ == "__main__":
    main()
