"""Kernel module listings (lsmod, /proc/modules, modules.builtin) and the files they come in."""

from pathlib import Path

from diagnose.bundle import classify
from diagnose.parse import kmods

CASE = (
    Path(__file__).parents[1]
    / "rules"
    / "fixtures"
    / "ovs_kernel_module_not_loaded"
    / "fires-1777-install-cni-modprobe-failed"
)


def test_kernel_module_listings():
    mods = kmods.parse(
        "Module                  Size  Used by\nopenvswitch           200704  2\n"
        "kernel/net/openvswitch/vport-geneve.ko\n"
    )
    assert mods.available("openvswitch") and mods.available("vport_geneve") and mods.available("xt_CT") is False
    assert kmods.KernelModules().available("openvswitch") is None
    assert kmods.sniff("Module                  Size  Used by\n") and not kmods.sniff("foo 1 2\n")


def test_pasted_lsmod_and_install_cni_output_are_recognised():
    assert classify.by_content((CASE / "lsmod.worker-3.txt").read_text()) == "kernel-modules"
    assert classify.by_content((CASE / "install-cni.worker-3.log").read_text()) == "container-log"
