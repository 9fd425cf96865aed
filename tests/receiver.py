"""A small HTTP server on 127.0.0.1 that stands in for Slack, a CRM or an AI agent: it
records every request and answers what the test tells it to. Real HTTP, no mocks. It
keeps connections open between requests (HTTP/1.1), as Slack and most receivers do,
and closes them when it stops."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived
    client_port: int = 0  # the sender's side of the connection it came on

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._answers: list[int] = []  # next statuses to answer, then 200
        self.delay = 0.0  # seconds to wait before answering
        self.delays: dict[str, float] = {}  # per path, instead of `delay`
        self.statuses: dict[str, int] = {}  # per path, what to answer instead of 200
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._lock:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                port = self.client_address[1]
                with receiver._lock:
                    receiver.requests.append(Received(self.path, headers, body, time.time(), port))
                    status = (
                        receiver._answers.pop(0)
                        if receiver._answers
                        else receiver.statuses.get(self.path, 200)
                    )
                delay = receiver.delays.get(self.path, receiver.delay)
                if delay:
                    time.sleep(delay)
                answer = b"ok" if status < 400 else b"nope"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:  # kept connections: their clients see them closed
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def url(self, path: str = "/") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses (then 200 again)."""
        with self._lock:
            self._answers.extend(statuses)

    def to(self, path: str) -> list[Received]:
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.to(path)) >= count:
                return self.to(path)
            time.sleep(0.02)
        raise AssertionError(f"{path}: {len(self.to(path))} of {count} requests after {timeout}s")
