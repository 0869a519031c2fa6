"""The rule machinery: the rule contract, the evidence rules read, loading, selection, the
lint, fixtures' expectations and the generated catalogue. Rule modules themselves live in the
top-level `rules/` folder (and in rule packs); this package never holds a rule.
"""
