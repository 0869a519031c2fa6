"""The private redaction map: what each pseudonym stands for, to translate a report back.

JSON, written atomically with mode 0600. It holds the pairs the run made (never a secret: those
became markers) and, when no `--key-file` was given, the run's key, so that a later run given
the same map (`--map`) continues it with the same pseudonyms. With a key file it records only the
key's fingerprint: one leaked map must not give away the key of a whole batch.

The map must never travel with what it unlocks, so it is refused inside the redacted output
(and inside the input bundle, which is often shared as it is).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from diagnose import output
from diagnose.redact.keys import key_id

FORMAT = "antrea-diagnose-redaction-map"
VERSION = 1


class MapError(ValueError):
    """A map file that cannot be used (unreadable, not a map, made with another key)."""


@dataclass
class RedactionMap:
    """The content of a map file: the key or its id and every pseudonym given."""

    key: bytes | None = None  # None when the key lives in a key file
    key_id: str = ""
    records: dict[str, dict[str, str]] = field(default_factory=dict)
    kept_addresses: list[str] = field(default_factory=list)

    def reverse(self) -> dict[str, str]:
        """pseudonym -> original, over every kind (the kinds' notations never collide)."""
        return {p: o for pairs in self.records.values() for o, p in pairs.items()}


def load(path: Path) -> RedactionMap:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise MapError(f"the map {path} cannot be read: {e.strerror or e}") from None
    except ValueError:
        raise MapError(f"{path} is not a redaction map (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise MapError(f"{path} is not an antrea-diagnose redaction map")
    values = data.get("values")
    records = values if isinstance(values, dict) else {}
    clean = {str(k): {str(o): str(p) for o, p in v.items()} for k, v in records.items() if isinstance(v, dict)}
    key = None
    if isinstance(data.get("key"), str):
        try:
            key = bytes.fromhex(data["key"])
        except ValueError:
            raise MapError(f"the key in {path} is damaged") from None
    kept = [str(a) for a in data.get("kept_addresses") or [] if isinstance(a, str)]
    return RedactionMap(key, str(data.get("key_id") or ""), clean, kept)


def save(path: Path, m: RedactionMap) -> None:
    body = {
        "format": FORMAT,
        "version": VERSION,
        "note": "PRIVATE: translates pseudonyms back to real names and addresses. Do not share it.",
        "key_id": m.key_id,
        **({"key": m.key.hex()} if m.key is not None else {}),
        "kept_addresses": sorted(m.kept_addresses),
        "values": {k: dict(sorted(v.items())) for k, v in sorted(m.records.items())},
    }
    text = json.dumps(body, indent=1, ensure_ascii=False) + "\n"
    output.write_text(path, text, private=True, what="the redaction map")  # 0600, atomic, never over a device


def resolve_key(existing: RedactionMap | None, key_file_key: bytes | None, new: bytes) -> tuple[bytes, bool]:
    """The key of this run and whether the map must store it: the key file's, else the
    continued map's, else a new one. A key file that differs from the map's key is an error."""
    if key_file_key is not None:
        if existing is not None and existing.key_id and existing.key_id != key_id(key_file_key):
            raise MapError("the map was made with another key; use its key file, or a new map")
        return key_file_key, False
    if existing is not None:
        if existing.key is None:
            raise MapError("the map was made with a key file; pass the same --key-file")
        return existing.key, True
    return new, True


def check_location(map_path: Path, files: Sequence[Path] = (), dirs: Sequence[Path] = ()) -> None:
    """Refuse a map that would be one of `files` or inside one of `dirs` (the redacted output,
    the input, the report)."""
    target = map_path.resolve()
    for place in [*files, *dirs]:
        if target == place.resolve():
            raise MapError(f"the map cannot be written to {place}: that is where the data goes; choose another path")
    for place in dirs:
        if target.is_relative_to(place.resolve()):
            raise MapError(
                f"the map must not be written inside {place}: it would travel with the data it "
                "translates back; choose a path outside it"
            )
    if not target.parent.is_dir():
        raise MapError(f"the directory of the map {map_path} does not exist")
