"""`--select` / `--ignore`: which rules run, named by id, id prefix, slug or category.

As in ruff, `--select` names the rules to run (all when not given) and `--ignore` takes rules
away from them. A name is matched without regard to case: `ant-sec-001`, `ANT-SEC` (every
`ANT-SEC-*` rule), `secondary-bridge-took-node-nic` (a slug) or `secondary-network-uplink` (a
category). Several names may be given comma-separated or by repeating the option. A name that
matches no loaded rule is a usage error, so a typo never silently runs everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from diagnose.errors import UsageError
from diagnose.rules.rule import Rule


def names(values: Iterable[str] | None) -> list[str]:
    """`("ANT-SEC-001,mtu", "benign")` -> `["ant-sec-001", "mtu", "benign"]`."""
    out: list[str] = []
    for value in values or ():
        out.extend(n.strip().casefold() for n in str(value).split(",") if n.strip())
    return out


def matches(name: str, rule: Rule) -> bool:
    """`name` (case-folded) is the rule's id, a prefix of its id ending at a `-`, its slug or its category."""
    rid = rule.id.casefold()
    return name in (rid, rule.slug.casefold(), rule.category.casefold()) or rid.startswith(name.rstrip("-") + "-")


def apply(rules: list[Rule], select: Iterable[str] | None = None, ignore: Iterable[str] | None = None) -> list[Rule]:
    """The rules to run, in their order; UsageError for a name that matches nothing."""
    chosen, dropped = names(select), names(ignore)
    for option, given in (("--select", chosen), ("--ignore", dropped)):
        for name in given:
            if not any(matches(name, r) for r in rules):
                raise UsageError(
                    f"{option} {name!r} matches no rule id, slug or category; see `antrea-diagnose rules list`."
                )
    kept = [
        r
        for r in rules
        if (not chosen or any(matches(n, r) for n in chosen)) and not any(matches(n, r) for n in dropped)
    ]
    if not kept:
        raise UsageError("--select and --ignore leave no rule to run.")
    return kept


def find(rules: list[Rule], name: str) -> Rule | None:
    """The rule whose id or slug is `name`, in any case (`rules show`)."""
    folded = name.strip().casefold()
    return next((r for r in rules if folded in (r.id.casefold(), r.slug.casefold())), None)
