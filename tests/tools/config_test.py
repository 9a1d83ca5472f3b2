#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""presence-server's configuration: the TOML file of --config, the PRESENCE_* environment
variables, the flags, their precedence, --print-config, and the errors of each source.

Run by ctest with PRESENCE_SERVER and PRESENCE_CLI naming the binaries and
PRESENCE_EXAMPLE_CONFIG the example deploy/presence.toml. Each server runs in an
environment without the PRESENCE_* variables of this one (ctest's own among them) but those
a test gives it; every wait is bounded.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import tomllib
import unittest

SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")
CLI = os.environ.get("PRESENCE_CLI", "presence-cli")
EXAMPLE = os.environ["PRESENCE_EXAMPLE_CONFIG"]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)

# What only the command line gives.
NOT_IN_FILES = ("help", "version", "config", "print-config")
SECRETS = ("auth-hs256-secret", "admin-api-key", "webhook-secret")


def environment(**variables):
    """This process's environment without its PRESENCE_* variables, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    env.update(variables)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConfigTest(ProcessTest):
    """Runs presence-server in a temporary directory, where `write` puts its files."""

    def setUp(self):
        super().setUp()
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.dir = directory.name

    def write(self, text, name="presence.toml"):
        with open(os.path.join(self.dir, name), "w", encoding="utf-8") as f:
            f.write(text)
        return name

    def run_server(self, *args, env=None):
        return subprocess.run([SERVER, *args], cwd=self.dir, env=environment(**(env or {})),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT)

    def printed(self, *args, env=None):
        """What --print-config prints; it starts no server."""
        done = self.run_server(*args, "--print-config", env=env)
        self.assertEqual((done.returncode, done.stderr), (0, ""))
        self.assertNotIn("listening", done.stdout)
        return done.stdout

    def settings(self, *args, env=None):
        """The options --print-config sets, as another TOML reader than ours reads them."""
        return tomllib.loads(self.printed(*args, env=env))

    def refused(self, *args, env=None):
        """The one line of a start refused with status 2, before listening."""
        done = self.run_server(*args, env=env)
        self.assertEqual((done.returncode, done.stdout), (2, ""), done.stderr)
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, done.stderr)
        return lines[0]

    def file_refused(self, text):
        self.write(text)
        return self.refused("--config", "presence.toml")


class Precedence(ConfigTest):
    """Flags, then the environment, then the file, then the defaults."""

    def test_the_file_sets_what_it_names_and_leaves_the_defaults(self):
        self.write("port = 1111\nmax-message-bytes = 1000\n")
        settings, defaults = self.settings("--config", "presence.toml"), self.settings()
        self.assertEqual((settings["port"], settings["max-message-bytes"]), (1111, 1000))
        self.assertEqual((defaults["port"], defaults["max-message-bytes"]), (8080, 65536))
        for name in ("port", "max-message-bytes"):
            del settings[name], defaults[name]
        self.assertEqual(settings, defaults)

    def test_the_environment_wins_over_the_file(self):
        self.write("port = 1111\n")
        settings = self.settings("--config", "presence.toml", env={"PRESENCE_PORT": "2222"})
        self.assertEqual(settings["port"], 2222)

    def test_a_flag_wins_over_the_environment(self):
        self.assertEqual(self.settings("--port", "3333", env={"PRESENCE_PORT": "2222"})["port"], 3333)

    def test_a_flag_wins_over_the_file(self):
        self.write("port = 1111\n")
        self.assertEqual(self.settings("--config", "presence.toml", "--port", "3333")["port"], 3333)

    def test_each_option_from_the_first_source_that_sets_it(self):
        self.write("port = 1111\nmax-message-bytes = 1000\nmax-info-bytes = 10\n")
        settings = self.settings("--config", "presence.toml", "--port", "3333",
                                 env={"PRESENCE_PORT": "2222", "PRESENCE_MAX_MESSAGE_BYTES": "2000"})
        self.assertEqual([settings[name] for name in ("port", "max-message-bytes", "max-info-bytes", "max-name-bytes")],
                         [3333, 2000, 10, 256])

    def test_a_list_comes_whole_from_one_source(self):
        self.write('namespace = ["f1", "f2"]\n')
        variables = {"PRESENCE_NAMESPACE": "e1, e2"}
        self.assertEqual(self.settings("--config", "presence.toml")["namespace"], ["f1", "f2"])
        self.assertEqual(self.settings("--config", "presence.toml", env=variables)["namespace"], ["e1", "e2"])
        self.assertEqual(self.settings("--config", "presence.toml", "--namespace", "c1", "--namespace", "c2",
                                       env=variables)["namespace"], ["c1", "c2"])

    def test_presence_config_names_the_file_and_config_wins_over_it(self):
        self.write("port = 1111\n", "a.toml")
        self.write("port = 2222\n", "b.toml")
        self.assertEqual(self.settings(env={"PRESENCE_CONFIG": "a.toml"})["port"], 1111)
        self.assertEqual(self.settings("--config", "b.toml", env={"PRESENCE_CONFIG": "a.toml"})["port"], 2222)

    def test_the_server_listens_on_the_port_of_the_first_source(self):
        from_file, from_environment, from_flag = free_port(), free_port(), free_port()
        self.write(f"host = \"127.0.0.1\"\nport = {from_file}\n")
        environment_port = {"PRESENCE_PORT": str(from_environment)}
        for variables, flags, port in (({}, [], from_file),
                                       (environment_port, [], from_environment),
                                       (environment_port, ["--port", str(from_flag)], from_flag)):
            server = self.start(Process, [SERVER, "--config", os.path.join(self.dir, "presence.toml"), *flags],
                                env=environment(**variables))
            self.assertEqual(server.next_line(), f"presence-server listening on 127.0.0.1:{port}")
            server.kill()


class Sources(ConfigTest):
    def test_an_option_in_a_table_of_its_first_word_or_under_its_whole_name(self):
        tables = self.write('[webhook]\nmax-attempts = 7\nurl = "http://127.0.0.1:9/h"\n'
                            '[heartbeat]\ninterval = 2.5\n[redis]\nprefix = "p:"\n'
                            '[admin]\naddress = "127.0.0.1:9090"\n', "tables.toml")
        flat = self.write('webhook-max-attempts = 7\nwebhook-url = "http://127.0.0.1:9/h"\nheartbeat-interval = 2.5\n'
                          'redis-prefix = "p:"\nadmin-address = "127.0.0.1:9090"\n', "flat.toml")
        dotted = self.write('webhook.max-attempts = 7\nwebhook.url = "http://127.0.0.1:9/h"\nheartbeat.interval = 2.5\n'
                            'redis.prefix = "p:"\nadmin.address = "127.0.0.1:9090"\n', "dotted.toml")
        settings = self.settings("--config", tables)
        self.assertEqual([settings[name] for name in ("webhook-max-attempts", "webhook-url", "heartbeat-interval",
                                                      "redis-prefix", "admin-address")],
                         [7, "http://127.0.0.1:9/h", 2.5, "p:", "127.0.0.1:9090"])
        self.assertEqual(self.settings("--config", flat), settings)
        self.assertEqual(self.settings("--config", dotted), settings)

    def test_toml_types(self):
        self.write('ack = true\nbase64 = true\nmetrics = false\nack-interval = 60\nack-timeout = 0.25\n'
                   'namespace = ["a", "b"]\nlog-level = "debug"\n')
        settings = self.settings("--config", "presence.toml")
        self.assertEqual([settings[name] for name in ("ack", "base64", "metrics", "ack-interval", "ack-timeout",
                                                      "namespace", "log-level")],
                         [True, True, False, 60, 0.25, ["a", "b"], "debug"])
        self.write('namespace = "one"\nack = false\n')
        settings = self.settings("--config", "presence.toml")
        self.assertEqual((settings["namespace"], settings["ack"]), (["one"], False))

    def test_environment_variables(self):
        settings = self.settings(env={"PRESENCE_ACK": "1", "PRESENCE_METRICS": "false",
                                      "PRESENCE_HEARTBEAT_INTERVAL": "0.5", "PRESENCE_LOG_FORMAT": "json",
                                      "PRESENCE_WEBHOOK_URL": "http://127.0.0.1:9/h", "PRESENCE_HOST": "::1"})
        self.assertEqual([settings[name] for name in ("ack", "metrics", "heartbeat-interval", "log-format",
                                                      "webhook-url", "host")],
                         [True, False, 0.5, "json", "http://127.0.0.1:9/h", "::1"])

    def test_variables_that_name_no_option_are_ignored(self):
        ignored = {"PRESENCE_SERVER": "x", "PRESENCE_VERSION": "9", "PRESENCE_HELP": "1", "PRESENCE_PRINT_CONFIG": "1",
                   "PRESENCE_NODE": "x", "PRESENCE_port": "1", "PRESENCE_Port": "1", "PRESENCE_": "x",
                   "PRESENCE_MAX-MESSAGE-BYTES": "1"}
        self.assertEqual(self.printed(env=ignored), self.printed())

    def test_the_hs256_secret_from_the_environment_requires_tokens(self):
        for variables, first_event in (({}, "session"), ({"PRESENCE_AUTH_HS256_SECRET": "s3cret"}, "error")):
            server = self.start(Process, [SERVER, "--host", "127.0.0.1", "--port", "0"], env=environment(**variables))
            port = int(server.next_line().rsplit(":", 1)[1])
            cli = self.start(Process, [CLI, "--url", f"ws://127.0.0.1:{port}", "--name", "alice", "--json"])
            cli.expect_match(r'\{"event":"(session|error)".*')
            self.assertEqual(json.loads(cli.seen[-1])["event"], first_event)


class PrintConfig(ConfigTest):
    def test_every_option_of_help_in_its_order(self):
        help_text = self.run_server("--help").stdout
        options = [name for name in re.findall(r"^  (?:-\w \[ )?--([a-z0-9-]+)", help_text, re.M)
                   if name not in NOT_IN_FILES]
        printed = re.findall(r"^(?:# )?([a-z0-9-]+)(?: = |: not set$)", self.printed(), re.M)
        self.assertGreater(len(options), 40)
        self.assertEqual(printed, options)

    def test_what_it_prints_loads_back_to_the_same(self):
        first = self.printed("--port", "0", "--namespace", "a", "--namespace", 'b "q" \\ caf\u00e9', "--ack",
                             "--heartbeat-interval", "0.1", "--max-requests-per-second", "0.3",
                             "--auth-public-channels", "lobby, pub-*", "--log-format", "json", "--node-id", "",
                             "--metrics", "false")
        self.write(first)
        self.assertEqual(self.printed("--config", "presence.toml"), first)
        settings = tomllib.loads(first)
        self.assertEqual([settings[name] for name in ("port", "namespace", "ack", "heartbeat-interval",
                                                      "max-requests-per-second", "node-id", "metrics")],
                         [0, ["a", 'b "q" \\ caf\u00e9'], True, 0.1, 0.3, "", False])

    def test_secrets_are_said_to_be_set_never_shown(self):
        self.write('[admin]\napi-key = "k3y-in-the-file"\n')
        variables = {"PRESENCE_AUTH_HS256_SECRET": "s3cret-in-the-environment"}
        first = self.printed("--config", "presence.toml", "--webhook-secret", "w3bhook-flag", env=variables)
        for secret in ("k3y-in-the-file", "s3cret-in-the-environment", "w3bhook-flag"):
            self.assertNotIn(secret, first)
        for name in SECRETS:
            self.assertIn(f"\n# {name}: set, not shown\n", first)
            self.assertIn(f"\n# {name}: not set\n", self.printed())
        # Secrets given by the environment again, the rest by the printed file: the same.
        self.write(first, "printed.toml")
        self.assertEqual(self.printed("--config", "printed.toml", "--webhook-secret", "w3bhook-flag",
                                      env={**variables, "PRESENCE_ADMIN_API_KEY": "k"}), first)


class Example(ConfigTest):
    def test_the_example_loads(self):
        settings = self.settings("--config", EXAMPLE)
        self.assertEqual((settings["host"], settings["port"]), ("0.0.0.0", 8080))

    def test_its_commented_settings_are_valid_name_every_option_and_show_the_defaults(self):
        with open(EXAMPLE, encoding="utf-8") as f:
            example = f.read()
        self.write(re.sub(r"(?m)^#([a-z0-9-]+ = )", r"\1", example))
        printed = self.printed("--config", "presence.toml")
        self.assertNotIn(": not set", printed)
        settings, defaults = tomllib.loads(printed), self.settings()
        for name, default in defaults.items():
            if name != "host":
                self.assertEqual(settings[name], default, name)


class Errors(ConfigTest):
    """A bad value, whatever its source, stops the start with status 2 and one line naming it."""

    def test_a_value_of_the_wrong_type_names_the_file_line_and_key(self):
        self.assertEqual(self.file_refused('port = 8080\n\n[webhook]\nmax-attempts = "five"\n'),
                         'presence-server: presence.toml:4: [webhook] max-attempts: '
                         'expected a whole number of at least 0, got "five"')
        for text, message in (
                ('port = "8080"', 'port: expected a whole number from 0 to 65535, got "8080"'),
                ("port = 70000", "port: expected a whole number from 0 to 65535, got 70000"),
                ("max-message-bytes = -1", "max-message-bytes: expected a whole number of at least 0, got -1"),
                ("webhook-max-attempts = 2.5", "webhook-max-attempts: expected a whole number of at least 0, got 2.5"),
                ("heartbeat.interval = -1.5", "[heartbeat] interval: expected a number of at least 0, got -1.5"),
                ("ack-timeout = inf", "ack-timeout: expected a number of at least 0, got inf"),
                ('ack = "yes"', 'ack: expected true or false, got "yes"'),
                ("engine = 1", "engine: expected a string, got 1"),
                ('log-level = "verbose"', 'log-level: expected one of error, warning, info, debug, got "verbose"'),
                ('namespace = ["a", 2]', "namespace: expected a string or an array of strings, got [")):
            with self.subTest(text):
                line = self.file_refused(text + "\n")
                self.assertTrue(line.startswith(f"presence-server: presence.toml:1: {message}"), line)

    def test_an_unknown_option(self):
        self.assertEqual(self.file_refused("prot = 8080\n"),
                         'presence-server: presence.toml:1: prot: unknown option "prot"')
        self.assertEqual(self.file_refused('[webhook]\nur = "x"\n'),
                         'presence-server: presence.toml:2: [webhook] ur: unknown option "webhook-ur"')

    def test_what_only_the_command_line_gives(self):
        for name in NOT_IN_FILES:
            with self.subTest(name):
                self.assertEqual(self.file_refused(f"{name} = true\n"),
                                 f"presence-server: presence.toml:1: {name}: only on the command line")

    def test_an_option_set_twice(self):
        self.assertIn("webhook-url is set twice in the file",
                      self.file_refused('webhook-url = "http://a/"\n[webhook]\nurl = "http://b/"\n'))

    def test_toml_that_is_not(self):
        self.assertTrue(self.file_refused("port = 8080\nhost = \n").startswith("presence-server: presence.toml:2:"))

    def test_a_file_it_cannot_read(self):
        self.assertEqual(self.refused("--config", "missing.toml"),
                         "presence-server: missing.toml: cannot read it: No such file or directory")
        self.assertEqual(self.refused("--config", "."), "presence-server: .: cannot read it: Is a directory")
        self.assertEqual(self.refused(env={"PRESENCE_CONFIG": "missing.toml"}),
                         "presence-server: missing.toml: cannot read it: No such file or directory")

    def test_a_whole_source_is_checked_even_where_another_wins(self):
        self.assertIn("port: expected", self.file_refused('port = "x"\n'))
        self.assertIn("port: expected", self.refused("--config", "presence.toml", "--port", "1"))
        self.assertIn("PRESENCE_PORT: expected", self.refused("--port", "1", env={"PRESENCE_PORT": "x"}))

    def test_environment_variables(self):
        for variable, value, message in (
                ("PRESENCE_PORT", "abc", 'expected a whole number from 0 to 65535, got "abc"'),
                ("PRESENCE_PORT", "", 'expected a whole number from 0 to 65535, got ""'),
                ("PRESENCE_MAX_MESSAGE_BYTES", "-1", 'expected a whole number of at least 0, got "-1"'),
                ("PRESENCE_ACK", "maybe", 'expected true or false, got "maybe"'),
                ("PRESENCE_LOG_FORMAT", "xml", 'expected one of text, json, got "xml"')):
            with self.subTest(variable=variable, value=value):
                self.assertEqual(self.refused(env={variable: value}),
                                 f"presence-server: environment {variable}: {message}")

    def test_flags(self):
        done = self.run_server("--max-message-bytes=-1")
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr.splitlines()[0],
                         'presence-server: --max-message-bytes: expected a whole number of at least 0, got "-1"')
        done = self.run_server("--prot", "1")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--prot", done.stderr.splitlines()[0])

    def test_the_diff_interval_is_at_most_a_minute_from_every_source(self):
        expected = "expected a number from 0 to 60, got"
        for flag, given in (("--diff-interval=100", '"100"'), ("--diff-interval=-0.1", '"-0.1"'),
                            ("--diff-interval=60.5", '"60.5"')):
            with self.subTest(flag):
                done = self.run_server(flag)
                self.assertEqual(done.returncode, 2)
                self.assertEqual(done.stderr.splitlines()[0], f"presence-server: --diff-interval: {expected} {given}")
        self.assertEqual(self.file_refused("diff-interval = 61\n"),
                         f"presence-server: presence.toml:1: diff-interval: {expected} 61")
        self.assertEqual(self.refused(env={"PRESENCE_DIFF_INTERVAL": "1000"}),
                         f'presence-server: environment PRESENCE_DIFF_INTERVAL: {expected} "1000"')
        self.assertEqual(self.settings("--diff-interval", "60")["diff-interval"], 60)

    def test_help_and_version_answer_whatever_the_other_sources_say(self):
        for flag in ("--help", "--version"):
            done = self.run_server(flag, env={"PRESENCE_PORT": "x", "PRESENCE_CONFIG": "missing.toml"})
            self.assertEqual((done.returncode, done.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
