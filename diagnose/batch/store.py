"""The results store: one SQLite database (`results.db`) in the batch's output folder.

    bundles      one row per bundle path: content hash, size, Antrea versions, Node count, scan
                 time, status (scanned / failed / duplicate), error, rule-pack version, ...
    findings     one row per finding (root causes, and the symptoms each explains)
    unexplained  the report's unexplained error templates, per bundle

Every bundle is recorded in one transaction (its old row, findings and templates replaced
together), so an interrupted batch leaves each bundle either fully old or fully new and nothing
recorded before is lost. WAL journaling keeps a reader (`summary`) from blocking a running batch.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from diagnose import __version__

FILE_NAME = "results.db"
SCHEMA_VERSION = 1
SCANNED, FAILED, DUPLICATE = "scanned", "failed", "duplicate"

_SCHEMA = """
CREATE TABLE bundles (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,           -- absolute path or URL, as discovered
    name TEXT NOT NULL UNIQUE,           -- its folder under bundles/
    content_hash TEXT,                   -- sha256 of the bytes (files) or of file list + bytes (folders)
    size INTEGER,                        -- bytes hashed
    stat_key TEXT,                       -- sizes and mtimes when hashed: unchanged -> hash reused
    antrea_versions TEXT,                -- comma-separated, oldest first
    node_count INTEGER,
    shape TEXT,
    collected_at TEXT,
    scanned_at TEXT NOT NULL,
    scan_seconds REAL,
    status TEXT NOT NULL,                -- scanned | failed | duplicate
    error TEXT,                          -- why it failed, or which path has the same content
    notes TEXT,                          -- e.g. a report format that could not be rendered
    problems INTEGER,                    -- files of the bundle that could not be read
    worst_severity TEXT,
    finding_count INTEGER,               -- root causes
    rulepack TEXT NOT NULL,
    tool_version TEXT NOT NULL
);
CREATE INDEX bundles_by_hash ON bundles (content_hash, rulepack);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    bundle_id INTEGER NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,               -- 0 = most likely root cause
    rule_id TEXT NOT NULL,
    slug TEXT,
    category TEXT,
    severity TEXT,
    confidence REAL,
    status TEXT,                         -- confirmed | inconclusive
    title TEXT,
    nodes TEXT,                          -- comma-separated
    symptoms TEXT,                       -- categories of the symptoms it explains, comma-separated
    explained_by TEXT                    -- for a symptom: the rule id of its root cause
);
CREATE INDEX findings_by_bundle ON findings (bundle_id);
CREATE TABLE unexplained (
    id INTEGER PRIMARY KEY,
    bundle_id INTEGER NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    template TEXT NOT NULL,
    count INTEGER,
    level TEXT,
    nodes TEXT,
    example TEXT,
    overflow INTEGER
);
CREATE INDEX unexplained_by_bundle ON unexplained (bundle_id);
"""


class StoreError(Exception):
    """The store cannot be opened or written; one sentence for the user."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path} is not a results store ({e}); move it away or choose another --out.") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a newer antrea-diagnose (store version {version}); "
                "upgrade, or choose another --out."
            )
        if version == 0 and tables:
            raise StoreError(f"{path} is an SQLite database but not a results store; choose another --out.")
        try:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash loses at most the last bundles
            if version == 0:
                with self._transaction():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as e:
            raise StoreError(f"{path} cannot be written: {e}.") from None

    def close(self) -> None:
        self.db.close()

    def _transaction(self):
        return _Transaction(self.db)

    # -- reading -------------------------------------------------------------------------------

    def known(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM bundles WHERE path = ?", (path,)).fetchone()

    def by_hash(self, content_hash: str, rulepack: str) -> sqlite3.Row | None:
        """A bundle with this content already judged by this rule pack (a scan before a failure)."""
        return self.db.execute(
            "SELECT * FROM bundles WHERE content_hash = ? AND rulepack = ? AND status != ? "
            "ORDER BY status = ? DESC, id LIMIT 1",
            (content_hash, rulepack, DUPLICATE, SCANNED),
        ).fetchone()

    def rows(self, paths: list[str]) -> list[sqlite3.Row]:
        out = []
        for i in range(0, len(paths), 500):
            chunk = paths[i : i + 500]
            out += self.db.execute(
                f"SELECT * FROM bundles WHERE path IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
        return out

    def worst_severities(self, paths: list[str]) -> list[str]:
        return [r["worst_severity"] for r in self.rows(paths) if r["worst_severity"]]

    def _name_for(self, path: str, file_name: str) -> str:
        """The bundle's folder name under bundles/: kept across runs; the file name without its
        archive suffix, plus a short hash of the path when another bundle has that name. Called
        inside the recording transaction, so two writers can never take the same name."""
        row = self.known(path)
        if row is not None:
            return row["name"]
        stem = _stem(file_name)
        candidates = [stem, f"{stem}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"]
        candidates += [f"{candidates[1]}-{i}" for i in range(2, 1000)]
        for name in candidates:
            if self.db.execute("SELECT 1 FROM bundles WHERE name = ?", (name,)).fetchone() is None:
                return name
        raise StoreError(f"no free report folder name for {path}")

    # -- writing -------------------------------------------------------------------------------

    def record(
        self,
        *,
        path: str,
        file_name: str,
        result: dict[str, Any],
        size: int | None,
        stat_key: str | None,
        rulepack: str,
        write_reports: Callable[[str], object] = lambda name: None,
    ) -> str:
        """Replace the bundle's row (and its findings) by this scan result, in one transaction in
        which its report folder name is chosen and `write_reports(name)` writes the reports: the
        row never links a folder another bundle's reports went to. Returns the name."""
        summary = result.get("summary") or {}
        findings = summary.get("findings") or []
        row = {
            "path": path,
            "name": "",
            "content_hash": result.get("content_hash"),
            "size": size,
            "stat_key": stat_key,
            "antrea_versions": ",".join(summary.get("antrea_versions") or []) or None,
            "node_count": summary.get("node_count"),
            "shape": summary.get("shape"),
            "collected_at": summary.get("collected_at"),
            "scanned_at": _now(),
            "scan_seconds": result.get("seconds"),
            "status": result["status"],
            "error": result.get("error"),
            "notes": "; ".join(result.get("notes") or []) or None,
            "problems": summary.get("problems"),
            "worst_severity": summary.get("worst_severity"),
            "finding_count": sum(1 for f in findings if not f.get("explained_by")) if summary else None,
            "rulepack": rulepack,
            "tool_version": __version__,
        }
        with self._transaction():
            row["name"] = self._name_for(path, file_name)
            write_reports(row["name"])
            bundle_id = self._replace(row)
            self.db.executemany(
                "INSERT INTO findings (bundle_id, rank, rule_id, slug, category, severity, confidence, status, "
                "title, nodes, symptoms, explained_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        bundle_id,
                        f["rank"],
                        f["rule_id"],
                        f.get("slug"),
                        f.get("category"),
                        f.get("severity"),
                        f.get("confidence"),
                        f.get("status"),
                        f.get("title"),
                        ",".join(f.get("nodes") or []),
                        ",".join(c for c in f.get("symptoms") or [] if c),
                        f.get("explained_by"),
                    )
                    for f in findings
                ],
            )
            self.db.executemany(
                "INSERT INTO unexplained (bundle_id, template, count, level, nodes, example, overflow) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        bundle_id,
                        u["template"],
                        u.get("count"),
                        u.get("level"),
                        ",".join(u.get("nodes") or []),
                        u.get("example"),
                        int(bool(u.get("overflow"))),
                    )
                    for u in summary.get("unexplained") or []
                ],
            )
        return row["name"]

    def record_duplicate(
        self,
        *,
        path: str,
        file_name: str,
        content_hash: str,
        size: int | None,
        stat_key: str | None,
        rulepack: str,
        same_as: str,
        write_reports: Callable[[str], object] = lambda name: None,
    ) -> str:
        with self._transaction():
            name = self._name_for(path, file_name)
            write_reports(name)
            self._replace(
                {
                    "path": path,
                    "name": name,
                    "content_hash": content_hash,
                    "size": size,
                    "stat_key": stat_key,
                    "scanned_at": _now(),
                    "status": DUPLICATE,
                    "error": f"same content as {same_as}",
                    "rulepack": rulepack,
                    "tool_version": __version__,
                }
            )
        return name

    def _replace(self, row: dict[str, Any]) -> int:
        self.db.execute("DELETE FROM bundles WHERE path = ?", (row["path"],))
        cols = ", ".join(row)
        cur = self.db.execute(f"INSERT INTO bundles ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        assert cur.lastrowid is not None  # sqlite3 sets it after every INSERT
        return cur.lastrowid


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (Ctrl-C included)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, tb):
        if not self.db.in_transaction:
            return False
        if kind is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
        return False


def _stem(file_name: str) -> str:
    lower = file_name.lower()
    for suffix in (".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".txz", ".tbz2", ".tar", ".zip", ".gz", ".xz", ".bz2"):
        if lower.endswith(suffix) and len(file_name) > len(suffix):
            file_name = file_name[: -len(suffix)]
            break
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", file_name).strip("._")[:80]
    return stem or "bundle"


def open_readonly(path: Path) -> sqlite3.Connection:
    """For the summary: never creates or changes the store."""
    if not path.is_file():
        raise StoreError(f"{path} does not exist: run `antrea-diagnose batch ... --out {path.parent}` first.")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as e:
        raise StoreError(f"{path} is not a results store ({e}).") from None
    if version != SCHEMA_VERSION:
        db.close()
        raise StoreError(f"{path} is not a results store this version can read (store version {version}).")
    return db
