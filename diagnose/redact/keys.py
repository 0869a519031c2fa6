"""The secret behind every pseudonym: made, read from a key file, fingerprinted.

Pseudonyms are keyed hashes (HMAC-SHA256) of the real value, so the same value always gets the
same pseudonym under one key, and nobody without the key can test a guess ("is node-3f9a1c
`db-prod-7`?"). A shared `--key-file` therefore gives consistent pseudonyms across every bundle
of a batch; without one each run draws a fresh key and keeps it in its private map file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from diagnose import output

KEY_BYTES = 32


class KeyFileError(ValueError):
    """A key file that cannot be used (empty, unreadable)."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def key_id(key: bytes) -> str:
    """A fingerprint that tells whether two maps were made with the same key (not the key)."""
    return hashlib.sha256(b"antrea-diagnose redaction key id\0" + key).hexdigest()[:16]


def load_key_file(path: Path) -> tuple[bytes, bool]:
    """The key in `path`, and whether the file was created now (with a new random key).

    Any content works as a secret (a passphrase, hex, a random blob): it is hashed to 32 bytes,
    so a team can share whatever their secret store holds."""
    if not path.exists():
        text = secrets.token_hex(KEY_BYTES) + "\n"
        output.create_private(path, text)  # 0600 from the first byte, never over anything
        return _derive(text.encode()), True
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"the key file {path} cannot be read: {e.strerror or e}") from None
    if not data.strip():
        raise KeyFileError(f"the key file {path} is empty")
    return _derive(data.strip()), False


def _derive(material: bytes) -> bytes:
    return hashlib.sha256(b"antrea-diagnose redaction key\0" + material).digest()


def digest(key: bytes, label: str, value: str | bytes) -> bytes:
    """HMAC-SHA256 of `value` under `key`, separated by `label` (one label per kind of value)."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    return hmac.digest(key, label.encode() + b"\0" + data, "sha256")
