# SPDX-License-Identifier: Apache-2.0
"""The server's heartbeat: a member whose peer vanished without closing (a pulled cable,
played by the fault proxy) is found by the unanswered ping and its departure announced;
a quiet member that answers pings stays."""

import asyncio
import subprocess
import unittest

from presence_harness import (
    GET_MEMBERS, MEMBER_REMOVE, SEND_MEMBERS, START_TIMEOUT, PresenceTestCase, frame,
    server_path)


class Heartbeat(PresenceTestCase):

    # alice is found within interval + timeout of silence; bob and carol have the timeout
    # to answer each ping, a wide margin on a loaded machine.
    SERVER_ARGS = ("--heartbeat-interval", "0.5", "--heartbeat-timeout", "3")
    FOUND = 30.0  # a bound on the wait for alice's removal, not a measured threshold

    async def test_a_vanished_member_is_removed_and_a_quiet_one_stays(self):
        proxy = self.fault_proxy()
        a = await self.connect("alice", url=proxy.url)
        await a.join("alice")
        b = await self.joined("bob", others=[a])
        c = await self.joined("carol", others=[a, b])
        # From here on carol sends nothing herself: her client only answers the pings.
        await asyncio.to_thread(proxy.stall)
        await b.expect(frame(MEMBER_REMOVE, member=a.member), timeout=self.FOUND)
        await c.expect(frame(MEMBER_REMOVE, member=a.member), timeout=self.FOUND)
        # alice's removal took an interval and a timeout of her silence; carol was as
        # silent and was pinged too, so she answered at least one ping to still be here.
        await c.send(c.request(GET_MEMBERS, channel=""))
        answer = await c.recv()
        self.assertEqual(answer.get("method"), SEND_MEMBERS, answer)
        self.assertCountEqual(answer["members"], [b.member, c.member])
        # alice's client never learns; it is cut loose here rather than left waiting for a
        # closing handshake that cannot come (nor asked to sync with the other node).
        a.ws.transport.abort()
        self.clients.remove(a)
        await b.barrier()


class HeartbeatOptions(unittest.TestCase):

    def test_a_timeout_of_zero_with_heartbeats_on_is_refused(self):
        result = subprocess.run(
            [server_path(), "--port", "0", "--heartbeat-interval", "1", "--heartbeat-timeout", "0"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=START_TIMEOUT)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("heartbeat timeout", result.stderr)


if __name__ == "__main__":
    unittest.main()
