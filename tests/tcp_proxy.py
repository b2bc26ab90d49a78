"""Loopback network stand-ins for fault tests: a TCP proxy that a test can take down and bring
back (a real database becomes unreachable and reachable again without touching the database
server itself), and a peer that accepts connections and never says anything (a hung server)."""
from __future__ import annotations

import contextlib
import socket
import threading
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def silent_peer() -> Iterator[int]:
    """A loopback TCP server that completes the handshake and never sends a byte; yields its
    port. Connections are closed when the block ends."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        server.close()


class TcpProxy:
    """A loopback TCP proxy to the test server: stopping it looks to the store exactly like
    the database going down (connections cut, new ones refused); starting it again on the
    same port looks like the server coming back."""

    def __init__(self, upstream: tuple[str, int] | str, port: int | None = None) -> None:
        """upstream: (host, port), a Unix socket path, or a host with `port` given."""
        self.upstream = (upstream, port) if port is not None else upstream
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = False

    def start(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._listener, self._running = listener, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                if isinstance(self.upstream, str):
                    server = socket.socket(socket.AF_UNIX)
                    server.connect(self.upstream)
                else:
                    server = socket.create_connection(self.upstream, timeout=5)
                    server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
