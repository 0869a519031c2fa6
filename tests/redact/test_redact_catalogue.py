"""Every form of the catalogue, on both engines: positives lose what they must, negatives stay
exactly, identifiers come back exactly with `unredact`, and no secret reaches the map."""

from __future__ import annotations

import json

import pytest

from diagnose.redact import catalogue, credentials, names
from diagnose.redact.identifiers import Identifiers
from diagnose.redact.mapfile import RedactionMap
from diagnose.redact.mapper import Mapper
from diagnose.redact.scrub import Scrubber
from diagnose.redact.unredact import unredact
from diagnose.redact.vocab import Vocabulary

KEY = b"c" * 32
ENGINES = ("hyperscan", "stdlib")
POSITIVES = [(f.name, f.kind, text, gone) for f in catalogue.FORMS for text, gone in f.positives]
NEGATIVES = [(f.name, text) for f in catalogue.FORMS for text in f.negatives]


def vocabulary() -> Vocabulary:
    v = Vocabulary()
    for cls, values in catalogue.VOCABULARY.items():
        for value in values:
            v.add(cls, value)
    v.domains.update(catalogue.LEARNT_DOMAINS)
    return v


def scrubber(engine: str) -> Scrubber:
    return Scrubber(Mapper(KEY), vocabulary(), names.builtin_signature_text(), engine=engine)


def test_every_detector_has_samples_in_the_catalogue():
    ids = Identifiers(Mapper(KEY), vocabulary(), names.builtin_signature_text())
    detectors = {row[0] for row in credentials.detectors()} | {row[0] for row in ids.detectors()} | {"secret-object"}
    forms = {f.name for f in catalogue.FORMS}
    assert detectors == forms
    assert all(f.positives and f.negatives for f in catalogue.FORMS)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("form", "kind", "text", "gone"), POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)]
)
def test_what_a_form_hides_is_gone_and_an_identifier_comes_back(engine, form, kind, text, gone):
    s = scrubber(engine)
    out = s.text(text)
    assert gone.lower() not in out.lower(), out
    the_map = json.dumps(s.mapper.records).lower()
    if kind == "secret":
        assert "REDACTED-" in out
        assert gone.lower() not in the_map  # a secret is never mapped
    else:
        assert out != text and unredact(out, RedactionMap(records=s.mapper.records))[0] == text


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("form", "text"), NEGATIVES, ids=[f"{n[0]}-{i}" for i, n in enumerate(NEGATIVES)])
def test_look_alikes_stay_exactly(engine, form, text):
    assert scrubber(engine).text(text) == text


def test_both_engines_give_the_same_text_for_the_whole_catalogue():
    text = (
        "\n".join(t for f in catalogue.FORMS for t, _ in f.positives)
        + "\n"
        + "\n".join(t for f in catalogue.FORMS for t in f.negatives)
    )
    assert scrubber("hyperscan").text(text) == scrubber("stdlib").text(text)
