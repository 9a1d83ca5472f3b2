# SPDX-License-Identifier: Apache-2.0
"""Engine options a node cannot use: it says why on stderr and exits 1 before listening."""

import subprocess
import unittest

import cluster_harness  # noqa: F401  (puts tests/interop on the path)
from presence_harness import server_path


class EngineOptions(unittest.TestCase):

    def refused(self, *args):
        result = subprocess.run([server_path(), "--port", "0", *args], stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=15)
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.stdout, "", "it must not have listened")
        return result.stderr

    def test_an_engine_that_is_neither_memory_nor_redis(self):
        self.assertIn('engine must be "memory" or redis://HOST[:PORT], not: http://x',
                      self.refused("--engine", "http://x"))

    def test_a_redis_port_out_of_range(self):
        self.assertIn("bad Redis port", self.refused("--engine", "redis://127.0.0.1:70000"))

    def test_a_node_id_that_would_split_an_event_header(self):
        self.assertIn("node id must be", self.refused("--engine", "redis://127.0.0.1:6379",
                                                     "--node-id", "two words"))

    def test_a_node_timeout_too_short_to_renew(self):
        self.assertIn("node timeout must be at least 100 ms",
                      self.refused("--engine", "redis://127.0.0.1:6379", "--node-timeout", "0.05"))


if __name__ == "__main__":
    unittest.main()
