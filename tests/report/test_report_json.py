import json

import jsonschema
import pytest

from diagnose.report import render
from diagnose.report.json import SCHEMA_PATH, schema
from diagnose.report.model import SCHEMA_VERSION
from diagnose.rules.rule import CATEGORIES


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())


def test_json_report_is_the_dict_and_validates(d, validator):
    out = render(d, "json")
    assert json.loads(out) == d
    validator.validate(json.loads(out))


def test_healthy_report_validates(healthy, validator):
    validator.validate(json.loads(render(healthy, "json")))
    assert healthy["findings"] == []


def test_non_ascii_bundle_text_is_kept_readable(validator, make_diagnosis, uplink_finding):
    d = make_diagnosis([uplink_finding(nic="ethé0")]).to_dict()
    out = render(d, "json")
    assert "ethé0" in out
    validator.validate(json.loads(out))


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["findings"][0].update(severity="fatal"),
        lambda d: d["findings"][0]["symptoms"][0].update(severity="Critical"),
        lambda d: d["findings"][0].update(status="maybe"),
        lambda d: d["findings"][0].update(confidence=1.5),
        lambda d: d["findings"][0].update(category="not-a-category"),
        lambda d: d["findings"][0].pop("rule_id"),
        lambda d: d["findings"][0]["evidence"][0].update(line=0),
        lambda d: d["findings"][0]["missing_evidence"].append({"what": "x"}),
        lambda d: d.update(schema_version="1.0"),
        lambda d: d["source"].pop("unreadable"),
    ],
    ids=[
        "severity",
        "nested-severity",
        "status",
        "confidence",
        "category",
        "rule_id",
        "line",
        "missing-command",
        "schema_version",
        "unreadable",
    ],
)
def test_schema_rejects_a_broken_report(d, validator, break_it):
    validator.validate(d)
    break_it(d)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(d)


def test_schema_enums_match_the_code():
    s = schema()
    assert s["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    assert set(s["$defs"]["finding"]["properties"]["category"]["enum"]) == set(CATEGORIES)
    assert s["$defs"]["finding"]["properties"]["severity"]["enum"] == ["critical", "error", "warning", "info"]
    assert s["$defs"]["finding"]["properties"]["status"]["enum"] == ["confirmed", "inconclusive"]


def _schema_for(s: dict, node: dict) -> dict:
    while "$ref" in node:
        node = s["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _undocumented(s: dict, node: dict, value, path: str) -> list[str]:
    node = _schema_for(s, node)
    missing = []
    if not node.get("description") and not path.endswith("[]"):
        missing.append(path)
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key, v in value.items():
            if key not in props:
                missing.append(f"{path}.{key}")
            else:
                missing += _undocumented(s, props[key], v, f"{path}.{key}")
        missing += [f"{path}.{k} (required, never written)" for k in node.get("required", []) if k not in value]
    elif isinstance(value, list) and value:
        missing += _undocumented(s, node["items"], value[0], path + "[]")
    return missing


def test_every_field_of_the_report_is_documented(d):
    s = schema()
    assert d["findings"][0]["symptoms"] and d["source"]["unreadable"] and d["findings"][1]["missing_evidence"]
    assert _undocumented(s, s, d, "$") == []


def test_schema_ships_next_to_the_module():
    assert SCHEMA_PATH.parent.name == "report"
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == schema()
    assert schema() is not schema()  # callers may mutate their copy


def test_the_report_written_in_pieces_is_the_report_as_text(d, make_diagnosis, uplink_finding):
    """`scan -f json` writes `render_json_utf8`: byte for byte the text report, also for text
    beyond ASCII and for more fragments than one piece holds."""
    from diagnose.report.json import render_json, render_json_utf8

    small = make_diagnosis([uplink_finding(nic="ethé0")]).to_dict()
    large = {**d, "padding": [{"n": i, "s": "é…"} for i in range(5000)]}  # ~10^4 fragments
    for report in (d, small, large):
        assert render_json_utf8(report) == render_json(report).encode("utf-8")
