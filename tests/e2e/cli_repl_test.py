#!/usr/bin/env python3
"""End-to-end test of the CLI against `cria serve`: create, list, show, ps, cp, rm,
stop, `run` with a prompt, and the interactive REPL driven in a pseudo-terminal
(a question, /set parameter, a \"\"\" multi-line prompt, /bye). Also `cria run` starting
a server itself when none answers.

Usage: cli_repl_test.py CRIA_BIN SOURCE_DIR
"""
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BIN = SOURCE = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with_env(key_value):
    """Pids of processes whose environment holds key_value (ours: a unique temp dir)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if key_value.encode() in f.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            pass
    return pids


class Pty:
    """A child process on a pseudo-terminal, read with a deadline."""

    def __init__(self, args, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(args[0], args, env)
        self.out = b""

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, pattern, timeout=30):
        deadline = time.time() + timeout
        rx = re.compile(pattern.encode(), re.S)
        while time.time() < deadline:
            m = rx.search(self.out)
            if m:
                self.out = self.out[m.end():]
                return m
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    self.out += os.read(self.fd, 4096)
                except OSError:
                    break
        raise AssertionError(f"timed out waiting for {pattern!r}; output so far: {self.out!r}")

    def wait(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                select.select([self.fd], [], [], 0.1)
                os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        raise AssertionError("the process did not exit")


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.mkdtemp(prefix="cria-cli-")
        cls.env = dict(os.environ, HOME=cls.home, OLLAMA_MODELS=os.path.join(cls.home, "models"),
                       OLLAMA_HOST=f"127.0.0.1:{free_port()}", TERM="dumb")
        cls.log = open(os.path.join(cls.home, "serve.log"), "w")
        cls.server = subprocess.Popen([BIN, "serve"], env=cls.env, stdout=cls.log, stderr=cls.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if cls.cria("list").returncode == 0:
                break
            time.sleep(0.1)
        shutil.copy(os.path.join(SOURCE, "models", "stories260K.gguf"), cls.home)
        with open(os.path.join(cls.home, "Modelfile"), "w") as f:
            f.write("# a tiny story model\nFROM ./stories260K.gguf\n"
                    "PARAMETER num_ctx 256\nPARAMETER temperature 0\nPARAMETER num_predict 40\n"
                    'SYSTEM """\nYou tell stories.\n"""\n')

    @classmethod
    def tearDownClass(cls):
        cls.server.send_signal(signal.SIGTERM)
        cls.server.wait(timeout=20)
        cls.log.close()
        shutil.rmtree(cls.home, ignore_errors=True)

    @classmethod
    def cria(cls, *args, env=None, input=None):
        return subprocess.run([BIN, *args], env=env or cls.env, cwd=cls.home, input=input,
                              capture_output=True, text=True, timeout=120)

    def test_1_create_list_show(self):
        r = self.cria("create", "stories", "-f", "Modelfile")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("success", r.stderr)
        r = self.cria("list")
        self.assertRegex(r.stdout, r"NAME\s+ID\s+SIZE\s+MODIFIED")
        self.assertRegex(r.stdout, r"stories:latest\s+[0-9a-f]{12}\s+1\.2 MB\s+")
        r = self.cria("show", "stories")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"architecture\s+llama")
        self.assertRegex(r.stdout, r"temperature\s+0")
        r = self.cria("show", "stories", "--system")
        self.assertEqual(r.stdout.strip(), "You tell stories.")
        r = self.cria("show", "stories", "--modelfile")
        self.assertIn("FROM ", r.stdout)
        r = self.cria("show", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not found", r.stderr)

    def test_2_run_prompt_ps_stop(self):
        r = self.cria("run", "stories", "Once upon a time")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(len(r.stdout.strip()), 10)
        piped = self.cria("run", "stories", input="Once upon a time")
        self.assertEqual(piped.stdout, r.stdout, "piped stdin is the same prompt")
        r = self.cria("ps")
        self.assertRegex(r.stdout, r"NAME\s+ID\s+SIZE\s+PROCESSOR\s+CONTEXT\s+UNTIL")
        self.assertRegex(r.stdout, r"stories:latest\s+[0-9a-f]{12}\s+.*100% CPU\s+256\s+\d+ minutes from now")
        self.assertEqual(self.cria("stop", "stories").returncode, 0)
        self.assertNotIn("stories", self.cria("ps").stdout)

    def test_3_repl(self):
        p = Pty([BIN, "run", "stories", "--verbose"], self.env)
        p.expect(r">>> ")
        p.send("Once upon a time\n")
        p.expect(r"eval rate:\s+[\d.]+ tokens/s")
        p.expect(r">>> ")
        p.send("/set parameter temperature 0\n")
        p.expect(r"Set parameter 'temperature' to '0'")
        p.expect(r">>> ")
        p.send('"""Lily went\n')
        p.expect(r"\.\.\. ")
        p.send('to the park"""\n')
        p.expect(r"total duration:")
        p.expect(r">>> ")
        p.send("/show system\n")
        p.expect(r"You tell stories\.")
        # Ctrl+C stops an endless answer and returns to the prompt.
        p.send("/set parameter num_predict -1\n")
        p.expect(r"Set parameter 'num_predict' to '-1'")
        p.send("Once upon a time\n")
        p.expect(r"\w+ \w+ \w+")
        p.send("\x03")
        p.expect(r">>> ", timeout=20)
        p.send("/set parameter num_predict 8\n")
        p.expect(r"Set parameter 'num_predict' to '8'")
        p.send("/save mystory\n")
        p.expect(r"Created new model 'mystory'")
        p.send("/load mystory\n")
        p.expect(r"Loading model 'mystory'")
        p.send("/bye\n")
        self.assertEqual(p.wait(), 0)
        history = os.path.join(self.home, ".ollama", "history")
        with open(history) as f:
            self.assertIn("Once upon a time", f.read())
        self.assertIn("mystory:latest", self.cria("list").stdout)
        r = self.cria("show", "mystory", "--parameters")
        self.assertRegex(r.stdout, r"num_predict\s+8")

    def test_4_cp_rm(self):
        self.assertEqual(self.cria("cp", "stories", "tales").returncode, 0)
        self.assertIn("tales:latest", self.cria("list").stdout)
        r = self.cria("rm", "tales")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("deleted 'tales'", r.stdout)
        self.assertNotIn("tales", self.cria("list").stdout)
        self.assertIn("stories:latest", self.cria("list").stdout)

    def test_5_run_starts_a_server(self):
        home = tempfile.mkdtemp(prefix="cria-autostart-")
        models = os.path.join(home, "models")
        env = dict(self.env, HOME=home, OLLAMA_MODELS=models,
                   OLLAMA_HOST=f"127.0.0.1:{free_port()}")
        try:
            gguf = os.path.join(SOURCE, "models", "stories260K.gguf")
            p = Pty([BIN, "run", gguf], env)
            p.expect(r">>> ")
            p.send("/set parameter num_predict 16\n")
            p.expect(r"Set parameter 'num_predict' to '16'")
            p.send("Once upon a time\n")
            p.expect(r"\w+.*>>> ")
            p.send("/bye\n")
            self.assertEqual(p.wait(), 0)
            self.assertFalse(os.path.exists(os.path.join(models, "manifests")),
                             "running a GGUF file does not import it")
            self.assertTrue(processes_with_env(f"OLLAMA_MODELS={models}"), "a server was started")
        finally:
            for pid in processes_with_env(f"OLLAMA_MODELS={models}"):
                os.kill(pid, signal.SIGTERM)
            deadline = time.time() + 10
            while processes_with_env(f"OLLAMA_MODELS={models}") and time.time() < deadline:
                time.sleep(0.1)
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    BIN, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
