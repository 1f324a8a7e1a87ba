"""Local stand-ins for AWS, shared by scripts/demo.py and the benchmarks (bench/harness.py); loopback only.

Moto runs moto_server (multi-account through STS AssumeRole) on a free loopback port. Receiver stands
in for CloudFormation's pre-signed ResponseURL: it gives each key a presigned-looking URL and records
every PUT to it. Python standard library only.
"""

import http.server
import os
import signal
import socket
import subprocess
import threading
import time
from typing import NamedTuple

HOST = "127.0.0.1"


def free_port():
    """A loopback port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, limit=60):
    """Waits until something listens on the loopback port; exits when proc dies or limit passes."""
    started = time.time()
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{what} exited with {proc.returncode} before listening on {port}")
            if time.time() - started > limit:
                raise SystemExit(f"{what} did not listen on {port} within {limit} s")
            time.sleep(0.1)


def stop_process(proc):
    """Stops a process started with start_new_session=True, and its group: TERM, then KILL after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Moto:
    """moto_server on a free loopback port; its output goes to LOG_DIR/moto-PORT.log, or nowhere."""

    def __init__(self, moto_server, log_dir=None, limit=60):
        self.port = free_port()
        self.log = open(os.path.join(log_dir, f"moto-{self.port}.log"), "w") if log_dir else None
        self.proc = subprocess.Popen(
            [moto_server, "-H", HOST, "-p", str(self.port)],
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.endpoint = f"http://{HOST}:{self.port}"
        try:
            wait_port(self.port, self.proc, "moto_server", limit)
        except SystemExit:
            self.stop()
            raise

    def stop(self):
        stop_process(self.proc)
        if self.log:
            self.log.close()


class Put(NamedTuple):
    """One PUT to the receiver: when (time.monotonic()), its key, request path, Content-Type
    header (None when absent) and body (the JSON answer, as bytes)."""

    at: float
    key: str
    path: str
    content_type: str | None
    body: bytes


class Receiver(http.server.ThreadingHTTPServer):
    """A loopback HTTP server recording every PUT by key (the last path segment)."""

    daemon_threads = True
    request_queue_size = 512

    def __init__(self, tag="LOCAL"):
        self.tag = tag
        self.puts = {}  # key -> [Put], oldest first
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.monotonic()
                key = self.path.split("?")[0].rsplit("/", 1)[-1]
                put = Put(at, key, self.path, self.headers.get("Content-Type"), body)
                with receiver.lock:
                    receiver.puts.setdefault(key, []).append(put)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__((HOST, 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.base = f"http://{HOST}:{self.server_address[1]}/cfn-response"

    def url(self, key):
        """The ResponseURL for key, with the query string of a pre-signed S3 URL."""
        return f"{self.base}/{key}?X-Amz-Signature={self.tag}SIGNATURE&X-Amz-Credential={self.tag}CRED"

    def answers(self, key):
        """The PUTs to key's URL so far, oldest first."""
        with self.lock:
            return list(self.puts.get(key, []))

    def stop(self):
        self.shutdown()
        self.server_close()
