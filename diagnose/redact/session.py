"""One redaction run's key, map and mapper, set up the same way for `scan --redact` and `redact`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from diagnose.redact import keys, mapfile, names
from diagnose.redact.mapper import Mapper
from diagnose.redact.vocab import Vocabulary


class RedactionError(ValueError):
    """An option or file that makes the redaction impossible (one sentence for the user)."""


@dataclass
class Session:
    """A redaction's mapper and where its map is saved."""

    mapper: Mapper
    key_in_map: bool
    map_path: Path | None
    notes: list[str] = field(default_factory=list)  # for stderr: key file created, ...

    def save_map(self) -> None:
        if self.map_path is None:
            return
        m = self.mapper
        mapfile.save(
            self.map_path,
            mapfile.RedactionMap(
                key=m.key if self.key_in_map else None,
                key_id=keys.key_id(m.key),
                records=m.records,
                kept_addresses=sorted(str(a) for a in m.addresses.kept),
            ),
        )

    def trust_redacted_input(self, vocabulary: Vocabulary) -> None:
        """An input redacted before with this map (all its Node names are the map's pseudonyms)
        keeps its pseudonyms as they are: redacting twice changes nothing."""
        pseudonyms = self.mapper.pseudonyms()
        if vocabulary.node_names and all(n.lower() in pseudonyms for n in vocabulary.node_names):
            self.mapper.passthrough = pseudonyms


def parse_keep_names(text: str | None) -> set[str]:
    keep: set[str] = set()
    for item in (text or "").split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item not in names.KEEPABLE:
            raise RedactionError(f"--keep-names {item!r}: choose from pods, namespaces")
        keep.update(names.KEEPABLE[item])
    return keep


def open_session(map_path: Path | None, key_file: Path | None, keep_names: str | None) -> Session:
    notes: list[str] = []
    try:
        existing = mapfile.load(map_path) if map_path is not None and map_path.exists() else None
        file_key = None
        if key_file is not None:
            file_key, created = keys.load_key_file(key_file)
            if created:
                notes.append(
                    f"Created the key file {key_file} (mode 0600): pass the same --key-file to every run "
                    "of this batch for consistent pseudonyms, and keep it private."
                )
        key, key_in_map = mapfile.resolve_key(existing, file_key, keys.new_key())
    except (mapfile.MapError, keys.KeyFileError, OSError) as e:
        raise RedactionError(str(e)) from None
    mapper = Mapper(key, parse_keep_names(keep_names))
    if existing is not None:
        mapper.load_records(existing.records)
        for ip in existing.kept_addresses:
            mapper.keep_address(ip)
    return Session(mapper, key_in_map, map_path, notes)
