"""The JSON Schema of the report, generated from the report model (`diagnose.report.model`).

    python -m diagnose.report.schemagen > diagnose/report/schema.json

A test keeps the committed file equal to what this prints.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import types
import typing
from typing import Any, Literal, get_args, get_origin, get_type_hints

from diagnose.report import model
from diagnose.rules.rule import TAXONOMY

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    top = _object(model.Report, defs)
    # The category is a taxonomy id: the enum comes from the taxonomy in the rule contract.
    defs["finding"]["properties"]["category"]["enum"] = sorted(TAXONOMY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/antrea-diagnose/antrea-diagnose/report.schema.json",
        "title": "antrea-diagnose report",
        **top,
        "$defs": dict(sorted(defs.items())),
    }


def _name(cls: type) -> str:
    """`FindingOut` -> `finding`, `TimelineNodeOut` -> `timeline_node`."""
    base = re.sub(r"Out$", "", cls.__name__)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        prop = _type(hints[f.name], defs)
        text = f.metadata.get("doc", "")
        prop = {**prop, "description": text}
        for bound in ("minimum", "maximum"):
            if bound in f.metadata:
                prop[bound] = f.metadata[bound]
        props[f.name] = prop
        if not f.metadata.get("optional"):
            required.append(f.name)
    return {
        "type": "object",
        "description": " ".join((cls.__doc__ or "").split()),
        "required": required,
        "additionalProperties": False,
        "properties": props,
    }


def _type(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(hint)
    args = get_args(hint)
    if origin is Literal:
        values = list(args)
        return {"const": values[0]} if len(values) == 1 else {"enum": values}
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        nullable = len(inner) < len(args)
        part = _type(inner[0], defs) if len(inner) == 1 else {"anyOf": [_type(a, defs) for a in inner]}
        if not nullable:
            return part
        if "type" in part and isinstance(part["type"], str) and len(part) == 1:
            return {"type": [part["type"], "null"]}
        if "enum" in part:
            return {"enum": [*part["enum"], None]}
        return {"anyOf": [part, {"type": "null"}]}
    if origin is list:
        return {"type": "array", "items": _type(args[0], defs)}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        name = _name(hint)
        if name not in defs:
            defs[name] = {}  # placeholder: recursive types (a finding's symptoms) refer to themselves
            defs[name] = _object(hint, defs)
        return {"$ref": f"#/$defs/{name}"}
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    raise TypeError(f"no schema for {hint!r}")


def main() -> None:
    json.dump(schema(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
