#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""deploy/grafana: the dashboard reads only metrics that presence-server exposes, in
PromQL that its renderer (render_dashboard.py, which drew docs/dashboard.png) understands,
and the renderer draws every panel from real scrapes."""

import json
import math
import os
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
GRAFANA = os.path.join(HERE, "..", "..", "deploy", "grafana")
SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")

sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, GRAFANA)
import render_dashboard as render  # noqa: E402  (deploy/grafana)
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)

with open(os.path.join(GRAFANA, "presence-dashboard.json")) as f:
    DASHBOARD = json.load(f)
VARIABLES = [v["name"] for v in DASHBOARD["templating"]["list"]]
EXPRESSIONS = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]


class Server(Process):
    """A server with every family of /metrics: webhooks on, and the Redis engine (whose
    Redis is not there: its metrics are exposed all the same)."""

    def __init__(self):
        super().__init__([SERVER, "--host", "127.0.0.1", "--port", "0", "--engine", "redis://127.0.0.1:1",
                          "--webhook-url", "http://127.0.0.1:1/", "--webhook-secret", "s"])
        self.port = int(self.next_line().rsplit(":", 1)[1])

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=WAIT) as response:
            return time.time(), render.parse_exposition(response.read().decode())


def families(samples):
    names = set()
    for name, _ in samples:
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix):
                names.add(name[:-len(suffix)])
        names.add(name)
    return names


class DashboardTest(ProcessTest):
    def test_every_query_reads_metrics_the_server_exposes(self):
        server = self.start(Server)
        exposed = families(server.scrape()[1])
        for expr in EXPRESSIONS:
            for name in render.metric_names(render.parse(expr, VARIABLES)):
                self.assertIn(name, exposed, expr)

    def test_every_panel_is_drawn_from_scrapes(self):
        server = self.start(Server)
        scrapes = [server.scrape(), server.scrape()]
        svg, width, height = render.draw(DASHBOARD, scrapes)
        self.assertTrue(svg.startswith("<svg") and svg.endswith("</svg>\n"))
        for panel in DASHBOARD["panels"]:
            self.assertIn(f">{panel['title']}</text>", svg.replace("&amp;", "&"))
        self.assertIn("not a Grafana screenshot", svg)
        self.assertEqual(width, 24 * render.COLUMN)

    def test_the_evaluator_follows_promql(self):
        t0 = 1000.0
        first = {("m_total", frozenset({("a", "x")})): 10.0, ("m_total", frozenset({("a", "y")})): 0.0,
                 ("g", frozenset()): 5.0}
        second = {("m_total", frozenset({("a", "x")})): 70.0, ("m_total", frozenset({("a", "y")})): 30.0,
                  ("g", frozenset()): 5.0}
        scrapes = [(t0, first), (t0 + 30, second)]
        at = lambda expr: render.evaluate(render.parse(expr, ["instance"]), scrapes, 1)  # noqa: E731
        self.assertEqual(at('rate(m_total{a="x"}[1m])'), {frozenset({("a", "x")}): 2.0})
        self.assertEqual(at('sum by (b) (rate(m_total{instance=~"$instance"}[1m]))'), {frozenset(): 3.0})
        self.assertEqual(at("time() - g"), {frozenset(): t0 + 30 - 5.0})
        self.assertEqual(render.evaluate(render.parse("rate(m_total[1m])"), scrapes, 0), {})

        buckets = [(0.1, 5.0), (0.2, 10.0), (math.inf, 10.0)]
        self.assertAlmostEqual(render.quantile(0.5, buckets), 0.1)
        self.assertAlmostEqual(render.quantile(0.75, buckets), 0.15)
        self.assertEqual(render.quantile(0.99, [(0.1, 0.0), (math.inf, 4.0)]), 0.1)
        self.assertIsNone(render.quantile(0.5, [(0.1, 0.0), (math.inf, 0.0)]))
        for bad in ("avg(m)", "rate(m)", "m{a!~\"x\"}", "sum by (a) m"):
            with self.assertRaises(ValueError, msg=bad):
                render.parse(bad)


if __name__ == "__main__":
    unittest.main()
