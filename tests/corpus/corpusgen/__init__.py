"""Generators of the healthy/recovered corpus and the fatal-line recall corpus (tests/corpus/).

Everything is rebuilt at test time from the facts committed under `tests/corpus/data/` (extracted
from Antrea's source by `tools/extract_release_facts.py`), deterministically.
"""
