# SPDX-License-Identifier: Apache-2.0
"""presence-bench's smoke run: every scenario with a small N against the real
presence-server (spawned by the tool), and raw mode against a Python relay. Each run
must end with status 0 and its JSON must hold figures that follow from the workload
(deliveries = published x receivers, every announcement counted); speed is not checked.
"""

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
from presence_harness import kill_and_reap, server_path  # noqa: E402

BENCH = os.environ.get("PRESENCE_BENCH", os.path.join(HERE, "..", "build", "bench", "presence-bench"))
RUN_TIMEOUT = 60


def run_bench(scenario, *args):
    """Runs presence-bench and returns its JSON figures."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "figures.json")
        done = subprocess.run([BENCH, scenario, *args, "--timeout", "30", "--json", path],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        if done.returncode != 0:
            raise AssertionError(f"presence-bench {scenario} exited {done.returncode}:\n"
                                 f"{done.stdout}\n{done.stderr}")
        with open(path) as f:
            document = json.load(f)
    assert document["completed"] is True, document
    assert document["scenario"] == scenario, document
    return document["figures"]


class RawRelay:
    """bench/raw_relay.py on a free port."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "raw_relay.py"), "0"],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        line = self.proc.stdout.readline().decode() if ready else ""
        m = re.fullmatch(r"relay listening on (\d+)\n", line)
        if not m:
            kill_and_reap(self.proc)
            raise RuntimeError(f"the relay did not start: {line!r}")
        self.port = int(m.group(1))

    def stop(self):
        kill_and_reap(self.proc)


class SmokeTest(unittest.TestCase):
    def spawn(self):
        return ["--spawn", server_path(), "--threads", "2"]

    def test_broadcast_reaches_every_member(self):
        n = 20
        f = run_bench("broadcast", *self.spawn(), "-n", str(n), "--messages", "400")
        self.assertEqual(f["published"], 400)
        self.assertEqual(f["deliveries"], 400 * n)
        self.assertGreater(f["deliveries_per_second"], 0)
        self.assertGreater(f["server_cpu_percent"], 0)
        self.assertGreater(f["latency_max_ms"], 0)

    def test_fanout_at_a_rate_reaches_every_subscriber(self):
        n = 50
        f = run_bench("fanout", *self.spawn(), "-n", str(n), "--rate", "200", "--messages", "100")
        self.assertEqual(f["published"], 100)
        self.assertEqual(f["deliveries"], 100 * n)
        self.assertEqual(f["offered_rate"], 200)
        self.assertLessEqual(f["latency_p50_ms"], f["latency_p99_ms"])

    def test_fanout_at_saturation_reaches_every_subscriber(self):
        n = 50
        f = run_bench("fanout", *self.spawn(), "-n", str(n), "--window", "8", "--messages", "500")
        self.assertEqual(f["deliveries"], 500 * n)

    def test_connections_from_two_sources_are_held(self):
        f = run_bench("connections", *self.spawn(), "-n", "200", "--channels", "4", "--sources", "2")
        self.assertEqual(f["connections"], 200)
        self.assertGreater(f["server_rss_mib"], 0)
        self.assertGreater(f["server_rss_per_connection_kib"], 0)

    def test_idle_connections_that_do_not_join_are_held(self):
        f = run_bench("connections", *self.spawn(), "-n", "100", "--no-join")
        self.assertEqual(f["connections"], 100)
        self.assertGreater(f["server_rss_mib"], 0)

    def test_join_storm_settles_with_every_announcement(self):
        m = 50
        f = run_bench("join-storm", *self.spawn(), "-n", str(m))
        self.assertEqual(f["members"], m)
        # Each join to every member, each subscription to the channel, one answer each.
        self.assertEqual(f["server_frames_sent"], m * (m + 1) + m)
        self.assertGreater(f["server_peak_rss_mib"], 0)

    def test_join_storm_with_diffs_sees_every_member_in_fewer_frames(self):
        m = 60
        f = run_bench("join-storm", *self.spawn(), "-n", str(m), "--diffs",
                      "--server-arg=--diff-interval", "--server-arg=0.05")
        self.assertEqual(f["members"], m)
        self.assertGreater(f["diff_frames"], 0)
        # Announced one by one, the subscriptions alone would be m(m+1)/2 frames.
        self.assertLess(f["diff_frames"], m * (m + 1) / 2)
        self.assertLess(f["server_frames_sent"], m * (m + 1) + m)
        self.assertAlmostEqual(f["frames_per_client"] * m, f["server_frames_sent"])

    def test_join_storm_with_diffs_needs_a_server_that_sends_them(self):
        done = subprocess.run([BENCH, "join-storm", *self.spawn(), "-n", "5", "--diffs",
                               "--server-arg=--diff-interval", "--server-arg=0", "--timeout", "30"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("hello does not name diffs", done.stdout)

    def test_join_storm_with_diffs_and_pages_sees_every_member(self):
        m, page = 60, 7
        f = run_bench("join-storm", *self.spawn(), "-n", str(m), "--diffs", "--page", str(page),
                      "--server-arg=--diff-interval", "--server-arg=0.05")
        # Completed means each client's pages and later diffs came to exactly m members.
        self.assertEqual(f["members"], m)
        # Each client's pages list at least itself, and nobody twice.
        self.assertGreaterEqual(f["members_listed"], m)
        self.assertLessEqual(f["members_listed"], m * m)

    def test_a_page_above_the_servers_limit_fails_the_run_at_once(self):
        done = subprocess.run([BENCH, "join-storm", *self.spawn(), "-n", "5", "--diffs", "--page", "20",
                               "--server-arg=--max-page-members", "--server-arg=10", "--timeout", "60"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(done.returncode, 1)
        self.assertIn("the server refused a request", done.stdout)
        self.assertIn("LIMIT from 1 to 10", done.stdout)

    def test_pages_need_diffs(self):
        done = subprocess.run([BENCH, "join-storm", *self.spawn(), "-n", "5", "--page", "7"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--page needs join-storm with --diffs", done.stderr)

    def test_raw_mode_against_a_relay_we_did_not_write(self):
        relay = RawRelay()
        try:
            n = 10
            f = run_bench("raw", "--url", f"ws://127.0.0.1:{relay.port}/", "--server-pid", str(relay.proc.pid),
                          "-n", str(n), "--messages", "200", "--payload", "64")
            self.assertEqual(f["deliveries"], 200 * n)
            self.assertIn("server_cpu_percent", f)
        finally:
            relay.stop()

    def test_a_server_that_is_not_there_fails_the_run(self):
        done = subprocess.run([BENCH, "broadcast", "--url", "ws://127.0.0.1:1/", "-n", "2", "--timeout", "10"],
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("completed", done.stdout)
        self.assertIn("NO:", done.stdout)


if __name__ == "__main__":
    unittest.main()
