"""rules/, templates/ and the message catalogue must be found from a checkout and from a
non-editable install."""

import subprocess
import sys
import zipfile

from support import ROOT


def test_wheel_ships_rules_templates_and_messages_and_finds_them_from_elsewhere(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(wheel_dir.glob("antrea_diagnose-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("diagnose/_data/rules/") and n.endswith(".py") for n in names)
    assert "diagnose/_data/templates/report.html.j2" in names
    assert "diagnose/report/schema.json" in names
    assert "diagnose/facts/messages.json.gz" in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import diagnose.resources as r, diagnose.rules.rulepack as p, diagnose.facts.messages as m;"
        "print(r.builtin_rules_dir()); print(len(p.load(p.rule_dirs())));"
        "print(m.DATA); print(m.lookup('Error running agent: error initializing agent: boom').package)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out[0].startswith(str(target)), "the installed copy must use its own packaged rules"
    assert int(out[1]) >= 4
    assert out[2].startswith(str(target)), "the installed copy must read its own message catalogue"
    assert out[3] == "cmd/antrea-agent"
