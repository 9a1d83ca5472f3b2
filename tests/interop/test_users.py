# SPDX-License-Identifier: Apache-2.0
"""The users extension, spoken by hand: the connections of one user are one entry of the
users list, and one join and one leave for a connection that said hello with "users";
a connection that did not is told of each connection, as an sgcWebSockets client is."""

import unittest

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, MEMBER_NEW, MEMBER_REMOVE, PresenceTestCase,
    frame)

HELLO = "ext@presence@hello"
GET_USERS = "ext@presence@get@users"
USERS = "ext@presence@users"


class UsersCase(PresenceTestCase):

    async def watcher(self, name, hello=None, others=()):
        """Joined and in "room"; with `hello` it said hello with it first."""
        c = await self.connect(name)
        if hello:
            await c.send(frame(HELLO, text=hello))
            answer = await c.recv()
            self.assertEqual(answer["method"], HELLO)
            self.assertIn(hello, answer["message"]["text"].split(","))
        await c.join(name, others=others)
        await c.subscribe("room", others=others)
        return c

    async def tab(self, user, info, plain):
        """A connection of `user`, joined and in "room"; `plain` reads its two announcements."""
        c = await self.connect(user)
        c.member = {"id": c.session_id, "name": user, "info": info, "user": user}
        await c.send(frame(MEMBER_NEW, member=c.member))
        await c.expect(frame(MEMBER_NEW, member=c.member))
        await c.send(c.request(CHANNEL_MEMBER_NEW, channel="room"))
        await c.expect(frame(CHANNEL_MEMBER_NEW, member=c.member, channel="room"))
        await plain.expect(frame(MEMBER_NEW, member=c.member))
        await plain.expect(frame(CHANNEL_MEMBER_NEW, member=c.member, channel="room"))
        return c

    async def left(self, tab, plain):
        """`tab` closes; `plain` reads its two departures."""
        await tab.close()
        await plain.expect(frame(CHANNEL_MEMBER_REMOVE, member=tab.member, channel="room"))
        await plain.expect(frame(MEMBER_REMOVE, member=tab.member))

    async def users_of(self, c):
        """The users list of "room"; every frame sent to `c` before it was read first."""
        await c.send(c.request(GET_USERS, channel="room"))
        got = await c.recv()
        self.assertEqual(got["method"], USERS, got)
        return got["users"]


class Users(UsersCase):

    SERVER_ARGS = ("--user-leave-grace", "0")

    async def test_three_connections_of_one_user_are_one_join_one_entry_and_one_leave(self):
        users = await self.watcher("users", hello="users")
        plain = await self.watcher("plain", others=[users])
        tabs = [await self.tab("alice", f"tab {i}", plain) for i in (1, 2, 3)]
        first = tabs[0].member
        await users.expect(frame(MEMBER_NEW, member=first))
        await users.expect(frame(CHANNEL_MEMBER_NEW, member=first, channel="room"))

        listed = await self.users_of(users)
        by_user = {entry.get("user"): entry["members"] for entry in listed}
        self.assertEqual(by_user["alice"], [
            {"id": t.member["id"], "name": "alice", "info": t.member["info"]}
            for t in sorted(tabs, key=lambda t: t.member["id"])])
        self.assertEqual(len(listed), 3)  # alice, and each watcher on its own
        self.assertTrue(all("user" not in m for entry in listed for m in entry["members"]))

        await self.left(tabs[0], plain)
        await self.left(tabs[1], plain)
        self.assertEqual(len(await self.users_of(users)), 3)  # nothing came before it
        await self.left(tabs[2], plain)
        last = tabs[2].member
        await users.expect(frame(CHANNEL_MEMBER_REMOVE, member=last, channel="room"))
        await users.expect(frame(MEMBER_REMOVE, member=last))
        self.assertEqual(len(await self.users_of(users)), 2)


class DebouncedLeaves(UsersCase):

    # An hour: a leave can only be told by the clock, so never within the test.
    SERVER_ARGS = ("--user-leave-grace", "3600")

    async def test_a_reload_within_the_grace_is_not_told(self):
        users = await self.watcher("users", hello="users")
        plain = await self.watcher("plain", others=[users])
        page = await self.tab("bob", "page", plain)
        await users.expect(frame(MEMBER_NEW, member=page.member))
        await users.expect(frame(CHANNEL_MEMBER_NEW, member=page.member, channel="room"))
        await self.left(page, plain)
        reloaded = await self.tab("bob", "page", plain)
        listed = await self.users_of(users)
        self.assertIn({"user": "bob", "members": [
            {"id": reloaded.member["id"], "name": "bob", "info": "page"}]}, listed)


class LeavesWithALongDiffInterval(UsersCase):

    # A leave waits out its grace, not the diff interval: with a minute between diffs it
    # still comes within the test's wait.
    SERVER_ARGS = ("--user-leave-grace", "0.2", "--diff-interval", "60")

    async def test_a_leave_is_told_at_the_end_of_its_grace(self):
        users = await self.watcher("users", hello="users")
        plain = await self.watcher("plain", others=[users])
        page = await self.tab("carol", "page", plain)
        await users.expect(frame(MEMBER_NEW, member=page.member))
        await users.expect(frame(CHANNEL_MEMBER_NEW, member=page.member, channel="room"))
        await self.left(page, plain)
        await users.expect(frame(CHANNEL_MEMBER_REMOVE, member=page.member, channel="room"))
        await users.expect(frame(MEMBER_REMOVE, member=page.member))


if __name__ == "__main__":
    unittest.main()
