# SPDX-License-Identifier: Apache-2.0
"""How much memory one hostile connection makes a presence-server hold: the server's
resident set before and after, for two clients that only grow per-connection state.

  ids     a connection that never joins and sends 1,100 requests whose ids are as long
          as a frame allows, so that the server remembers each id (for acknowledgment);
  no-ack  with --ack: a member that, for --seconds, publishes large messages to every
          member, reads what it is sent, and acknowledges none of it.

    python3 bench/hostile_state.py [--server build/src/tools/presence-server] [--seconds 4]

Each scenario runs against a fresh server on a free port of 127.0.0.1 and prints one line:
the RSS before, after, its growth and its peak, and whether the server closed the
connection.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import time

import websockets

PROTOCOL = "presence.esegece.com"
# Below the server's default request rate (200 per second), so that no request is refused
# for the rate and the connection is not closed for that.
PACE = 1 / 180


def rss_kib(pid, field="VmRSS"):
    """The resident set of `pid` (VmRSS), or its peak so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start(server, *args):
    proc = subprocess.Popen([server, "--host", "127.0.0.1", "--port", "0", "--log-level", "error", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    line = proc.stdout.readline().decode()
    port = re.search(r":(\d+)$", line.strip())
    if not port:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, f"ws://127.0.0.1:{port.group(1)}/"


async def drain(ws, counts):
    try:
        async for _ in ws:
            counts["frames"] += 1
    except websockets.exceptions.ConnectionClosed:
        pass


async def long_ids(url, seconds):
    """1,100 requests with ids of nearly 64 KiB: more than the server remembers."""
    async with websockets.connect(url, subprotocols=[PROTOCOL], max_size=None, ping_interval=None,
                                  compression=None) as ws:
        counts = {"frames": 0}
        reader = asyncio.ensure_future(drain(ws, counts))
        n = 0
        try:
            while n < 1100:
                n += 1
                body = {"jsonrpc": "2.0", "method": "sgc@presence@get@members",
                        "id": f"{n:08d}" + "x" * 65000}
                await ws.send(json.dumps(body))
                await asyncio.sleep(PACE)
        except websockets.exceptions.ConnectionClosed:
            pass
        deadline = time.monotonic() + 60
        while not ws.closed and counts["frames"] < 2 * n and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        closed = ws.closed
        reader.cancel()
        return closed, ws.close_code, f"{n} requests sent, {counts['frames']} frames received"


async def never_acknowledge(url, seconds):
    """A member that publishes 60 KiB to every member and never acknowledges."""
    async with websockets.connect(url, subprotocols=[PROTOCOL], max_size=None, ping_interval=None,
                                  compression=None) as ws:
        sent = 0
        session = json.loads(await ws.recv())["message"]["text"]
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "sgc@presence@member@new",
                                  "member": {"id": session, "name": "x", "info": ""}}))
        counts = {"frames": 0}
        reader = asyncio.ensure_future(drain(ws, counts))
        text = "y" * 60000
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                await ws.send(json.dumps({"jsonrpc": "2.0", "method": "sgc@presence@publish@msg",
                                          "channel": {"name": ""}, "message": {"text": text}}))
                sent += 1
                await asyncio.sleep(PACE)
        except websockets.exceptions.ConnectionClosed:
            pass
        await asyncio.sleep(0.5)
        closed = ws.closed
        reader.cancel()
        return closed, ws.close_code, f"{sent} publishes sent"


def run(name, server, args, scenario, seconds):
    proc, url = start(server, *args)
    try:
        time.sleep(0.3)
        before = rss_kib(proc.pid)
        closed, code, sent = asyncio.run(scenario(url, seconds))
        after, peak = rss_kib(proc.pid), rss_kib(proc.pid, "VmHWM")
        print(f"{name:7} RSS before {before / 1024:7.1f} MiB, after {after / 1024:7.1f} MiB, "
              f"growth {(after - before) / 1024:7.1f} MiB, peak {peak / 1024:7.1f} MiB; connection "
              + (f"closed by the server ({code})" if closed else "still open") + f"; {sent}")
    finally:
        proc.kill()
        proc.wait()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.path.join(here, "..", "build", "src", "tools", "presence-server"))
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("extra", nargs="*", help="more presence-server options for both scenarios")
    options = parser.parse_args()
    run("ids", options.server, options.extra, long_ids, options.seconds)
    run("no-ack", options.server, ["--ack", *options.extra], never_acknowledge, options.seconds)


if __name__ == "__main__":
    main()
