"""`scan` pauses the garbage collector while it runs: a process that goes on afterwards (these
tests, a program calling `main`) gets it back on, with nothing left frozen and the scan's
garbage still collectable."""

import gc
import weakref

from cli_support import SAMPLE_6448, run_main

from diagnose.cli import base


def test_an_in_process_scan_leaves_the_collector_on_and_nothing_frozen(capsys):
    assert gc.isenabled()
    assert run_main("scan", SAMPLE_6448, "-q") == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_cyclic_garbage_made_while_paused_is_collected_afterwards():
    class Node:
        pass

    def make_cycle() -> weakref.ref:
        a, b = Node(), Node()
        a.other, b.other = b, a
        return weakref.ref(a)

    ref = base.without_collector(make_cycle)()
    gc.collect()  # would not free it if it were still frozen
    assert ref() is None


def test_a_command_run_while_the_collector_is_off_leaves_it_off():
    gc.disable()
    try:
        base.without_collector(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()
