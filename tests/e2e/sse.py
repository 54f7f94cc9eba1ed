"""A small Server-Sent Events client for the e2e suite.

Written from the WHATWG HTML standard ("Server-sent events": the
text/event-stream format, `id`/`event`/`data`/`retry` fields, `:` comments,
a blank line dispatches) and RFC 9112 (chunked transfer coding), not from
server/. It talks over a raw socket so that every read has a deadline and a
test sees exactly what the server sent, comments included.

Must never: talk to anything but a loopback address, or wait without a bound.
"""

import json
import socket
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Event:
    id: str = None          # the `id` field of this event, None when it had none
    event: str = "message"
    data: str = ""
    at: float = 0.0         # time.monotonic() when it was dispatched

    def json(self):
        return json.loads(self.data)


@dataclass
class Stream:
    """One GET on an event stream. For a non-200 answer, `body` holds the whole body."""

    status: int = 0
    headers: list = field(default_factory=list)
    body: bytes = b""
    comments: list = field(default_factory=list)   # [(time, text)] of `:` lines
    retry: int = None
    closed: bool = False                            # the server ended the stream
    sock: socket.socket = None
    _raw: bytes = b""       # received, not yet de-chunked
    _text: bytes = b""      # de-chunked, not yet parsed into lines
    _chunked: bool = False
    _chunk_left: int = 0    # bytes of the current chunk still to come (then CRLF)
    _pending: dict = field(default_factory=dict)
    _events: list = field(default_factory=list)

    # ------------------------------------------------------------ reading

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def json(self):
        return json.loads(self.body)

    def _recv(self, deadline):
        """Read once from the socket (until deadline); False on timeout."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if data == b"":
            self.closed = True
            return True
        self._raw += data
        self._dechunk()
        return True

    def _dechunk(self):
        if not self._chunked:
            self._text += self._raw
            self._raw = b""
            return
        while True:
            if self._chunk_left > 0:
                take = self._raw[:self._chunk_left]
                self._text += take
                self._raw = self._raw[len(take):]
                self._chunk_left -= len(take)
                if self._chunk_left > 0:
                    return
                self._chunk_left = -2       # the CRLF after the data
            if self._chunk_left == -2:
                if len(self._raw) < 2:
                    return
                assert self._raw[:2] == b"\r\n", self._raw[:20]
                self._raw = self._raw[2:]
                self._chunk_left = 0
            line, sep, rest = self._raw.partition(b"\r\n")
            if not sep:
                return
            size = int(line.split(b";")[0], 16)
            self._raw = rest
            if size == 0:                   # last chunk: the stream is over
                self.closed = True
                return
            self._chunk_left = size

    def _parse(self):
        """Turn complete lines of _text into events and comments."""
        while True:
            line, sep, rest = self._text.partition(b"\n")
            if not sep:
                return
            self._text = rest
            line = line.rstrip(b"\r").decode("utf-8")
            if line == "":
                if self._pending:
                    p = self._pending
                    self._events.append(Event(p.get("id"), p.get("event", "message"),
                                              "\n".join(p.get("data", [])), time.monotonic()))
                self._pending = {}
            elif line.startswith(":"):
                self.comments.append((time.monotonic(), line[1:].strip()))
            else:
                name, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if name == "data":
                    self._pending.setdefault("data", []).append(value)
                elif name in ("id", "event"):
                    self._pending[name] = value
                elif name == "retry" and value.isdigit():
                    self.retry = int(value)

    def next_event(self, timeout):
        """The next event, or None when none came within timeout (or the stream ended)."""
        deadline = time.monotonic() + timeout
        while True:
            self._parse()
            if self._events:
                return self._events.pop(0)
            if self.closed or not self._recv(deadline):
                return None

    def events(self, n, timeout):
        """Exactly the next n events; fails naming what came when they do not within timeout."""
        deadline = time.monotonic() + timeout
        got = []
        while len(got) < n:
            e = self.next_event(max(0.0, deadline - time.monotonic()))
            if e is None:
                raise AssertionError(
                    f"{len(got)} of {n} events within {timeout} s (closed={self.closed}): "
                    + ", ".join(f"{x.event}:{x.data[:80]}" for x in got))
            got.append(e)
        return got

    def quiet_for(self, seconds):
        """Every event that arrives within `seconds` (normally none)."""
        deadline = time.monotonic() + seconds
        got = []
        while time.monotonic() < deadline:
            e = self.next_event(max(0.0, deadline - time.monotonic()))
            if e is None:
                if self.closed:
                    break
                continue
            got.append(e)
        return got

    def wait_closed(self, timeout):
        """True once the server ends the stream within timeout."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            self._parse()
            self._events.clear()
            if not self._recv(deadline):
                return False
        return True

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<Stream {self.status} {self.body[:300]!r}>"


def _read_head(sock, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no response head within the timeout: {buf[:200]!r}")
        sock.settimeout(left)
        data = sock.recv(65536)
        if data == b"":
            raise AssertionError(f"connection closed before the response head: {buf[:200]!r}")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:] if ":" in ln]
    return status, headers, rest


def open_stream(base_url, token=None, path="/v1/stream", last_event_id=None, headers=(),
                timeout=10.0):
    """GET an event stream. A 200 returns a live Stream; anything else a Stream with its body."""
    p = urllib.parse.urlsplit(base_url)
    host, port = p.hostname, p.port or 80
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise ValueError("the e2e suite only talks to loopback addresses")
    req = [f"GET {path} HTTP/1.1", f"Host: {p.netloc}", "Accept: text/event-stream"]
    if token is not None:
        req.append(f"Authorization: Bearer {token}")
    if last_event_id is not None:
        req.append(f"Last-Event-ID: {last_event_id}")
    req += [f"{k}: {v}" for k, v in headers]
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode("utf-8"))
        status, hdrs, rest = _read_head(sock, deadline)
    except BaseException:
        sock.close()
        raise
    s = Stream(status=status, headers=hdrs, sock=sock)
    s._chunked = "chunked" in (s.header("Transfer-Encoding") or "").lower()
    s._raw = rest
    s._dechunk()
    if status != 200:   # a problem: read it whole (length-delimited or chunked)
        length = s.header("Content-Length")
        while not s.closed and (length is None or len(s._text) < int(length)):
            if not s._recv(deadline):
                break
        s.body = s._text
        s.close()
    return s
