"""Imported by the forkserver of `batch --jobs N` (multiprocessing preload) before it forks any
worker: the rule pack, its matchers and the report templates are built here once, and every
worker forked from the server starts with them (performance: rules and templates otherwise cost
every worker a few hundred milliseconds before its first bundle).

The parent passes its worker settings in the environment variable `SETTINGS_VARIABLE` (as JSON)
when it starts the server. Whatever goes wrong here is ignored: a worker that finds nothing
warm loads the rules itself and reports a problem with them in one sentence.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, fields
from typing import Any

from diagnose.batch import worker

SETTINGS_VARIABLE = "ANTREA_DIAGNOSE_BATCH_WARM"


def encode(settings: worker.Settings) -> str:
    data: dict[str, Any] = asdict(settings)
    data["limits"] = (
        None if settings.limits is None else {f.name: getattr(settings.limits, f.name) for f in fields(settings.limits)}
    )
    return json.dumps(data)


def decode(text: str) -> worker.Settings:
    from diagnose.bundle.limits import Limits

    data = json.loads(text)
    for name in ("rule_dirs", "formats", "template_dirs"):
        data[name] = tuple(data[name])
    if data["limits"] is not None:
        data["limits"] = Limits(**data["limits"])
    return worker.Settings(**data)


def _warm_from_environment() -> None:
    text = os.environ.pop(SETTINGS_VARIABLE, None)
    if not text:
        return
    try:
        worker.warm(decode(text))
    except Exception:  # the worker reports it when it loads the rules itself
        pass


_warm_from_environment()
