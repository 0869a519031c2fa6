"""Windows outputs saved by PowerShell (`Get-HNSNetwork > file`, `ipconfig /all > file`): UTF-16.

Windows PowerShell 5.1 writes `>` redirects as UTF-16LE with a BOM; other tools (and PowerShell
7's `-Encoding unicode` without a BOM, or a copy through some editors) give UTF-16 without one.
Each of the four Windows kinds must be recognised and read either way, with the line numbers of
the user's file, under a name that says nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "parse" / "data" / "windows"
HNS = (
    Path(__file__).parents[1]
    / "rules"
    / "fixtures"
    / "windows_hns_network_broken"
    / "fires-pasted-ovs-extension-disabled"
    / "Get-HNSNetwork.win-node-2.txt"
)

SAMPLES = {
    "hns-network": HNS,
    "win-ipconfig": DATA / "ipconfig.ws2022.apipa.txt",
    "win-routes": DATA / "route-print.no-default.txt",
    "win-adapters": DATA / "get-netadapter.ws2022.txt",
}
ENCODINGS = {"bom": "utf-16", "no-bom": "utf-16-le", "big-endian-bom": "utf-16-be"}


def _encode(text: str, encoding: str) -> bytes:
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    data = text.encode(encoding)
    return (b"\xfe\xff" + data) if encoding == "utf-16-be" else data


@pytest.mark.parametrize("encoding", list(ENCODINGS), ids=list(ENCODINGS))
@pytest.mark.parametrize("kind", list(SAMPLES), ids=list(SAMPLES))
def test_utf16_paste_is_recognised_and_read(kind, encoding, run, tmp_path):
    (tmp_path / "paste").mkdir()
    (tmp_path / "paste" / "output.txt").write_bytes(_encode(SAMPLES[kind].read_text(), ENCODINGS[encoding]))
    report = run(tmp_path / "paste")
    assert [a["kind"] for a in report["source"]["artifacts"]] == [kind]
    assert report["source"]["unreadable"] == [] and report["source"]["unrecognised"] == []


def test_utf16_pastes_feed_the_rules_with_the_users_line_numbers(run, tmp_path):
    """ipconfig and Get-NetAdapter redirected by PowerShell: the lease rule reads both and points
    at the line of the 169.254 address in the file the user has."""
    (tmp_path / "win-node-7").mkdir()
    folder = tmp_path / "win-node-7"
    (folder / "ipconfig.txt").write_bytes(_encode(SAMPLES["win-ipconfig"].read_text(), "utf-16"))
    (folder / "adapters.txt").write_bytes(_encode(SAMPLES["win-adapters"].read_text(), "utf-16-le"))
    report = run(folder)
    [lease] = [f for f in report["findings"] if f["rule_id"] == "ANT-WIN-002"]
    assert lease["outcome"] == "no-lease" and "169.254.211.37" in lease["summary"]
    line = next(e for e in lease["evidence"] if "169.254.211.37" in e["text"])
    assert line["line"] == 19 and line["artifact"].endswith("ipconfig.txt")
