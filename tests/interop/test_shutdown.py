# SPDX-License-Identifier: Apache-2.0
"""11. Shutdown: SIGTERM / SIGINT close every client with 1001; the process exits 0."""

import asyncio
import concurrent.futures
import signal
import unittest

from presence_harness import PresenceTestCase, ServerProcess

EXIT_WAIT = 30.0  # a bound on the wait, not a measured threshold


class Shutdown(PresenceTestCase):

    async def wait_exit(self, server):
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(None, server.proc.wait), EXIT_WAIT)
        except asyncio.TimeoutError:
            self.fail(f"the server did not exit within {EXIT_WAIT}s of the signal")

    async def shut_down_with(self, sig):
        self.expect_server_alive = False
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        c = await self.connect("not-a-member")
        self.server.proc.send_signal(sig)
        for x in (a, b, c):
            # Whatever departures are announced first, the close code is 1001.
            await x.expect_closed(1001)
        rc = await self.wait_exit(self.server)
        self.assertEqual(rc, 0, self.server.stderr_text())

    async def test_sigterm_closes_every_client_with_1001_and_exits_0(self):
        await self.shut_down_with(signal.SIGTERM)

    async def test_sigint_closes_every_client_with_1001_and_exits_0(self):
        await self.shut_down_with(signal.SIGINT)

    async def test_sigterm_without_clients_exits_0(self):
        self.expect_server_alive = False
        self.server.proc.send_signal(signal.SIGTERM)
        rc = await self.wait_exit(self.server)
        self.assertEqual(rc, 0, self.server.stderr_text())

    async def test_signals_are_handled_once_listening_is_announced(self):
        """A supervisor may send SIGTERM as soon as it reads the "listening" line; the
        server must then already handle it (else SIGTERM kills it: exit -15, no 1001).
        Checked right after the line, for many servers started at once; this can only fail
        when the server really announces readiness before installing its handlers."""
        def started_catching(_):
            server = ServerProcess()
            try:
                return server.catches(signal.SIGINT, signal.SIGTERM)
            finally:
                server.stop()
        def start_many():
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                return list(pool.map(started_catching, range(64)))
        loop = asyncio.get_running_loop()
        caught = await asyncio.wait_for(loop.run_in_executor(None, start_many), EXIT_WAIT)
        self.assertEqual(caught.count(False), 0,
                         f"{caught.count(False)} of {len(caught)} servers printed 'listening' "
                         f"before they handled SIGINT/SIGTERM")

if __name__ == "__main__":
    unittest.main()
