"""Bundles obfuscated by other tools (sos clean style: hosts become host0, addresses move to
another range) scan without errors and keep their diagnosis."""

import re
import shutil

from support import FIXTURES

CASE = FIXTURES / "real-cases" / "6448-secondary-network-primary-nic"
_IP = re.compile(r"\b192\.168\.64\.(\d+)\b")


def test_sos_clean_style_obfuscation_scans_and_keeps_the_diagnosis(run, tmp_path):
    dest = tmp_path / "sosclean"
    shutil.copytree(CASE, dest)
    for f in list(dest.iterdir()):
        text = f.read_text(errors="replace").replace("node2", "host0").replace("server4", "host1")
        text = _IP.sub(lambda m: f"100.0.0.{m[1]}", text)
        f.unlink()
        (dest / f.name.replace("node2", "host0").replace("server4", "host1")).write_text(text)
    report = run(dest)
    assert report["source"]["unreadable"] == []
    first = report["findings"][0]
    assert first["category"] == "secondary-network-uplink" and first["nodes"] == ["host0"]
    assert "podcidr-not-allocated" not in {f["category"] for f in report["findings"]}
