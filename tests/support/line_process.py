# SPDX-License-Identifier: Apache-2.0
"""A child process driven through its standard input and output, line by line, for the
tests of our programs (tests/tools, tests/examples). Every wait is bounded by WAIT."""

import queue
import re
import signal
import subprocess
import threading
import unittest

WAIT = 10  # seconds; bounds each wait, never a pass criterion


class Process:
    """A child process whose output lines arrive on a queue, as they are printed. `popen`:
    more arguments of subprocess.Popen (env; stderr=subprocess.STDOUT for its lines too)."""

    def __init__(self, args, **popen):
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, **popen)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self):
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"{self.args[0]}: no output in time; so far:\n" + "\n".join(self.seen))
        if line is None:
            raise AssertionError(f"{self.args[0]}: output ended; so far:\n" + "\n".join(self.seen))
        self.seen.append(line)
        return line

    def expect_line(self, wanted):
        """Reads lines until one equals `wanted`."""
        while (line := self.next_line()) != wanted:
            pass
        return line

    def expect_prefix(self, prefix):
        """Reads lines until one starts with `prefix`."""
        while not (line := self.next_line()).startswith(prefix):
            pass
        return line

    def expect_match(self, pattern):
        """Reads lines until one matches the regular expression `pattern` whole."""
        while not re.fullmatch(pattern, line := self.next_line()):
            pass
        return line

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def end_input(self):
        self.proc.stdin.close()

    def interrupt(self):
        """Ctrl-C."""
        self.proc.send_signal(signal.SIGINT)

    def exit_code(self):
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.args[0]} did not exit; output:\n" + "\n".join(self.seen))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if not stream.closed:
                stream.close()


class ProcessTest(unittest.TestCase):
    """Kills every process it started at the end of each test."""

    def setUp(self):
        self.processes = []

    def tearDown(self):
        for p in reversed(self.processes):
            p.kill()

    def start(self, kind, *args, **kwargs):
        process = kind(*args, **kwargs)
        self.processes.append(process)
        return process
