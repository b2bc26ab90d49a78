"""A gunicorn worker that hands a thread only a request that has fully arrived.

gunicorn's `gthread` worker waits (up to 5 s) for a connection's first bytes, then gives it a
thread that reads the rest of the request with blocking reads. A client that sends its
headers and one byte of body keeps that thread for as long as it likes; 2 workers x 4 threads
were taken offline by 8 such sockets (issue 15).

`BufferedThreadWorker` is `gthread` with one change: a connection's bytes are read without
blocking, each time the socket is readable, until one whole request is there (headers, then
the body by Content-Length or chunked framing). Only then does a thread parse and answer it,
from memory. Until then the connection waits in gunicorn's poller, holding no thread:
- a connection that sends nothing for `keepalive` seconds is closed (gunicorn's own rule);
- a request that has not fully arrived `read_timeout` seconds after its first byte gets a 408
  and is closed, however slowly it trickles on;
- headers larger than `MAX_HEADER_BYTES` get a 431, and a body over `max_body` (by its
  Content-Length, or a chunked body as soon as it grows past it) a 413, at once.
So the app only ever sees whole requests, held in memory: nothing it or gunicorn reads can
wait on the client.
TLS terminated by gunicorn itself (`certfile`) is served by plain `gthread` code: encrypted
bytes cannot be framed here. The README's deployment terminates TLS in nginx.

Written against gunicorn 27's `gthread` (its `_DEFER` hand-back to the poller); the version
is pinned in pyproject.toml.
"""
from __future__ import annotations

import re
import socket
import time

from gunicorn.workers import gthread

from ..config import ConfigError, ServerSettings

MAX_HEADER_BYTES = 32 * 1024
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
_CHUNK_LINE_MAX = 1024


def _canned(status: str, error: str) -> bytes:
    body = b'{"error": "' + error.encode() + b'"}'
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
            f"\r\nConnection: close\r\n\r\n").encode() + body


TIMED_OUT = _canned("408 Request Timeout", "request not received in time")
HEADERS_TOO_LARGE = _canned("431 Request Header Fields Too Large", "request headers too large")
BODY_TOO_LARGE = _canned("413 Content Too Large", "request body too large")


class RequestBuffer:
    """Bytes of one connection until a whole HTTP/1.x request is there.

    `feed(data)` returns True once the buffer holds a request a thread can answer without
    waiting for the client: complete, or with framing gunicorn's parser refuses at once.
    `refusal` is set instead when the request is refused here (headers or body too large).
    Chunked bodies are scanned incrementally.
    """

    def __init__(self, max_body: int):
        self.max_body = max_body
        self.data = bytearray()
        self.started: float | None = None     # monotonic time of the first byte
        self.body_at: int | None = None       # offset where the body starts
        self.length: int | None = None        # Content-Length framing
        self.chunked = False
        self.expects_continue = False
        self.pos = 0                          # chunked: next unread chunk line
        self.chunk_left = 0                   # chunked: bytes of data (+CRLF) still to come
        self.trailers = False
        self.decoded = 0
        self.complete = False
        self.refusal: bytes | None = None
        self.linger_until: float | None = None    # answered; waiting for the client to close

    def feed(self, data: bytes) -> bool:
        if data and self.started is None:
            self.started = time.monotonic()
        self.data += data
        if not (self.complete or self.refusal):
            self.complete = self._scan()
        return self.complete

    def take(self) -> bytes:
        data = bytes(self.data)
        self.__init__(self.max_body)
        return data

    def _scan(self) -> bool:
        if self.body_at is None:
            end = _HEADERS_END.search(self.data)
            if end is None or end.end() > MAX_HEADER_BYTES:
                if len(self.data) > MAX_HEADER_BYTES:
                    self.refusal = HEADERS_TOO_LARGE
                return False
            self.body_at = end.end()
            if not self._framing(bytes(self.data[:end.start()])):
                return True                   # gunicorn's parser gives the precise 400
            self.pos = self.body_at
        if self.refusal:
            return False
        if self.length is not None:
            return len(self.data) - self.body_at >= self.length
        if self.chunked:
            return self._scan_chunks()
        return True                           # no body

    def _framing(self, head: bytes) -> bool:
        """Read the framing headers; False when they are contradictory or malformed."""
        lengths, codings = [], []
        for line in head.split(b"\n")[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                continue
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif name == b"expect":
                self.expects_continue = value.lower() == b"100-continue"
        if codings:
            if lengths or codings[-1] != b"chunked":
                return False
            self.chunked = True
            return True
        if lengths:
            if len(set(lengths)) != 1 or not lengths[0].isdigit():
                return False
            self.length = int(lengths[0])
            if self.length > self.max_body:
                self.refusal = BODY_TOO_LARGE
        return True

    def _scan_chunks(self) -> bool:
        data = self.data
        while True:
            if self.chunk_left:
                available = len(data) - self.pos
                if available < self.chunk_left:
                    return False
                self.pos += self.chunk_left
                self.chunk_left = 0
            eol = data.find(b"\n", self.pos)
            if eol < 0:
                return len(data) - self.pos > _CHUNK_LINE_MAX    # malformed: let it be refused
            line = bytes(data[self.pos:eol]).rstrip(b"\r")
            self.pos = eol + 1
            if self.trailers:
                if not line:
                    return True
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return True                   # malformed chunk size: gunicorn refuses it
            if size == 0:
                self.trailers = True
                continue
            self.decoded += size
            if self.decoded > self.max_body:
                self.refusal = BODY_TOO_LARGE
                return False
            self.chunk_left = size + 2        # the data and its CRLF


class BufferedThreadWorker(gthread.ThreadWorker):
    """gthread, but a thread only ever sees a request that has fully arrived, and no
    connection is ever closed by waiting on its client."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            settings = ServerSettings.from_env()
        except ConfigError:          # already refused by gunicorn.conf.py; defaults here
            settings = ServerSettings()
        self.read_timeout = settings.read_timeout
        self.max_body = settings.max_body_bytes

    def handle(self, conn):
        if self.cfg.is_ssl:
            return super().handle(conn)
        buf = conn.__dict__.get("request_buffer")
        if buf is None:
            buf = conn.request_buffer = RequestBuffer(self.max_body)
        if buf.linger_until is not None:
            return self._lingering(conn, buf)
        if conn.initialized:                  # kept alive: bytes read ahead come first
            buf.feed(conn.parser.unreader.take_buffered())
        closed = self._read_available(conn, buf)
        if buf.refusal:
            return self._refuse(conn, buf, buf.refusal, "too large")
        if buf.complete:
            conn.init()
            conn.parser.unreader.unread(buf.take())
            conn.data_ready = True
            if super().handle(conn):
                return True                   # kept alive: back to gunicorn's poller
            return self._linger(conn, buf)
        if closed:
            return self._close_now(conn)
        if buf.started is not None and time.monotonic() - buf.started > self.read_timeout:
            return self._refuse(conn, buf, TIMED_OUT, f"not complete after {self.read_timeout:g} s")
        if buf.expects_continue and buf.body_at is not None and buf.decoded == 0:
            buf.expects_continue = False
            self._send_quietly(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        return gthread._DEFER                 # back to the poller, holding no thread

    def _read_available(self, conn, buf: RequestBuffer) -> bool:
        """Read what the socket has without waiting; True when the client closed it."""
        conn.sock.setblocking(False)
        try:
            while not (buf.complete or buf.refusal):
                try:
                    data = conn.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    return False
                except OSError:
                    return True
                if not data:
                    return True
                buf.feed(data)
            return False
        finally:
            conn.sock.setblocking(True)

    def _refuse(self, conn, buf: RequestBuffer, response: bytes, why: str):
        self._send_quietly(conn, response)
        self.log.info("refused a request %s: %s", why, response.split(b"\r\n", 1)[0].decode())
        return self._linger(conn, buf)

    # Closing. gunicorn closes a connection "gracefully" in its main loop, reading up to 2 s
    # for the client's own close: a silent client would stall every connection of the worker.
    # Here the write side is shut (the answer and a FIN go out), the client's leftovers are
    # read and dropped as they come, in the poller, and the socket is closed by a thread once
    # the client closes or after LINGER seconds (or by gunicorn, non-gracefully, after its
    # keepalive) -- never by waiting.

    LINGER = 2.0
    LINGER_READ = 256 * 1024                  # at most this much dropped per wake-up

    def _linger(self, conn, buf: RequestBuffer):
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return self._close_now(conn)
        buf.linger_until = time.monotonic() + self.LINGER
        return gthread._DEFER

    def _lingering(self, conn, buf: RequestBuffer):
        conn.sock.setblocking(False)
        try:
            for _ in range(self.LINGER_READ // 65536):
                if not conn.sock.recv(65536):
                    return self._close_now(conn)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            return self._close_now(conn)
        if time.monotonic() > buf.linger_until:
            return self._close_now(conn)
        return gthread._DEFER

    @staticmethod
    def _close_now(conn) -> bool:
        """Close here; gunicorn's own (waiting) close then has nothing left to do."""
        try:
            conn.sock.close()
        except OSError:
            pass
        conn.close = lambda graceful=False: None
        return False

    @staticmethod
    def _send_quietly(conn, data: bytes) -> None:
        try:
            conn.sock.setblocking(False)
            conn.sock.send(data)
        except OSError:
            pass
        finally:
            conn.sock.setblocking(True)
