"""The message catalogue ships inside the wheel and a non-editable install reads its own copy."""

import subprocess
import sys
import zipfile

from support import ROOT


def test_the_wheel_ships_the_catalogue_and_an_install_elsewhere_uses_it(tmp_path):
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheel_dir), str(ROOT)], check=True)
    wheel = next(wheel_dir.glob("antrea_diagnose-*.whl"))
    assert "diagnose/facts/messages.json.gz" in zipfile.ZipFile(wheel).namelist()

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("from diagnose.facts import messages as m;"
            "print(m.DATA);"
            "print(m.lookup('Error running agent: error initializing agent: boom').package)")
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env={"PYTHONPATH": str(target)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out[0].startswith(str(target)), "the installed copy must read its own packaged data"
    assert out[1] == "cmd/antrea-agent"
