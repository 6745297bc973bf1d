#!/usr/bin/env python3
"""End-to-end test of `cria push` / `cria pull` against a real registry: Debian's
`docker-registry` (the CNCF distribution registry) on a free loopback port.

A model created from ../shared is pushed, then pulled into an empty store through
a small counting, throttling proxy of our own, and both answer the same prompt
the same way with the same digests. A pull killed half-way (SIGKILL of the
server) resumes and transfers less than the blob; a tampered blob fails with
`digest mismatch` and writes no manifest; `cria run` pulls a missing model.

Usage: registry_test.py CRIA_BIN SOURCE_DIR
"""
import hashlib
import http.client
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

BIN = SOURCE = SHARED = None
REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
PART = 64 * 1024  # CRIA_PULL_PART_SIZE: many parts for a 1 MB model


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Proxy:
    """Forwards HTTP to the registry, counting (and optionally throttling) the
    bytes of blob bodies it sends back."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.blob_bytes = 0
        self.active = 0  # requests being answered
        self.requests = []  # (method, path, status)
        self.rate = 0  # bytes per second for blob bodies; 0: as fast as it goes
        self.lock = threading.Lock()
        self.next_slot = 0.0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                with proxy.lock:
                    proxy.active += 1
                try:
                    self.relay()
                finally:
                    with proxy.lock:
                        proxy.active -= 1

            def relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                res = conn.getresponse()
                with proxy.lock:
                    proxy.requests.append((self.command, self.path, res.status))
                self.send_response(res.status)
                for k, v in res.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(k, v)
                data = b"" if self.command == "HEAD" else res.read()
                if "Content-Length" not in res.headers and self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                is_blob = self.command == "GET" and "/blobs/sha256:" in self.path
                try:
                    for i in range(0, len(data), 16384):
                        chunk = data[i:i + 16384]
                        if is_blob:
                            proxy.throttle(len(chunk))
                        self.wfile.write(chunk)
                        if is_blob:
                            with proxy.lock:
                                proxy.blob_bytes += len(chunk)
                except OSError:
                    pass
                conn.close()
                self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def throttle(self, n):
        if not self.rate:
            return
        with self.lock:
            start = max(time.time(), self.next_slot)
            self.next_slot = start + n / self.rate
        time.sleep(max(0.0, start - time.time()))

    def reset(self):
        with self.lock:
            self.blob_bytes = 0

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Serve:
    """`cria serve` with its own home and store."""

    def __init__(self, root, name, extra_env=None):
        self.home = os.path.join(root, name)
        os.makedirs(self.home, exist_ok=True)
        self.models = os.path.join(self.home, "models")
        self.env = dict(os.environ, HOME=self.home, OLLAMA_MODELS=self.models,
                        OLLAMA_HOST=f"127.0.0.1:{free_port()}", TERM="dumb", **(extra_env or {}))
        self.log_path = os.path.join(self.home, "serve.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=self.log,
                                     stderr=self.log)
        wait_for(lambda: self.cria("list").returncode == 0, what="cria serve")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)
        self.log.close()

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def cria(self, *args, timeout=120):
        return subprocess.run([BIN, *args], env=self.env, cwd=self.home, capture_output=True,
                              text=True, timeout=timeout)

    def model_id(self, name):
        for line in self.cria("list").stdout.splitlines():
            if line.startswith(name):
                return line.split()[1]
        return None

    def blobs(self):
        d = os.path.join(self.models, "blobs")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


class RegistryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="cria-registry-")
        cls.servers = []
        cls.registry = None
        cls.proxy = None
        try:
            cls.start_registry()
            cls.proxy = Proxy(cls.reg_port)
            cls.src = cls.serve("source")
            shutil.copy(os.path.join(SHARED, "models", "stories260K.gguf"), cls.src.home)
            with open(os.path.join(cls.src.home, "Modelfile"), "w") as f:
                f.write("FROM ./stories260K.gguf\nPARAMETER temperature 0\n"
                        "PARAMETER num_predict 24\nPARAMETER num_ctx 256\n")
            r = cls.src.cria("create", "stories", "-f", "Modelfile")
            assert r.returncode == 0, r.stderr
        except BaseException:
            cls.tearDownClass()
            raise
        cls.pushed = f"127.0.0.1:{cls.reg_port}/library/stories:latest"
        cls.via_proxy = f"127.0.0.1:{cls.proxy.port}/library/stories:latest"

    @classmethod
    def start_registry(cls):
        cls.reg_port = free_port()
        cls.reg_root = os.path.join(cls.root, "registry")
        config = os.path.join(cls.root, "registry.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {cls.reg_root}\n  delete:\n    enabled: true\n"
                    f"http:\n  addr: 127.0.0.1:{cls.reg_port}\n")
        cls.reg_log = open(os.path.join(cls.root, "registry.log"), "w")
        cls.registry = subprocess.Popen([REGISTRY, "serve", config], stdout=cls.reg_log,
                                        stderr=cls.reg_log)

        def up():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{cls.reg_port}/v2/", timeout=1)
                return True
            except OSError:
                return False
        wait_for(up, what="docker-registry")

    @classmethod
    def serve(cls, name, extra_env=None):
        s = Serve(cls.root, name, extra_env)
        cls.servers.append(s)
        s.start()
        return s

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop()
        if cls.proxy:
            cls.proxy.close()
        if cls.registry:
            cls.registry.terminate()
            cls.registry.wait(timeout=20)
            cls.reg_log.close()
        shutil.rmtree(cls.root, ignore_errors=True)

    def model_blob(self, serve):
        """The model layer's digest (hex) of `stories` in the source store."""
        r = serve.cria("show", "stories", "--modelfile")
        for line in r.stdout.splitlines():
            if line.startswith("FROM ") and "sha256-" in line:
                return line.split("sha256-")[1].strip()
        raise AssertionError(r.stdout)

    def assert_ok(self, r):
        self.assertEqual(r.returncode, 0, f"stdout: {r.stdout}\nstderr: {r.stderr}")

    def test_1_push_then_pull_into_an_empty_store(self):
        src = self.src
        self.assert_ok(src.cria("cp", "stories", self.pushed))
        r = src.cria("push", self.pushed, "--insecure")
        self.assert_ok(r)
        for status in ("retrieving manifest", "pushing manifest", "success"):
            self.assertIn(status, r.stderr)
        self.assertNotEqual(src.cria("push", self.pushed).returncode, 0, "http needs --insecure")
        r = src.cria("push", self.pushed, "--insecure")  # everything is there already
        self.assert_ok(r)

        dst = self.serve("dest")
        r = dst.cria("pull", self.via_proxy, "--insecure")
        self.assert_ok(r)
        for status in ("pulling manifest", "verifying sha256 digest", "writing manifest",
                       "success"):
            self.assertIn(status, r.stderr)
        self.assertEqual(dst.model_id(self.via_proxy), src.model_id("stories:latest"))
        self.assertEqual(dst.blobs(), src.blobs())
        for b in dst.blobs():
            with open(os.path.join(dst.models, "blobs", b), "rb") as f:
                self.assertEqual("sha256-" + hashlib.sha256(f.read()).hexdigest(), b)
        want = src.cria("run", "stories", "Once upon a time")
        got = dst.cria("run", self.via_proxy, "Once upon a time")
        self.assert_ok(want)
        self.assert_ok(got)
        self.assertGreater(len(want.stdout.strip()), 10)
        self.assertEqual(got.stdout, want.stdout)

        # `cria run` pulls a model it does not have.
        self.assert_ok(dst.cria("rm", self.via_proxy))
        self.assertEqual(dst.blobs(), [])
        r = dst.cria("run", self.via_proxy, "--insecure", "Once upon a time")
        self.assert_ok(r)
        self.assertIn("pulling manifest", r.stderr)
        self.assertEqual(r.stdout, want.stdout)

    def test_1b_push_mounts_layers_of_the_base_model(self):
        src = self.src
        with open(os.path.join(src.home, "Modelfile.tales"), "w") as f:
            f.write(f"FROM {self.pushed}\nSYSTEM You tell tales.\n")
        self.assert_ok(src.cria("create", "tales", "-f", "Modelfile.tales"))
        tales = f"127.0.0.1:{self.proxy.port}/library/tales:latest"
        self.assert_ok(src.cria("cp", "tales", tales))
        r = src.cria("push", tales, "--insecure")
        self.assert_ok(r)
        digest = self.model_blob(self.src)
        mounts = [(m, p, st) for m, p, st in self.proxy.requests
                  if m == "POST" and f"mount=sha256%3A{digest}" in p]
        self.assertEqual(len(mounts), 1, self.proxy.requests)
        self.assertIn("from=library%2Fstories", mounts[0][1])
        self.assertEqual(mounts[0][2], 201, "the model layer was mounted, not uploaded")

    def test_2_killed_pull_resumes(self):
        digest = self.model_blob(self.src)
        size = os.path.getsize(os.path.join(self.src.models, "blobs", "sha256-" + digest))
        s = self.serve("resume", {"CRIA_PULL_PART_SIZE": str(PART)})
        self.proxy.reset()
        self.proxy.rate = size // 8  # about eight seconds for the model
        client = subprocess.Popen([BIN, "pull", self.via_proxy, "--insecure"], env=s.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: self.proxy.blob_bytes >= size * 0.4, timeout=60,
                     what="half of the blob")
            s.kill()
        finally:
            client.kill()
            client.wait(timeout=20)
        self.proxy.rate = 0
        wait_for(lambda: self.proxy.active == 0, what="the killed pull's connections to end")
        first = self.proxy.blob_bytes
        blobs = s.blobs()
        self.assertIn(f"sha256-{digest}-partial", blobs)
        self.assertNotIn(f"sha256-{digest}", blobs)
        self.assertFalse(os.path.exists(os.path.join(s.models, "manifests")))

        s.start()
        self.proxy.reset()
        r = s.cria("pull", self.via_proxy, "--insecure")
        self.assert_ok(r)
        again = self.proxy.blob_bytes
        print(f"first pull sent {first} bytes before the kill, the resumed one {again} "
              f"of {size}", file=sys.stderr)
        with open(s.log_path) as f:
            log = f.read()
        self.assertIn("resuming", log)
        self.assertLess(again, size - PART, "the resumed pull fetched only what was missing\n" + log)
        with open(os.path.join(s.models, "blobs", "sha256-" + digest), "rb") as a, \
                open(os.path.join(self.src.models, "blobs", "sha256-" + digest), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertFalse([b for b in s.blobs() if "partial" in b])
        self.assertEqual(s.model_id(self.via_proxy), self.src.model_id("stories:latest"))

    def test_3_tampered_blob_is_refused(self):
        digest = self.model_blob(self.src)
        data = os.path.join(self.reg_root, "docker", "registry", "v2", "blobs", "sha256",
                            digest[:2], digest, "data")
        with open(data, "r+b") as f:
            f.seek(4096)
            byte = f.read(1)
            f.seek(4096)
            f.write(bytes([byte[0] ^ 0xFF]))
        try:
            s = self.serve("tampered")
            r = s.cria("pull", self.via_proxy, "--insecure")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("digest mismatch", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(s.models, "manifests")))
            self.assertFalse([b for b in s.blobs() if digest in b], s.blobs())
        finally:
            with open(data, "r+b") as f:
                f.seek(4096)
                f.write(byte)


if __name__ == "__main__":
    BIN, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    SHARED = os.environ.get("CRIA_SHARED") or os.path.join(SOURCE, "..", "shared")
    missing = [p for p in (REGISTRY, os.path.join(SHARED, "models", "stories260K.gguf"))
               if not os.path.exists(p)]
    if missing:
        print(f"NOTICE: {', '.join(missing)} missing "
              "(apt-get install docker-registry; CRIA_SHARED)", file=sys.stderr)
        sys.exit(1 if os.environ.get("CI") else 77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
