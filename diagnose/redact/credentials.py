"""Secrets in text: replaced by a marker that says what was there, never mapped, never restorable.

Each detector here is a trigger (what the finder looks for) and a function that, at a hit,
confirms the form and returns the span to replace and its marker. The keys and the structure
around a value stay, so YAML, JSON and logs still parse. The forms (docs/redaction.md and
`catalogue.py` list them with samples):
- PEM blocks (also in YAML block scalars and JSON strings with `\\n`, and truncated ones), and
  base64-encoded PEM (`LS0tLS1CRUdJTi...`) with its wrapped continuation lines, and any other
  multi-line base64 block;
- values of secret-bearing keys in YAML, JSON, `key=value`, `kubectl describe` and command-line
  flags, the key a word of its own (`token:`) or glued to a prefix (`DB_PASSWORD=`,
  `AWS_SECRET_ACCESS_KEY=`, `MYSQL_ROOT_PASSWORD:`, `dbPassword:`, `.dockerconfigjson:`), and
  block scalars under them; `- name: *_PASSWORD` env entries' `value:` (YAML and JSON);
- every value of a Kubernetes Secret's `data`/`stringData`;
- credentials in URLs (`scheme://user:pass@`, an empty user, a `/` in the password), secret query
  parameters (`?pass=`, `&token=`, SAS `sig=`, `X-Amz-Signature=`), HTTP `Authorization` /
  `Proxy-Authorization` values of any scheme (`Bearer`, `Basic`, `Token`, `Digest`...), cookies;
- tokens recognisable on their own: JWTs, AWS key ids, GitHub/GitLab/Slack/Google/Stripe/Vault/npm
  tokens, SSH public keys, kubeadm bootstrap tokens on a line that names a token.
"""

from __future__ import annotations

import base64
import binascii
import re

from diagnose.redact.finder import Confirm, Run, Span, Trigger

CERTIFICATE = b"REDACTED-CERTIFICATE"
PRIVATE_KEY = b"REDACTED-PRIVATE-KEY"
KEY = b"REDACTED-KEY"
TOKEN = b"REDACTED-TOKEN"
PASSWORD = b"REDACTED-PASSWORD"
SECRET = b"REDACTED-SECRET"
CREDENTIALS = b"REDACTED-CREDENTIALS"
BASE64 = b"REDACTED-BASE64"

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_B64_LINE = re.compile(rb"[ \t]*([A-Za-z0-9+/]{4,}={0,2})\r?$", re.M)
_WRAP = 40  # a base64 line at least this long may continue on the next line


def _line_end(block: bytes, pos: int) -> int:
    end = block.find(b"\n", pos)
    return len(block) if end == -1 else end


def _continuation(block: bytes, end: int, width: int) -> int:
    """The end of the base64 lines that continue a base64 value ending at `end` (an end of
    line), or `end`: a wrapped value goes on while each line was at least `_WRAP` long."""
    while width >= _WRAP and end < len(block) and block[end : end + 1] in (b"\n", b"\r"):
        nxt = block.find(b"\n", end) + 1
        if not nxt:
            break
        m = _B64_LINE.match(block, nxt)
        if m is None:
            break
        end, width = m.end(1), len(m[1])
    return end


# -- PEM -------------------------------------------------------------------------------------

_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_PEM_SEP = re.compile(rb"\\n|\r?\n[ \t]*|[ \t]*")
_PEM_BODY = re.compile(rb"(?:[A-Za-z0-9+/=]{4,}(?:\\n|\r?\n[ \t]*|$))+")
_PEM_SEARCH = 1 << 16  # how far an END line is looked for (a certificate chain's link is ~2 KB)


def pem_marker(pem_type: bytes) -> bytes:
    if b"PRIVATE" in pem_type:
        return PRIVATE_KEY
    return CERTIFICATE if b"CERTIFICATE" in pem_type else KEY


def _pem(block: bytes, start: int, _end: int) -> Span | None:
    m = _PEM_BEGIN.match(block, start)
    if m is None:
        return None
    sep = _PEM_SEP.match(block, m.end())
    body = sep.end() if sep else m.end()
    end_line = b"-----END " + m[1] + b"-----"
    stop = block.find(end_line, body, body + _PEM_SEARCH)  # bounded: a file of BEGIN lines stays linear
    if stop != -1:
        tail = stop
        while tail > body and block[tail - 1 : tail] in b" \t":  # the END line's indentation stays
            tail -= 1
        if block[tail - 2 : tail] == b"\\n":
            tail -= 2
        elif block[tail - 1 : tail] == b"\n":
            tail -= 1 + (block[tail - 2 : tail - 1] == b"\r")
        return (body, max(body, tail), pem_marker(m[1]))
    # truncated: its base64 lines, up to the first line that is not base64
    b = _PEM_BODY.match(block, body)
    if b is None:
        return None
    tail = b.end()
    while tail > body and block[tail - 1 : tail] in b" \t\r\n":
        tail -= 1
    if block[tail - 2 : tail] == b"\\n":
        tail -= 2
    return (body, tail, pem_marker(m[1]))


_PEM_MARK = re.compile(rb"-----(BEGIN|END) ([A-Z0-9 ]{1,40})-----")


def open_pem_start(block: bytes) -> int | None:
    """Where the first PEM block that does not end in `block` begins (its end is in the next
    block). One pass over the BEGIN/END lines, from the end: a BEGIN is open when no END of its
    type follows it (a search per BEGIN would be quadratic on a file of BEGIN lines)."""
    if b"-----BEGIN " not in block:
        return None
    ends_after: set[bytes] = set()
    first = None
    marks = list(_PEM_MARK.finditer(block))
    for m in reversed(marks):
        if m[1] == b"END":
            ends_after.add(m[2])
        elif m[2] not in ends_after:
            first = m.start()
    return first


# -- base64 ----------------------------------------------------------------------------------

_B64_RUN = re.compile(rb"[A-Za-z0-9+/]+={0,2}")


def _pem_b64(block: bytes, start: int, _end: int) -> Span | None:
    if start and block[start - 1] in _B64:
        return None
    m = _B64_RUN.match(block, start)
    if m is None or len(m[0]) < 16:
        return None
    head = m[0][:64]
    try:
        text = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        text = b""
    begin = _PEM_BEGIN.search(text)
    marker = pem_marker(begin[1]) if begin else CERTIFICATE
    return (start, _continuation(block, m.end(), len(m[0])), marker)


def _b64_block(block: bytes, start: int, end: int) -> Span | None:
    """Two or more wrapped lines of base64 (a certificate or key without PEM armour, a blob)."""
    m = _B64_LINE.match(block, start)
    if m is None or len(m[1]) < _WRAP:
        return None
    first = m.start(1)
    stop = _continuation(block, m.end(1), len(m[1]))
    # the line before may hold the start of the value, after its key (`data: MIIC...`)
    prev_end = start - 1 if start and block[start - 1 : start] == b"\n" else -1
    if prev_end > 0:
        pe = prev_end - (block[prev_end - 1 : prev_end] == b"\r")
        ps = pe
        while ps > 0 and block[ps - 1] in _B64:
            ps -= 1
        if pe - ps >= _WRAP and (ps == 0 or block[ps - 1 : ps] in b" \t\"'"):
            first = ps
    if stop == m.end(1) and first == m.start(1):
        return None  # one line alone: an id, a hash, a word
    if all(c in _HEX for c in block[first:stop] if c not in b" \t\r\n"):
        return (first, stop, block[first:stop])  # hex lines (digests, ids): no secret, and not looked at again
    return (first, stop, BASE64)


# -- secret-bearing keys -----------------------------------------------------------------------------

_HINTS = (
    b"pass",
    b"pwd",
    b"token",
    b"secret",
    b"psk",
    b"shared",
    b"credential",
    b"key",
    b"data",
    b".crt",
    b"bundle",
    b"docker",
    b"auth",
    b"signature",
)
_KEY_WORDS = (
    rb"password|passwd|passphrase|pwd|token|secret|psk|pre-?shared-?key|pre_shared_key|credentials?|"
    rb"api-?key|api_key|access-?key|access_key|secret_key|private-?key|private_key|key-data|"
    rb"certificate-data|authority-data|\.key|\.crt|cabundle|ca-bundle|ca_bundle|dockerconfigjson|"
    rb"dockercfg|auth|accountkey|sharedaccesskey|signature"
)
# Keys whose value names a Secret or a file rather than holding one.
_GENERIC = re.compile(rb"(?i)(?:^|[-_.])(?:secret|credentials?|auth)$")
_KEY_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_SEP = re.compile(rb"[\"']?[ \t]*(?P<sep>[:=])[ \t]*")
_VALUE = re.compile(rb"\"(?:[^\"\\\n]|\\.){0,8192}\"|'[^'\n]{0,8192}'|[^\s\"',;}\]&]{1,8192}")
_BLOCK_HEAD = re.compile(rb"[|>][-+]?[ \t]*\r?\n")
_NOT_SECRET = re.compile(
    rb"(?i)(?:|null|none|nil|true|false|\*+|<[^>]*>|\$\{?\w+\}?|\{\{[^}]*\}\}|REDACTED-[A-Z0-9-]+|"
    rb"\{\}|\[\]|~)$"
)
_RESOURCE_NAME = re.compile(rb"[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$")
_PATH = re.compile(rb"(?:/|\./|~/|[A-Za-z]:\\)")


def key_marker(key: bytes) -> bytes:
    key = key.lower()
    if key.endswith((b"key-data", b".key", b"private-key", b"private_key", b"privatekey")):
        return PRIVATE_KEY
    if key.endswith((b"certificate-data", b"authority-data", b".crt", b"cabundle", b"ca-bundle", b"ca_bundle")):
        return CERTIFICATE
    if key.endswith((b"password", b"passwd", b"pwd", b"passphrase")):
        return PASSWORD
    return TOKEN if key.endswith(b"token") else SECRET


_KEY_RUN = Run(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-", 128)


def _key_start(block: bytes, pos: int) -> int:
    return _KEY_RUN.left(block, pos)


_KEY_WORD = re.compile(rb"(?:" + _KEY_WORDS + rb")", re.I)


def _keyed(block: bytes, start: int, _end: int) -> Span | None:
    """`<key><sep><value>` where the key ends with a secret word (the trigger)."""
    w = _KEY_WORD.match(block, start)
    if w is None:
        return None
    word_end = w.end()
    key = block[_key_start(block, start) : word_end].lstrip(b"-.")
    if not key or key[:1] == b"." and len(key) < 3:
        return None
    sep = _SEP.match(block, word_end)
    if sep is None:
        return None
    pos = sep.end()
    if sep["sep"] == b":" and block[pos : pos + 1] == b"=":  # `key:=` is no assignment we know
        return None
    if sep["sep"] == b":" and (h := _BLOCK_HEAD.match(block, pos)):
        return _block_scalar(block, start, h.end())
    return _value(block, key, pos)


def _value(block: bytes, key: bytes, pos: int) -> Span | None:
    if block[pos : pos + 1] == b"<":  # kubectl describe: `<set to the key 'password' in secret 'db'>`
        close = block.find(b">", pos, _line_end(block, pos))
        if close != -1:
            return None
    v = _VALUE.match(block, pos)
    if v is None:
        return None
    val = v[0]
    quote = val[:1] if val[:1] in (b'"', b"'") else b""
    inner = val[1:-1] if quote and len(val) >= 2 else val
    if _NOT_SECRET.match(inner.strip()) or _PATH.match(inner):
        return None
    if _GENERIC.search(key) and _RESOURCE_NAME.match(inner):
        return None
    stop = v.end() - len(quote)
    if not quote and stop == _line_end(block, pos) - (block[stop - 1 : stop] == b"\r"):
        stop = _continuation(block, stop, len(inner))
    return (pos + len(quote), stop, key_marker(key))


def _block_scalar(block: bytes, start: int, body: int) -> Span | None:
    """The lines of a YAML block scalar under a secret key (deeper than the key's line)."""
    line = block.rfind(b"\n", 0, start) + 1
    indent = len(block[line:start]) - len(block[line:start].lstrip(b" \t-"))
    pos, last = body, body
    while pos < len(block):
        end = _line_end(block, pos)
        text = block[pos:end]
        stripped = text.lstrip(b" \t")
        if stripped.strip():
            if len(text) - len(stripped) <= indent:
                break
            last = end
        pos = end + 1
    if last == body:
        return None
    first = body + len(block[body:last]) - len(block[body:last].lstrip(b" \t"))
    if (
        block[first:last].startswith(b"-----BEGIN")
        or block[first:last].strip().startswith(b"REDACTED-")
        and b"\n" not in block[first:last].strip()
    ):
        return None  # a PEM block (its own detector keeps BEGIN and END), or already a marker
    return (first, last, SECRET)


_ENV = re.compile(rb"name:[ \t]*[\"']?(?P<name>[A-Z0-9_]*)[\"']?[ \t]*\r?\n[ \t]*value:[ \t]*(?P<val>\S[^\n]*)")
_ENV_JSON = re.compile(
    rb"\"name\"[ \t]*:[ \t]*\"(?P<name>[A-Z0-9_]*)\"[ \t]*,[ \t]*\"value\"[ \t]*:[ \t]*"
    rb"\"(?P<val>(?:[^\"\\\n]|\\.)*)\""
)
_ENV_WORD = re.compile(rb"(?:PSK|PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)(?:_|$)")


def _env(block: bytes, start: int, _end: int) -> Span | None:
    """`- name: DB_PASSWORD` + `value: x` (a Pod's env), in YAML or JSON."""
    m = (_ENV_JSON if block[start : start + 1] == b'"' else _ENV).match(block, start)
    if m is None and block[start - 1 : start] == b'"':
        m = _ENV_JSON.match(block, start - 1)
    if m is None or not _ENV_WORD.search(m["name"]):
        return None
    val = m["val"].rstrip(b" \t\r")
    if _NOT_SECRET.match(val.strip(b"\"'")):
        return None
    first = m.start("val") + (1 if val[:1] in (b'"', b"'") and m.re is _ENV else 0)
    last = m.start("val") + len(val) - (1 if val[-1:] in (b'"', b"'") and m.re is _ENV and len(val) > 1 else 0)
    return (first, max(first, last), key_marker(m["name"]))


_FLAG = re.compile(rb"--[A-Za-z0-9_.-]*(?:" + _KEY_WORDS + rb") +(?![-=])", re.I)


def _flag(block: bytes, start: int, _end: int) -> Span | None:
    """`--token abc` (a flag and its value, separated by a space), on the hit's line."""
    line = block.rfind(b"\n", max(0, start - 64), start) + 1
    dash = block.rfind(b"--", max(line, start - 64), start + 2)
    m = _FLAG.match(block, dash) if dash != -1 else None
    if m is None or (dash and block[dash - 1] in _KEY_CHARS):
        return None
    return _value(block, m[0].rstrip(b" ").lstrip(b"-"), m.end())


# -- URLs and HTTP -------------------------------------------------------------------------------

_AUTHORITY_STOP = re.compile(rb"[\s\"'<>`\\]")
_PORT_PATH = re.compile(rb"\d{1,5}(?:[/?#]|$)")


def _url_credentials(block: bytes, start: int, end: int) -> Span | None:
    """`scheme://user:password@host`: the user and password (an empty user, a `/` in the
    password); a lone long token as the user (`https://ghp_...@github.com`)."""
    pos = end
    if block.find(b"@", pos, pos + 512) == -1:  # most URLs: no user part
        return None
    stop_m = _AUTHORITY_STOP.search(block, pos, min(len(block), pos + 512))
    stop = stop_m.start() if stop_m else min(len(block), pos + 512)
    at = block.rfind(b"@", pos, stop)
    if at == -1:
        return None
    userinfo = block[pos:at]
    colon = userinfo.find(b":")
    if colon == -1:
        if b"/" in userinfo or len(userinfo) < 20 or not re.fullmatch(rb"[A-Za-z0-9_.~-]+", userinfo):
            return None
        return (pos, at, TOKEN)  # a user name that is a token
    user, password = userinfo[:colon], userinfo[colon + 1 :]
    if b"/" in user or _PORT_PATH.match(password) or not password:
        return None  # host:port/path@digest (an image reference), not credentials
    return (pos, at, CREDENTIALS)


_QUERY_HINTS = (b"pass", b"pwd", b"token", b"sig", b"key", b"secret", b"code", b"session", b"jwt", b"amz")
_QUERY = re.compile(rb"[?&;](?P<key>[A-Za-z0-9_.-]+)=")
_QUERY_VALUE = re.compile(rb"[^&#\s\"'<>`;]+")


def _query(block: bytes, start: int, _end: int) -> Span | None:
    """A secret URL query parameter: `?pass=`, `&token=`, `sig=` (Azure SAS), `X-Amz-Signature=`."""
    m = _QUERY.match(block, start)
    if m is None:
        return None
    v = _QUERY_VALUE.match(block, m.end())
    if v is None or _NOT_SECRET.match(v[0]):
        return None
    return (m.end(), v.end(), key_marker(m["key"]))


_SCHEME = re.compile(
    rb"(?:Bearer|Basic|Token|Digest|Negotiate|NTLM|AWS4-HMAC-SHA256|ApiKey|SharedKey|SSWS|Key|"
    rb"OAuth|MAC|HOBA|Mutual|SCRAM-SHA-256|vapid)[ \t]+",
    re.I,
)
_HEADER_SEP = re.compile(rb"[\"']?[ \t]*[:=][ \t]*[\"'\[]?[ \t]*")
_CRED = re.compile(rb"[^\s\"'\],;]{1,8192}")
_CRED_PARAMS = re.compile(rb"[^\"'\]\n]{1,8192}")


_HEADER = re.compile(rb"(?:proxy-)?authorization|x-auth-token|x-api-key|(?:set-)?cookie", re.I)


def _authorization(block: bytes, start: int, _end: int) -> Span | None:
    """`Authorization: <scheme> <credentials>` in a header dump, Go's `map[Authorization:[...]]`,
    JSON or YAML; also `X-Auth-Token`, `X-Api-Key`, `Cookie`/`Set-Cookie`."""
    h = _HEADER.match(block, start)
    if h is None or (start and block[start - 1] in _KEY_CHARS and block[start - 1] not in b"-"):
        return None
    end = h.end()
    sep = _HEADER_SEP.match(block, end)
    if sep is None:
        return None
    pos = sep.end()
    s = _SCHEME.match(block, pos)
    if s is not None:
        pos = s.end()
        params = s[0].split()[0].lower() in (b"digest", b"aws4-hmac-sha256", b"hoba", b"mutual")
        v = (_CRED_PARAMS if params else _CRED).match(block, pos)
    else:
        cookie = block[end - 6 : end].lower().endswith(b"cookie")  # `a=b; c=d`: all of it
        v = (_CRED_PARAMS if cookie else _CRED).match(block, pos)
    if v is None or _NOT_SECRET.match(v[0].strip()):
        return None
    stop = pos + len(v[0].rstrip(b" \t\r"))
    return (pos, stop, TOKEN if s is not None and s[0].strip().lower() in (b"bearer", b"token") else CREDENTIALS)


_AFTER_SCHEME = re.compile(rb"[A-Za-z0-9._~+/=-]{8,}")


def _scheme_word(block: bytes, start: int, end: int) -> Span | None:
    """`Bearer <token>` / `Basic <base64>` anywhere in a line."""
    if start and block[start - 1] in _KEY_CHARS:
        return None
    v = _AFTER_SCHEME.match(block, end)
    if v is None or v[0].startswith(b"REDACTED-"):
        return None
    return (
        end,
        v.end(),
        TOKEN if block[start : start + 1] in b"Bb" and block[start + 1 : start + 2] == b"e" else CREDENTIALS,
    )


# -- tokens on their own ------------------------------------------------------------------------

# (trigger, confirm, marker, lower-case words the stdlib finder looks for before the pattern)
_TOKEN_FORMS = [
    (rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ", rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", TOKEN, (b"eyj",)),
    (rb"(?:AKIA|ASIA)[0-9A-Z]{16}", rb"(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])", KEY, (b"akia", b"asia")),
    (
        rb"gh[pousr]_[A-Za-z0-9]{30}",
        rb"gh[pousr]_[A-Za-z0-9]{30,}",
        TOKEN,
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"),
    ),
    (rb"github_pat_[A-Za-z0-9_]{40}", rb"github_pat_[A-Za-z0-9_]{40,}", TOKEN, (b"github_pat_",)),
    (rb"glpat-[A-Za-z0-9_-]{20}", rb"glpat-[A-Za-z0-9_-]{20,}", TOKEN, (b"glpat-",)),
    (rb"xox[abprs]-[A-Za-z0-9-]{10}", rb"xox[abprs]-[A-Za-z0-9-]{10,}", TOKEN, (b"xox",)),
    (rb"AIza[0-9A-Za-z_-]{35}", rb"AIza[0-9A-Za-z_-]{35}", KEY, (b"aiza",)),
    (rb"[sr]k_live_[0-9A-Za-z]{16}", rb"[sr]k_live_[0-9A-Za-z]{16,}", KEY, (b"k_live_",)),
    (rb"hv[sb]\.[A-Za-z0-9_-]{24}", rb"hv[sb]\.[A-Za-z0-9_-]{24,}", TOKEN, (b"hvs.", b"hvb.")),
    (rb"npm_[A-Za-z0-9]{36}", rb"npm_[A-Za-z0-9]{36}", TOKEN, (b"npm_",)),
    (
        rb"(?:ssh-rsa|ssh-ed25519|ssh-dss|ecdsa-sha2-nistp[0-9]+) AAAA",
        rb"(?<=[ ])AAAA[A-Za-z0-9+/=]{20,}",
        KEY,
        (b"ssh-", b"ecdsa-"),
    ),
]


def _token_form(confirm: re.Pattern[bytes], marker: bytes, is_ssh: bool) -> Confirm:
    def detect(block: bytes, start: int, end: int) -> Span | None:
        if start and block[start - 1] in _KEY_CHARS and not is_ssh:
            return None
        m = confirm.match(block, end - 4) if is_ssh else confirm.match(block, start)
        return (m.start(), m.end(), marker) if m else None

    return detect


_BOOTSTRAP = re.compile(rb"[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9.])")


def _bootstrap(block: bytes, start: int, _end: int) -> Span | None:
    """A kubeadm bootstrap token (`abcdef.0123456789abcdef`) near a word `token` on its line."""
    m = _BOOTSTRAP.match(block, start)
    if m is None or (start and block[start - 1] in _KEY_CHARS):
        return None
    line = max(block.rfind(b"\n", max(0, start - 256), start) + 1, start - 256)
    near = block[line : min(_line_end(block, start), start + 256)].lower()
    return (start, m.end(), TOKEN) if b"token" in near else None


# -- the table ----------------------------------------------------------------------------------


def detectors() -> list[tuple[str, list[Trigger], Confirm]]:
    """(form name, triggers, confirm) of every secret form, in priority order."""
    table: list[tuple[str, list[Trigger], Confirm]] = [
        ("pem", [Trigger(rb"-----BEGIN [A-Z0-9 ]{1,40}-----", hints=(b"-----begin",))], _pem),
        ("pem-base64", [Trigger(rb"LS0tLS1CRUdJT", hints=(b"ls0tls1crudjt",))], _pem_b64),
        ("url-credentials", [Trigger(rb"://", hints=(b"://",))], _url_credentials),
        (
            "url-query-secret",
            [
                Trigger(
                    hints=_QUERY_HINTS,
                    pattern=rb"[?&;](?:pass|password|passwd|pwd|token|"
                    rb"access_token|id_token|refresh_token|"
                    rb"auth_token|sig|signature|x-amz-signature|x-amz-credential|"
                    rb"x-amz-security-token|client_secret|api_key|apikey|key|secret|code|"
                    rb"sessionid|session|jwt)=",
                    caseless=True,
                )
            ],
            _query,
        ),
        (
            "authorization",
            [
                Trigger(
                    rb"(?:(?:proxy-)?authorization|x-auth-token|x-api-key)[\"':= \t]",
                    caseless=True,
                    hints=(b"authorization", b"x-auth-token", b"x-api-key"),
                ),
                Trigger(rb"(?:set-)?cookie\"?:", caseless=True, hints=(b"cookie",)),
            ],
            _authorization,
        ),
        ("env-secret", [Trigger(rb"name:[ \t]", hints=(b"name",)), Trigger(rb"\"name\":", hints=(b"name",))], _env),
        (
            "secret-flag",
            [
                Trigger(rb"--(?:" + _KEY_WORDS + rb") ", caseless=True, hints=_HINTS),
                Trigger(rb"[-_.](?:" + _KEY_WORDS + rb") ", caseless=True, hints=_HINTS),
            ],
            _flag,
        ),
        ("secret-key", [Trigger(rb"(?:" + _KEY_WORDS + rb")[\"':= \t]", caseless=True, hints=_HINTS)], _keyed),
        (
            "scheme-credentials",
            [Trigger(rb"Bearer ", caseless=True, hints=(b"bearer ",)), Trigger(rb"Basic ", hints=(b"basic ",))],
            _scheme_word,
        ),
        ("bootstrap-token", [Trigger(rb"[a-z0-9]{6}\.[a-z0-9]{16}", hints=(b"token",))], _bootstrap),
    ]
    for trigger, confirm, marker, hints in _TOKEN_FORMS:
        is_ssh = trigger.endswith(b"AAAA")
        table.append(("token", [Trigger(trigger, hints=hints)], _token_form(re.compile(confirm), marker, is_ssh)))
    table.append(("base64-block", [Trigger(rb"^[ \t]*[A-Za-z0-9+/]{40,}={0,2}\r?$")], _b64_block))
    return table


# -- Kubernetes Secret objects ----------------------------------------------------------------------

_ANY_SECRET_KIND = re.compile(rb"kind\"?[ \t]*:[ \t]*[\"']?Secret\b")
_SECRET_KIND = re.compile(rb"^[ \t]*kind:[ \t]*[\"']?Secret[\"']?[ \t]*\r?$", re.M)
_SECRET_KIND_JSON = re.compile(rb"\"kind\"[ \t]*:[ \t]*\"Secret\"")
_DATA_KEY = re.compile(rb"^(?P<ind>[ \t]*)(?:data|stringData):[ \t]*\r?$", re.M)
_DATA_JSON = re.compile(rb"\"(?:data|stringData)\"[ \t]*:[ \t]*\{")
_DATA_ITEM = re.compile(rb"^(?P<ind>[ \t]+)(?P<key>[^\s:#][^:\n]*):[ \t]*(?P<val>[^\n]*)$", re.M)
_JSON_PAIR = re.compile(rb"\"(?:[^\"\\\n]|\\.)*\"[ \t]*:[ \t]*\"(?P<val>(?:[^\"\\\n]|\\.)*)\"")


def secret_objects(block: bytes) -> bytes:
    """Every value under `data:`/`stringData:` of the Kubernetes Secrets in `block` (YAML
    documents or JSON objects), replaced whatever its key is called."""
    if _ANY_SECRET_KIND.search(block) is None:  # `re` finds its `kind` twice as fast as `in` finds b"Secret"
        return block
    spans: list[tuple[int, int]] = []
    for kind in _SECRET_KIND.finditer(block):
        doc_start = max(block.rfind(b"\n---", 0, kind.start()) + 1, block.rfind(b"\n#", 0, kind.start()) + 1)
        nxt = [p for p in (block.find(b"\n---", kind.end()), block.find(b"\n#", kind.end())) if p != -1]
        doc_end = min(nxt) if nxt else len(block)
        for data in _DATA_KEY.finditer(block, doc_start, doc_end):
            indent = len(data["ind"])
            for item in _DATA_ITEM.finditer(block, data.end(), doc_end):
                if len(item["ind"]) <= indent:
                    break
                val = item["val"].rstrip(b"\r")
                if val and not _NOT_SECRET.match(val.strip(b"\"'")):
                    quoted = val[:1] in (b'"', b"'") and len(val) > 1
                    spans.append((item.start("val") + quoted, item.start("val") + len(val) - quoted))
    for kind in _SECRET_KIND_JSON.finditer(block):
        # the object's `data` may come before or after its `kind` (kubectl sorts keys)
        around = (max(0, kind.start() - (1 << 16)), min(len(block), kind.end() + (1 << 16)))
        for data in _DATA_JSON.finditer(block, *around):
            close = block.find(b"}", data.end())
            for pair in _JSON_PAIR.finditer(block, data.end(), close if close != -1 else len(block)):
                if not _NOT_SECRET.match(pair["val"]):
                    spans.append((pair.start("val"), pair.end("val")))
    if not spans:
        return block
    out, pos = [], 0
    for first, last in sorted(set(spans)):
        if first < pos:
            continue
        out += [block[pos:first], SECRET]
        pos = last
    out.append(block[pos:])
    return b"".join(out)
