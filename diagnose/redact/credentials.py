"""Secrets in text: replaced by a marker that says what was there, never mapped, never restorable.

What is replaced (values only; the keys and the structure around them stay, so YAML and logs
still parse):
- PEM blocks (certificates, private keys, CSRs; also inside YAML block scalars or JSON strings
  with `\\n`), and base64-encoded PEM (`LS0tLS1CRUdJTi...`, kubeconfig `*-data` fields);
- values of secret-bearing keys in YAML, JSON, key=value and command-line flags: `token`,
  `password`, `client-key-data`, `client-secret`, `psk`, `api-key`, ... (and YAML block scalars
  under them), and `- name: *_PASSWORD/*_TOKEN/*_PSK` env entries' `value:`;
- tokens recognisable on their own: JWTs (service account tokens), `Bearer ...`, bootstrap
  tokens, AWS access key ids, GitHub/GitLab/Slack tokens, SSH public keys, credentials in URLs.
"""

from __future__ import annotations

import base64
import binascii
import re

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")
# BEGIN and END lines, paired in one linear pass (a regex from BEGIN to its END would rescan the
# text for every BEGIN that never ends: quadratic on a crafted file).
_PEM_MARK = re.compile(r"-----(BEGIN|END) ([A-Z0-9 ]{1,40})-----")
_PEM_SEP = re.compile(r"\\n|\r?\n[ \t]*|[ \t]*")
# A PEM block whose end is missing (a truncated file): its base64 lines.
_PEM_OPEN = re.compile(r"-----BEGIN (?P<type>[A-Z0-9 ]{1,40})-----(?P<sep>\\n|\r?\n[ \t]*)"
                       r"(?P<body>(?:[A-Za-z0-9+/=]{8,}(?:\\n|\r?\n[ \t]*|$))+)")
_PEM_B64 = re.compile(r"(?<![A-Za-z0-9+/=])LS0tLS1CRUdJTi[A-Za-z0-9+/=]{8,}")
_SECRET_KEYS = (r"client-key-data|client-certificate-data|certificate-authority-data|id-token|refresh-token|"
                r"access-token|auth-token|bearer-token|bootstrap-token|client-secret|secret-key|access-key|"
                r"secret-access-key|private-key|private_key|privateKey|api-key|api_key|apiKey|apikey|"
                r"token|password|passwd|pwd|psk|pre-shared-key|preSharedKey|secret|credentials?|"
                r"ca\.key|tls\.key|tls\.crt|ca\.crt|caBundle|ca-bundle")
# key: value / "key": "value" / key=value / --key=value / --key value
_VAL = r"(?P<val>\"(?:[^\"\\\n]|\\.){0,8192}\"|'[^'\n]{0,8192}'|[^\s\"',;}\]]{1,8192})"
_KV = re.compile(rf"(?P<pre>(?<![\w.])(?:--)?[\"']?(?P<key>{_SECRET_KEYS})[\"']?[ \t]*[:=][ \t]*){_VAL}", re.I)
_FLAG = re.compile(rf"(?P<pre>(?<![\w-])--(?P<key>{_SECRET_KEYS})[ ]+)(?![-=]){_VAL}", re.I)
_BLOCK = re.compile(rf"^(?P<head>(?P<ind>[ \t]*)(?:-[ \t]+)?[\"']?(?:{_SECRET_KEYS})[\"']?"
                    r"[ \t]*:[ \t]*[|>][-+]?[ \t]*\n)(?P<body>(?:(?P=ind)[ \t]+\S.*(?:\n|$))+)", re.M | re.I)
_ENV = re.compile(r"(?P<head>name:[ \t]*[\"']?[A-Z0-9_]*(?:PSK|PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_KEY|"
                  r"PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]*[\"']?[ \t]*\n[ \t]*value:[ \t]*)(?P<val>\S[^\n]*)")
# Tokens recognisable on their own, each with the substrings it cannot occur without (a cheap
# test that spares most texts the pattern).
_TOKENS = [
    (re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "REDACTED-TOKEN",
     ("eyJ",)),
    (re.compile(r"(?<=\bBearer )[A-Za-z0-9._~+/=-]{8,}", re.I), "REDACTED-TOKEN", ("Bearer ", "bearer ", "BEARER ")),
    (re.compile(r"(?<=\bBasic )[A-Za-z0-9+/=]{8,}"), "REDACTED-CREDENTIALS", ("Basic ",)),
    (re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])"), "REDACTED-KEY", ("AKIA", "ASIA")),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,})"),
     "REDACTED-TOKEN", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "glpat-", "xox")),
    (re.compile(r"(?<=ssh-rsa )AAAA[A-Za-z0-9+/=]{20,}|(?<=ssh-ed25519 )AAAA[A-Za-z0-9+/=]{20,}|"
                r"(?<=ssh-dss )AAAA[A-Za-z0-9+/=]{20,}|(?<=nistp256 )AAAA[A-Za-z0-9+/=]{20,}"), "REDACTED-KEY",
     ("ssh-", "nistp")),
    (re.compile(r"(?<=://)[^/\s:@\"']{1,256}:[^/\s@\"']{1,256}(?=@)"), "REDACTED-CREDENTIALS", ("://",)),
]
# A kubeadm bootstrap token (`abcdef.0123456789abcdef`), looked for on lines that name a token.
_BOOTSTRAP = re.compile(r"(?<![A-Za-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9])")
# Values that hold no secret: empty, placeholders, references, and this tool's own markers.
_NOT_SECRET = re.compile(r"^(?:|null|none|nil|true|false|\*+|<[^>]*>|\$\{?\w+\}?|REDACTED-[A-Z-]+|"
                         r"[|>][-+]?|\{\}|\[\])$", re.I)
# Generic keys (`secret`, `credentials`) also name resources: `secret="kube-system/antrea-ipsec"`.
_RESOURCE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$")
_GENERIC_KEYS = frozenset({"secret", "credential", "credentials"})
_PATH_KEYS_OK = re.compile(r"^(?:/|\./|~/)")  # a file path is where a secret is, not the secret


def _pem_marker(pem_type: str) -> str:
    if "PRIVATE" in pem_type:
        return "REDACTED-PRIVATE-KEY"
    return "REDACTED-CERTIFICATE" if "CERTIFICATE" in pem_type else "REDACTED-KEY"


def _pem_pairs(text: str) -> tuple[list[tuple[int, int, str]], int | None]:
    """(start, end, type) of every complete PEM block, and where the first one that does not end
    in `text` begins (None if all end)."""
    marks = list(_PEM_MARK.finditer(text))
    next_end: list[int | None] = [None] * len(marks)
    last: dict[str, int] = {}
    for i in range(len(marks) - 1, -1, -1):  # for each mark, the next END of its type after it
        next_end[i] = last.get(marks[i][2])
        if marks[i][1] == "END":
            last[marks[i][2]] = i
    pairs, open_at, i = [], None, 0
    while i < len(marks):
        m = marks[i]
        j = next_end[i] if m[1] == "BEGIN" else None
        if j is None:
            if m[1] == "BEGIN" and open_at is None:
                open_at = m.start()
            i += 1
            continue
        pairs.append((m.start(), marks[j].end(), m[2]))
        i = j + 1
    return pairs, open_at


def _replace_pem(text: str) -> str:
    out, pos = [], 0
    for start, end, pem_type in _pem_pairs(text)[0]:
        head = f"-----BEGIN {pem_type}-----"
        sep = _PEM_SEP.match(text, start + len(head))[0]  # type: ignore[index]
        sep = sep if sep.strip(" \t") else "\n"
        out.append(text[pos:start])
        out.append(f"{head}{sep}{_pem_marker(pem_type)}{sep}-----END {pem_type}-----")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _pem_b64(m: re.Match[str]) -> str:
    head = m[0][:64]
    try:
        text = base64.b64decode(head[: len(head) // 4 * 4]).decode("ascii", "replace")
    except (binascii.Error, ValueError):
        return "REDACTED-CERTIFICATE"
    begin = _PEM_BEGIN.search(text)
    return _pem_marker(begin[1]) if begin else "REDACTED-CERTIFICATE"


def _kv(m: re.Match[str]) -> str:
    val = m["val"]
    quote = val[0] if val[:1] in "\"'" else ""
    inner = val[1:-1] if quote and len(val) >= 2 else val
    key = m["key"].lower()
    if _NOT_SECRET.match(inner.strip()) or _PATH_KEYS_OK.match(inner):
        return m[0]
    if key in _GENERIC_KEYS and _RESOURCE_NAME.match(inner):
        return m[0]
    marker = "REDACTED-PASSWORD" if key in ("password", "passwd", "pwd") else (
        "REDACTED-TOKEN" if "token" in key else "REDACTED-SECRET")
    if key.endswith(("key-data", ".key", "private-key", "private_key", "privatekey")):
        marker = "REDACTED-PRIVATE-KEY"
    elif key.endswith(("certificate-data", "authority-data", ".crt", "cabundle", "ca-bundle")):
        marker = "REDACTED-CERTIFICATE"
    return f"{m['pre']}{quote}{marker}{quote}"


def _block(m: re.Match[str]) -> str:
    ind = m["ind"]
    body_lines = m["body"].splitlines()
    if body_lines and all(line.strip().startswith(("-----BEGIN", "REDACTED-", "-----END")) for line in body_lines):
        return m[0]  # a PEM block: already reduced to its marker
    deeper = re.match(r"[ \t]*", body_lines[0])[0] if body_lines else ind + "  "  # type: ignore[index]
    end = "\n" if m["body"].endswith("\n") else ""
    return f"{m['head']}{deeper}REDACTED-SECRET{end}"


# Words (lower-case) without which no line holds a secret-bearing key: most log lines have none,
# and finding them with str.find is far cheaper than any pattern.
_KEY_HINTS = ("token", "passw", "pwd", "secret", "psk", "preshared", "pre-shared", "credential", "key-data",
              "certificate-data", "authority-data", "access-key", "private", "apikey", "api-key", "api_key", ".key",
              ".crt", "cabundle", "ca-bundle")


def _hinted_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of the lines that contain a key hint, in order (each line looked at once per
    hint, so a long line full of hints costs no more than its length)."""
    low = text.lower()
    spans: set[tuple[int, int]] = set()
    for hint in _KEY_HINTS:
        i = low.find(hint)
        while i != -1:
            start = low.rfind("\n", 0, i) + 1
            end = low.find("\n", i)
            end = len(low) if end == -1 else end
            spans.add((start, end))
            i = low.find(hint, end)
    return sorted(spans)


def _kv_line(line: str) -> str:
    line = _KV.sub(_kv, line)
    if "--" in line:
        line = _FLAG.sub(_kv, line)
    if "token" in line.lower():
        line = _BOOTSTRAP.sub("REDACTED-TOKEN", line)
    return line


def scrub(text: str) -> str:
    """`text` with every secret it holds replaced by a marker."""
    if "-----BEGIN" in text:
        text = _replace_pem(text)
        text = _PEM_OPEN.sub(lambda m: f"-----BEGIN {m['type']}-----{m['sep']}{_pem_marker(m['type'])}\n", text)
    if "LS0tLS1CRUdJTi" in text:
        text = _PEM_B64.sub(_pem_b64, text)
    low = text.lower()
    if any(h in low for h in _KEY_HINTS):
        if "|" in text or ">" in text:
            text = _BLOCK.sub(_block, text)
        if "value:" in text:
            text = _ENV.sub(lambda m: m["head"] + ("REDACTED-SECRET" if not _NOT_SECRET.match(m["val"].strip())
                                                   else m["val"]), text)
        out, pos = [], 0
        for start, end in _hinted_lines(text):
            out.append(text[pos:start])
            out.append(_kv_line(text[start:end]))
            pos = end
        out.append(text[pos:])
        text = "".join(out)
    for pattern, marker, hints in _TOKENS:
        if any(h in text for h in hints):
            text = pattern.sub(marker, text)
    return text


def open_pem_start(text: str) -> int | None:
    """Where a PEM block that does not end in `text` begins (its end is in the next chunk)."""
    return _pem_pairs(text)[1]
