"""A TCP proxy that breaks one download halfway, for testing (and benchmarking) the resume of a
broken download with the real Hugging Face client: the connection really drops, the client really
asks again with ``Range``."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class CuttingProxy:
    """Forwards 127.0.0.1:<port> to ``upstream_port``. The first connection whose answer passes
    ``cut_after`` bytes is closed there (once); ``requests`` keeps the head of every request seen."""

    upstream_port: int
    cut_after: int
    requests: list[str] = field(default_factory=list)
    cuts: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._spawn(self._accept)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pipe_requests, client, upstream)
            self._spawn(self._pipe_answers, upstream, client)

    def _pipe_requests(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while chunk := client.recv(65536):
                if chunk[:5] in (b"GET /", b"HEAD ", b"POST "):
                    with self._lock:
                        self.requests.append(chunk.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
                upstream.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(upstream)

    def _pipe_answers(self, upstream: socket.socket, client: socket.socket) -> None:
        sent = 0
        try:
            while chunk := upstream.recv(65536):
                with self._lock:
                    cut = self.cuts == 0 and sent + len(chunk) > self.cut_after
                    if cut:
                        self.cuts += 1
                if cut:
                    client.sendall(chunk[: self.cut_after - sent])
                    break
                client.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            _close(client)
            _close(upstream)

    def close(self) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
