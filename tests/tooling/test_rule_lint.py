"""The rule lint: the built-in pack passes it, and each class of defect in a rule module is caught."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagnose.cli import cli, main
from diagnose.resources import builtin_rules_dir
from diagnose.rules import lint
from diagnose.rules.lint.signatures import engine_problems
from diagnose.scan.signature import Signature

BUILTIN = sorted(p for p in builtin_rules_dir().glob("*.py") if not p.name.startswith("_"))

# Lint errors reported to the rule's owner and not fixed yet, by module: the test fails as soon
# as one goes away, so delete the entry with the fix.
KNOWN: dict[str, list[str]] = {}  # module stem -> lint errors tolerated for now (keep it empty)


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.stem)
def test_builtin_rule_passes_the_lint(path):
    problems = lint.lint_module(path, {}, lint.builtin_fixtures_dir(), strict_fixtures=True)
    errors = [str(p) for p in problems if p.error]
    known = KNOWN.get(path.stem, [])
    unexpected = [e for e in errors if not any(k in e for k in known)]
    assert unexpected == [], "\n".join(unexpected) + "\n(`antrea-diagnose rules lint` shows the same)"
    fixed = [k for k in known if not any(k in e for e in errors)]
    assert fixed == [], f"fixed, so remove from KNOWN in {__file__}: {fixed}"


def test_builtin_rule_ids_are_unique(rules):
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))


# A module that passes every check; each case below breaks one thing in it.
GOOD = '''"""Sample rule for the lint tests.

Symptom
-------
The agent logs ``sample failure``.

Why it happens
--------------
Because.

Evidence
--------
The ``sample failure`` line.

Remediation
-----------
Restart the agent.

References
----------
antrea-io/antrea#1.
"""

from diagnose.api import Rule, Signature, Step

RULE = Rule(
    id="ANT-TST-001",
    slug="sample-rule",
    title="Sample rule",
    category="agent-crash",
    severity="error",
    applies_to=">=2.0.0",
    references=("antrea-io/antrea#1",),
    signatures=(Signature("failure", r"sample failure: (?P<err>[^\\"]{1,200})", "sample failure: "),),
    message="The agent on {{ node }} failed: {{ err }}.",
    remediation=(Step("Restart the agent on {{ node }}.", "kubectl -n kube-system rollout restart ds/antrea-agent"),),
)


def check(ev):
    for e in ev.hits("failure"):
        yield RULE.finding(nodes=[e.node], confidence=0.9, values={"err": e.groups["err"]}, evidence=[e])
'''


def write_pack(tmp_path: Path, source: str = GOOD, name: str = "sample_rule.py", fixtures: bool = True) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir(parents=True, exist_ok=True)
    (pack / name).write_text(source)
    if fixtures:
        stem = Path(name).stem
        for case in ("fires-1-sample", "quiet-1-healthy"):
            (pack / "fixtures" / stem / case).mkdir(parents=True, exist_ok=True)
            (pack / "fixtures" / stem / case / "antrea-agent.log").write_text("I0101 00:00:00.000000 1 a.go:1] x\n")
            (pack / "fixtures" / stem / case / "expect.yaml").write_text("absent: [ANT-TST-001]\n")
    return pack


def problems_of(tmp_path: Path, source: str, **kw) -> list[lint.Problem]:
    return lint.lint(write_pack(tmp_path, source, **kw))


def test_the_sample_module_is_clean(tmp_path):
    assert problems_of(tmp_path, GOOD) == []


BROKEN = [
    ("no-docstring", lambda s: s[s.index("from diagnose") :], "no module docstring"),
    (
        "summary-not-one-line",
        lambda s: s.replace("lint tests.\n", "lint tests.\ncontinued.\n", 1),
        "summary must be followed by a blank line",
    ),
    (
        "section-missing",
        lambda s: s.replace("Evidence\n--------\nThe ``sample failure`` line.\n\n", ""),
        "lacks the section(s) Evidence",
    ),
    (
        "sections-out-of-order",
        lambda s: (
            s.replace("Symptom\n-------", "@")
            .replace("Why it happens\n--------------", "Symptom\n-------")
            .replace("@", "Why it happens\n--------------")
        ),
        "out of order",
    ),
    ("empty-section", lambda s: s.replace("Because.\n", ""), "section Why it happens is empty"),
    ("bad-id", lambda s: s.replace("ANT-TST-001", "TST-1"), "does not match ANT-"),
    ("slug-not-file-name", lambda s: s.replace('slug="sample-rule"', 'slug="other"'), "must be the file name"),
    ("unknown-category", lambda s: s.replace('"agent-crash"', '"kaboom"'), "not in the taxonomy"),
    ("bad-severity", lambda s: s.replace('"error",\n    applies', '"fatal",\n    applies'), "severity 'fatal'"),
    ("no-references", lambda s: s.replace('("antrea-io/antrea#1",)', "()"), "references is empty"),
    (
        "no-command",
        lambda s: s.replace(', "kubectl -n kube-system rollout restart ds/antrea-agent"', ""),
        "no remediation step has a command",
    ),
    ("message-syntax", lambda s: s.replace("{{ err }}", "{{ err }"), "message is not a valid Jinja2 template"),
    ("unknown-filter", lambda s: s.replace("{{ err }}", "{{ err | nosuchfilter }}"), "not a valid Jinja2"),
    ("applies-to", lambda s: s.replace('">=2.0.0"', '"since 2.0"'), "applies_to"),
    (
        "signature-versions",
        lambda s: s.replace('"sample failure: "),', '"sample failure: ", versions="2.x"),'),
        "versions",
    ),
    (
        "explains-unknown",
        lambda s: s.replace("    message=", '    explains=("nope",),\n    message='),
        "explains has categories not in the taxonomy",
    ),
    (
        "bad-kind",
        lambda s: s.replace('"sample failure: "),', '"sample failure: ", kinds=("agent",)),'),
        "kinds must be log kinds",
    ),
    ("regex-error", lambda s: s.replace(r"(?P<err>[^\"]{1,200})", r"(?P<err>[^\"]{1,200}"), "does not compile"),
    ("no-literal", lambda s: s.replace('"sample failure: "),', '""),'), "has no literal"),
    (
        "literal-not-required",
        lambda s: s.replace(r'r"sample failure: ', r'r"sample (?:failure|fault): '),
        "is not in every line the pattern matches",
    ),
    (
        "literal-case-under-ignorecase",
        lambda s: s.replace(r'r"sample failure: ', r'r"(?i)sample failure: '),
        "'SAMPLE FAILURE: ",
    ),
    (
        "literal-not-in-pattern",
        lambda s: s.replace('"sample failure: "),', '"sample failure: x"),'),
        "is not in every line",
    ),
    (
        "catastrophic-backtracking",
        lambda s: s.replace(r"(?P<err>[^\"]{1,200})", r"(?P<err>(?:\w+\s?)+)\."),
        "nests unbounded repeats",
    ),
    # The issue's `ip6?tables[\w-]*` shape: each repetition of the prefix scans the rest of the line.
    (
        "quadratic-prefix",
        lambda s: s.replace(r'r"sample failure: ', r'r"(?P<bin>sample[\w-]*) failure: '),
        "ms on a 100 KB line",
    ),
    (
        "quadratic-scan",
        lambda s: s.replace(r"(?P<err>[^\"]{1,200})", r"(?P<err>.*)\(code \d+\)"),
        "ms on a 100 KB line",
    ),
    (
        "check-crashes",
        lambda s: s.replace("    for e in ev.hits", "    ev.nope()\n    for e in ev.hits"),
        "check() fails on a bundle with no evidence: AttributeError",
    ),
    (
        "check-fires-on-nothing",
        lambda s: s + "\n\ndef check(ev):\n    yield RULE.finding(nodes=[], confidence=1, values={'err': ''})\n",
        "reports 1 finding(s) on a bundle with no evidence",
    ),
    (
        "busy-failure",
        lambda s: s.replace('"sample failure: "),', '"sample failure: ", busy=True),'),
        "busy is for lines",
    ),
    (
        "recall-without-key-group",
        lambda s: s.replace(
            '"sample failure: "),', '"sample failure: ", recall=Recall(r"id=(\\w+)", r"started \\w+", "started")),'
        ).replace("import Rule,", "import Recall, Rule,"),
        "recall: key has no group named 'key'",
    ),
    (
        "recall-literal-not-required",
        lambda s: s.replace(
            '"sample failure: "),',
            '"sample failure: ", recall=Recall(r"id=(?P<key>\\w+)", r"(?:began|started) \\w+", "started")),',
        ).replace("import Rule,", "import Recall, Rule,"),
        "recall: literal 'started' is not in every line",
    ),
    (
        "recall-backtracking",
        lambda s: s.replace(
            '"sample failure: "),',
            '"sample failure: ", recall=Recall(r"id=(?P<key>(?:\\w+\\s?)+)\\.", r"started \\w+", "started")),',
        ).replace("import Rule,", "import Recall, Rule,"),
        "recall: nests unbounded repeats",
    ),
    ("import-error", lambda s: s.replace("from diagnose.api import", "from diagnose.nosuch import"), "failed to load"),
    ("no-rule", lambda s: s.replace("RULE = Rule(", "OTHER = Rule("), "must define RULE"),
    ("no-check", lambda s: s.replace("def check(ev):", "def verify(ev):"), "must define RULE"),
]


@pytest.mark.parametrize("mutate, expected", [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_each_defect_is_reported(tmp_path, mutate, expected):
    source = mutate(GOOD)
    assert source != GOOD
    found = [p for p in problems_of(tmp_path, source) if p.error]
    assert any(expected in p.message for p in found), found


def test_a_pattern_hyperscan_reads_differently_is_caught(tmp_path):
    pytest.importorskip("hyperscan")
    # `\A` is the start of the line for the regex module but the start of the chunk for Hyperscan.
    source = GOOD.replace(r'r"sample failure: ', r'r"\Asample failure: ')
    found = problems_of(tmp_path, source)
    assert any("the hyperscan engine misses" in p.message for p in found), found


def test_problem_lines_name_the_file_and_the_rule(tmp_path):
    [problem] = problems_of(tmp_path, GOOD.replace('"agent-crash"', '"kaboom"'))
    assert str(problem).startswith(str(tmp_path / "pack" / "sample_rule.py") + ": ANT-TST-001: category 'kaboom'")


def test_duplicate_ids_in_a_pack_and_with_the_builtin_pack(tmp_path):
    pack = write_pack(tmp_path)
    write_pack(tmp_path, GOOD.replace("sample-rule", "second-rule"), name="second_rule.py")
    found = lint.lint(pack)
    assert [p.message for p in found] == [f"id ANT-TST-001 is already used by {pack / 'sample_rule.py'}"]
    builtin = next(iter(BUILTIN))
    taken = lint.lint(write_pack(tmp_path / "b", GOOD.replace("ANT-TST-001", _id_of(builtin))))
    assert any(f"already used by the built-in rule {builtin.name}" in p.message for p in taken), taken


def _id_of(path: Path) -> str:
    rule, _, _ = lint._load(path)
    assert rule is not None
    return rule.id


def test_missing_fixtures_warn_for_a_user_pack_and_fail_the_builtin_pack(tmp_path):
    pack = write_pack(tmp_path, fixtures=False)
    [warning] = lint.lint(pack)
    assert not warning.error and "no fixtures" in warning.message and ": warning: " in str(warning)
    [error] = lint.lint_module(pack / "sample_rule.py", {}, tmp_path, strict_fixtures=True)
    assert error.error and "no fixtures" in error.message
    (tmp_path / "sample_rule" / "fires-1-x").mkdir(parents=True)
    (tmp_path / "sample_rule" / "fires-1-x" / "a.log").write_text("x")
    messages = [p.message for p in lint.lint_module(pack / "sample_rule.py", {}, tmp_path, strict_fixtures=True)]
    assert messages == [
        f"no quiet-* fixture folder in {tmp_path / 'sample_rule'}/",
        "fixture folder fires-1-x has no expect.yaml saying what it expects (`rules test` runs it)",
    ]


def test_cli_lint_prints_one_line_per_problem_and_exits_1_on_errors(tmp_path):
    pack = write_pack(
        tmp_path, GOOD.replace('"agent-crash"', '"kaboom"').replace('"error",\n    applies', '"fatal",\n    applies')
    )
    result = CliRunner().invoke(cli, ["rules", "lint", str(pack)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith(f"{pack / 'sample_rule.py'}: ANT-TST-001: ") for ln in lines)
    assert "2 error(s), 0 warning(s)." in result.stderr


def test_cli_lint_of_a_clean_pack_exits_0(tmp_path):
    result = CliRunner().invoke(cli, ["rules", "lint", str(write_pack(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_cli_lint_of_a_missing_directory_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["antrea-diagnose", "rules", "lint", str(tmp_path / "nope")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert "does not exist" in capsys.readouterr().err


def test_an_optional_bounded_tail_does_not_hide_lines_from_hyperscan():
    """`.{0,200}` at the end may match nothing: the Hyperscan prefilter must not require a character."""
    pytest.importorskip("hyperscan")
    import regex

    sig = Signature("holding", r"holding the xtables lock(?P<tail>.{0,200})", "holding the xtables lock")
    assert engine_problems(sig, regex.compile(sig.pattern), ["holding the xtables lock"]) == []
