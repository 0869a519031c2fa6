"""Redaction: share reports and bundles without sharing the network they describe.

Modules, one job each: `ipmap` (topology-keeping address pseudonyms), `mapper` (every kind of
pseudonym under one key, and the record of them), `names` and `domains` (which names and DNS
names are hidden, and how strictly), `harvest` + `vocab` (the names found in a bundle),
`finder` (every trigger of a block in one scan: Hyperscan or the stdlib fallback),
`credentials` (secret detectors: secrets to markers), `identifiers` (address, MAC, domain and
name detectors: identifiers to pseudonyms), `catalogue` (every form with samples), `scrub` (the
walk over a block's hits, and streams), `mapfile` + `keys` + `session` (the private map and the
key), `containers` + `rewrite` (the redacted copy of a bundle in its layout), `report` (a
redacted report), `unredact` (back), and `commands` (what the CLI commands do). See
docs/redaction.md.
"""
