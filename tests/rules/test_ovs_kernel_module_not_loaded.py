from pathlib import Path

from support import all_findings

FIX = Path(__file__).parent / "fixtures"
OWN = FIX / "ovs_kernel_module_not_loaded"


def kmod(report):
    return [f for f in all_findings(report) if f["rule_id"] == "ANT-KMOD-001"]


def test_install_cni_cannot_load_openvswitch_1777(run):
    report = run(OWN / "fires-1777-install-cni-modprobe-failed")
    [finding] = kmod(report)
    assert finding["nodes"] == ["worker-3"] and finding["severity"] == "critical"
    assert "5.15.0-1019-aws" in finding["summary"] and "install-cni" in finding["summary"]
    by_path = {a["path"]: a["kind"] for a in report["source"]["artifacts"]}
    assert by_path["install-cni.worker-3.log"] == "container-log"
    assert by_path["lsmod.worker-3.txt"] == "kernel-modules"
    assert "module list of the Node has no openvswitch" in finding["summary"]
    assert finding["missing_evidence"] == []  # lsmod was attached


def test_vswitchd_alone_asks_for_the_module_list(run):
    [finding] = kmod(run(OWN / "fires-vswitchd-no-datapath-family"))
    assert any("lsmod" in m["command"] for m in finding["missing_evidence"])


def test_module_loaded_since_the_failure_is_quiet_1777(run):
    assert kmod(run(OWN / "quiet-1777-module-loaded-since")) == []


def test_kernel_module_listings():
    from diagnose.parse import kmods

    mods = kmods.parse("Module                  Size  Used by\nopenvswitch           200704  2\n"
                       "kernel/net/openvswitch/vport-geneve.ko\n")
    assert mods.available("openvswitch") and mods.available("vport_geneve") and mods.available("xt_CT") is False
    assert kmods.KernelModules().available("openvswitch") is None
    assert kmods.sniff("Module                  Size  Used by\n") and not kmods.sniff("foo 1 2\n")


def test_vswitchd_without_the_datapath_family(run):
    [finding] = kmod(run(OWN / "fires-vswitchd-no-datapath-family"))
    assert "ovs-vswitchd" in finding["summary"]
    assert any("probably not loaded" in e["text"] for e in finding["evidence"])


def test_built_in_module_and_a_wireguard_failure_are_not_this_5979(run):
    assert kmod(run(OWN / "quiet-5979-built-in-and-wireguard-only")) == []
