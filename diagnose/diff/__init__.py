"""`antrea-diagnose diff OLD NEW`: what changed between two bundles of one cluster (before and
after an upgrade, yesterday and today).

`snapshot.take` reads one diagnosis (its findings and Nodes, and the parsed evidence of its
cluster) into comparable facts; `compare.compare` turns two snapshots into the diff dict (the
JSON format); `render` draws it for the terminal and as Markdown for an issue comment.
"""

from __future__ import annotations

from typing import Any

from diagnose.diff.compare import compare, worst_new
from diagnose.diff.snapshot import take


def diff(old: Any, new: Any) -> dict[str, Any]:
    """The diff of two `diagnose.diagnosis.engine.diagnose` results."""
    return compare(take(old), take(new))


__all__ = ["diff", "worst_new"]
