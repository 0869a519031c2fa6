"""The writers of `sample_bundles/generate.py` (klog/vlog line formats, `ip` output, YAML, tarballs),
imported rather than copied: one implementation of each format for the samples and the corpora."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[3] / "sample_bundles" / "generate.py"
_NAME = "sample_bundles_generate"

if _NAME in sys.modules:
    _gen = sys.modules[_NAME]
else:
    _spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    assert _spec and _spec.loader
    _gen = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _gen  # dataclasses resolve their module by name
    _spec.loader.exec_module(_gen)

UP = _gen.UP
Iface = _gen.Iface
Raw = _gen.Raw
antrea_ovs_line = _gen.antrea_ovs_line
go_quote = _gen.go_quote
gzip_bytes = _gen.gzip_bytes
hexid = _gen.hexid
ip_addr_text = _gen.ip_addr_text
ip_link_text = _gen.ip_link_text
klog_header = _gen.klog_header
klog_line = _gen.klog_line
kv_value = _gen.kv_value
link_local = _gen.link_local
mac = _gen.mac
seeded = _gen.seeded
to_yaml = _gen.to_yaml
uuid4 = _gen.uuid4
vlog_line = _gen.vlog_line
write_tar_gz = _gen.write_tar_gz
