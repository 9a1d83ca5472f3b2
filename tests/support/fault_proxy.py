#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A loopback TCP proxy that breaks connections on command, for tests of lost peers.

    fault_proxy.py UPSTREAM_PORT

Listens on 127.0.0.1, any free port, and prints `port N` as its first line. Every
connection it accepts is forwarded to 127.0.0.1:UPSTREAM_PORT. Commands come on standard
input, one a line; each is answered with one line once it is done:

    stall   stop forwarding both ways on every current connection and close nothing: to
            both ends it looks like a pulled cable. Later connections are forwarded.  -> ok
    cut     on every current connection, reset the client's socket (RST) and keep the
            server's open and silent: the client knows, the server does not.        -> ok
    count   how many connections are being forwarded (stalled and cut ones are not).
                                                                                -> count N

End of input or SIGTERM closes everything; the exit status is then 0.

`FaultProxy` below starts and drives it from a test.
"""

import asyncio
import os
import signal
import socket
import struct
import subprocess
import sys
import threading

CHUNK = 64 * 1024  # what one read forwards: the memory a connection holds is bounded


class Link:
    """One client connection and its connection to the upstream server."""

    def __init__(self, proxy, client_reader, client_writer):
        self.proxy = proxy
        self.client = (client_reader, client_writer)
        self.upstream = None
        self.pumps = []
        self.mode = "forwarding"  # or "stalled", "cut"

    def writers(self):
        return [w for w in (self.client[1], self.upstream and self.upstream[1]) if w]

    async def run(self):
        try:
            self.upstream = await asyncio.open_connection("127.0.0.1", self.proxy.upstream_port)
        except OSError:
            self.abort()
            self.proxy.links.discard(self)
            return
        if self.mode != "forwarding":
            # Stalled or cut while connecting: the command applies now.
            await self.break_off(self.mode)
            return
        self.pumps = [asyncio.create_task(self.pump(self.client[0], self.upstream[1])),
                      asyncio.create_task(self.pump(self.upstream[0], self.client[1]))]
        await asyncio.gather(*self.pumps, return_exceptions=True)
        if self.mode == "forwarding":
            self.close()
            self.proxy.links.discard(self)

    async def pump(self, reader, writer):
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            self.abort()

    async def break_off(self, mode):
        """Stops forwarding: `stalled` keeps both sockets, `cut` resets the client's."""
        self.mode = mode
        for pump in self.pumps:
            pump.cancel()
        await asyncio.gather(*self.pumps, return_exceptions=True)
        # Nothing more is read: what the peers send stays in the kernel's buffers.
        for writer in self.writers():
            writer.transport.pause_reading()
        if mode == "cut":
            client = self.client[1]
            sock = client.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.transport.abort()
            try:
                await client.wait_closed()
            except (ConnectionError, OSError):
                pass

    def abort(self):
        for writer in self.writers():
            writer.transport.abort()

    def close(self):
        for writer in self.writers():
            writer.close()


class Proxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.links = set()   # every connection the proxy holds, forwarded or not
        self.server = None

    async def accept(self, reader, writer):
        link = Link(self, reader, writer)
        self.links.add(link)
        try:
            await link.run()
        except asyncio.CancelledError:
            pass  # the proxy is exiting, and has closed the link

    def forwarding(self):
        return [link for link in self.links if link.mode == "forwarding"]

    async def command(self, line):
        if line in ("stall", "cut"):
            mode = "stalled" if line == "stall" else "cut"
            for link in self.forwarding():
                if link.upstream is None:
                    link.mode = mode  # still connecting: run() applies it
                else:
                    await link.break_off(mode)
            return "ok"
        if line == "count":
            return f"count {len(self.forwarding())}"
        return f"error unknown command: {line}"

    def close_all(self):
        if self.server:
            self.server.close()
        for link in list(self.links):
            link.abort()


def read_commands(loop, queue):
    """Standard input, line by line, into `queue`; None at its end. Reads the descriptor,
    not sys.stdin, whose lock would stop the interpreter's exit while this thread waits."""
    pending = b""
    while chunk := os.read(sys.stdin.fileno(), 4096):
        *lines, pending = (pending + chunk).split(b"\n")
        for raw in lines:
            loop.call_soon_threadsafe(queue.put_nowait, raw.decode("utf-8", "replace").strip())
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def main(upstream_port):
    proxy = Proxy(upstream_port)
    proxy.server = await asyncio.start_server(proxy.accept, "127.0.0.1", 0)
    print(f"port {proxy.server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    loop.add_signal_handler(signal.SIGTERM, queue.put_nowait, None)
    threading.Thread(target=read_commands, args=(loop, queue), daemon=True).start()
    while (line := await queue.get()) is not None:
        if line:
            print(await proxy.command(line), flush=True)
    proxy.close_all()
    # The aborted sockets close on the next turns of the loop.
    await asyncio.sleep(0)


class FaultProxy:
    """A fault_proxy.py process in front of 127.0.0.1:`upstream_port`, for tests.
    Use as a context manager, or call stop(); `port` is where clients connect."""

    TIMEOUT = 10.0  # bound on each answer

    def __init__(self, upstream_port):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), str(upstream_port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        try:
            first = self._read_line()
            if not first.startswith("port "):
                raise RuntimeError(f"fault proxy: unexpected first line {first!r}")
            self.port = int(first.split()[1])
        except BaseException:
            self.stop()
            raise

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/"

    def _read_line(self):
        result = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(self.TIMEOUT)
        if not result or not result[0]:
            raise RuntimeError("fault proxy: no answer")
        return result[0].rstrip("\n")

    def _ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read_line()

    def stall(self):
        if self._ask("stall") != "ok":
            raise RuntimeError("fault proxy: stall failed")

    def cut(self):
        if self._ask("cut") != "ok":
            raise RuntimeError("fault proxy: cut failed")

    def count(self):
        answer = self._ask("count")
        if not answer.startswith("count "):
            raise RuntimeError(f"fault proxy: unexpected answer {answer!r}")
        return int(answer.split()[1])

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(self.TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(self.TIMEOUT)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fault_proxy.py UPSTREAM_PORT")
    asyncio.run(main(int(sys.argv[1])))
