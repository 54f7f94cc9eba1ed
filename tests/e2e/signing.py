"""An independent RFC 9421 / RFC 9530 signer for the end-to-end tests.

Written from the RFCs, not from server/httpsig.c: if both agree, two
readings of the standard agree. It builds the signature base of RFC 9421
section 2.5, serializes Signature-Input and Signature as RFC 8941
dictionaries, and computes Content-Digest (RFC 9530, sha-256). Everything a
test may want to vary is a parameter: covered components, label, parameter
order, alg present or not, expires, nonce, tag, the created time, several
signatures on one message.

It also carries the HTTP transport the suite uses (http.client, so that
exactly the headers a test puts on a message are sent, duplicates and all).

Must never: reach for the server's code, or send anything off 127.0.0.1.
"""

import base64
import hashlib
import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass, field

# ---------------------------------------------------------------- RFC 8941


class Token(str):
    """An RFC 8941 token (serialized bare, unlike a string)."""


def sf_item(value):
    """Serialize a bare item (RFC 8941 4.1.3)."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) > 999_999_999_999_999:
            raise ValueError("integer out of RFC 8941 range")
        return str(value)
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
            raise ValueError("sf-string holds a non-printable-ASCII character")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (bytes, bytearray)):
        return ":" + base64.b64encode(bytes(value)).decode("ascii") + ":"
    raise TypeError(f"no RFC 8941 form for {type(value).__name__}")


def sf_params(params):
    """Serialize parameters (RFC 8941 4.1.1.2); `params` is a list of pairs."""
    out = []
    for key, value in params:
        if value is True:
            out.append(";" + key)
        else:
            out.append(";" + key + "=" + sf_item(value))
    return "".join(out)


def sf_inner_list(items, params):
    """Serialize an inner list of bare string items with parameters."""
    return "(" + " ".join(sf_item(i) for i in items) + ")" + sf_params(params)


# ---------------------------------------------------------------- RFC 9530


def content_digest(body: bytes) -> str:
    """The Content-Digest field value for `body`, sha-256 only."""
    return "sha-256=" + sf_item(hashlib.sha256(body).digest())


# ---------------------------------------------------------------- messages


@dataclass
class Message:
    """An HTTP request as the signer and the transport see it.

    url is absolute (scheme://authority/path?query) and is the target the
    signer derives @target-uri, @authority, @path... from; the request line
    sends its path and query as they are written here. headers is an
    ordered list of (name, value) pairs, so a field may appear twice.
    """

    method: str
    url: str
    headers: list = field(default_factory=list)
    body: bytes | None = None

    @property
    def parts(self):
        return urllib.parse.urlsplit(self.url)

    @property
    def target(self):
        """The request-target as sent: path, then "?query" when there is a '?'."""
        p = self.parts
        target = p.path or "/"
        if "?" in self.url:
            target += "?" + p.query
        return target

    def header(self, name):
        """Every line of field `name` (case-insensitive), trimmed, joined by ", "."""
        values = [v.strip(" \t") for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def set_header(self, name, value):
        """Replace every line of `name` with one line (appended last)."""
        self.drop_header(name)
        self.headers.append((name, value))

    def drop_header(self, name):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]


def authority_of(msg: Message) -> str:
    """RFC 9421 2.2.3: host[:port], lower case, default port omitted."""
    p = msg.parts
    host = p.netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(p.scheme.lower())
    if default and host.endswith(default):
        host = host[: -len(default)]
    return host


def component_value(msg: Message, name: str) -> str:
    """The value of one covered component (RFC 9421 2.1 and 2.2)."""
    p = msg.parts
    has_query = "?" in msg.url
    if name == "@method":
        return msg.method
    if name == "@target-uri":
        return p.scheme.lower() + "://" + authority_of(msg) + msg.target
    if name == "@authority":
        return authority_of(msg)
    if name == "@scheme":
        return p.scheme.lower()
    if name == "@request-target":
        return msg.target
    if name == "@path":
        return p.path or "/"
    if name == "@query":
        return "?" + (p.query if has_query else "")
    if name.startswith("@"):
        raise ValueError(f"derived component {name} is not implemented here")
    value = msg.header(name)
    if value is None:
        raise ValueError(f"covered field {name} is absent from the message")
    return value


def signature_base(msg: Message, components, params) -> tuple[str, str]:
    """RFC 9421 2.5: (the signature base, the serialized signature params)."""
    lines = []
    for name in components:
        lines.append(f"{sf_item(name)}: {component_value(msg, name)}")
    sig_params = sf_inner_list(components, params)
    lines.append(f'"@signature-params": {sig_params}')
    return "\n".join(lines), sig_params


# ---------------------------------------------------------------- signing

DEFAULT_COMPONENTS_BODY = ("@method", "@target-uri", "content-type", "content-digest")
DEFAULT_COMPONENTS_NOBODY = ("@method", "@target-uri")


@dataclass
class Signature:
    label: str
    params: str  # the serialized inner list, as it goes into Signature-Input
    signature: bytes
    base: str

    def input_member(self):
        return f"{self.label}={self.params}"

    def signature_member(self):
        return f"{self.label}={sf_item(self.signature)}"


def make_params(
    keyid,
    created=None,
    alg="ed25519",
    expires=None,
    nonce=None,
    tag=None,
    order=("created", "keyid", "alg", "expires", "nonce", "tag"),
    extra=(),
):
    """The signature parameters as an ordered list of pairs.

    alg=None leaves alg out; keyid=None or created=False leave those out
    (for tests of the server's refusals). `order` names the order of the
    parameters that are present; `extra` pairs are appended as given.
    """
    if created is None:
        created = int(time.time())
    values = {
        "created": created if created is not False else None,
        "keyid": keyid,
        "alg": alg,
        "expires": expires,
        "nonce": nonce,
        "tag": tag,
    }
    params = [(k, values[k]) for k in order if values.get(k) is not None]
    return params + list(extra)


def sign(msg: Message, signing_key, components=None, label="sig1", params=None, **param_kw):
    """Sign `msg` with a PyNaCl SigningKey; returns a Signature (not attached).

    components defaults to what isacd requires for the message (with or
    without body); params is a list of pairs, or built by make_params from
    param_kw (keyid=..., created=..., alg=..., expires=..., order=...).
    """
    if components is None:
        components = DEFAULT_COMPONENTS_BODY if msg.body else DEFAULT_COMPONENTS_NOBODY
    if params is None:
        params = make_params(**param_kw)
    base, sig_params = signature_base(msg, list(components), params)
    sig = signing_key.sign(base.encode("ascii")).signature
    return Signature(label, sig_params, sig, base)


def attach(msg: Message, *signatures, signature_order=None):
    """Set Signature-Input and Signature to hold `signatures` (in that order).

    signature_order, when given, is the order of labels in the Signature
    field (Signature-Input always follows the order of `signatures`).
    """
    by_label = {s.label: s for s in signatures}
    order = signature_order or [s.label for s in signatures]
    msg.set_header("Signature-Input", ", ".join(s.input_member() for s in signatures))
    msg.set_header("Signature", ", ".join(by_label[lbl].signature_member() for lbl in order))
    return msg


def new_message(base_url, method, path, body=None, content_type="application/json", digest=True):
    """A message to base_url+path with Host, and for a body Content-Type and Content-Digest."""
    url = base_url.rstrip("/") + path
    msg = Message(method, url, [("Host", urllib.parse.urlsplit(url).netloc)], body)
    if body is not None:
        if content_type is not None:
            msg.headers.append(("Content-Type", content_type))
        if digest:
            msg.headers.append(("Content-Digest", content_digest(body)))
    return msg


# ---------------------------------------------------------------- transport


@dataclass
class Response:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def send(msg: Message, timeout=10.0, connect_to=None) -> Response:
    """Send msg exactly as it is (its own Host line included) and read the reply.

    connect_to=(host, port) sends to another address than the URL's (for
    tests that lie in the Host header); it must be a loopback address.
    """
    p = msg.parts
    host, port = connect_to or (p.hostname, p.port or 80)
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise ValueError("the e2e suite only talks to loopback addresses")
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(msg.method, msg.target, skip_host=True, skip_accept_encoding=True)
        names = {k.lower() for k, _ in msg.headers}
        for k, v in msg.headers:
            conn.putheader(k, v)
        if msg.body is not None and not names & {"content-length", "transfer-encoding"}:
            conn.putheader("Content-Length", str(len(msg.body)))
        conn.endheaders(msg.body)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()
