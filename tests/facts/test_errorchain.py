"""Error chains decoded into their innermost cause and category (diagnose.facts.errorchain)."""

from __future__ import annotations

import pytest

from diagnose.facts import errorchain


@pytest.mark.parametrize(
    ("chain", "category", "innermost"),
    [
        # client-go's 404 text: the Antrea CRDs of this release are not installed (or older).
        (
            "Error running agent: failed to initialize Traceflow controller: failed to create informer: "
            "the server could not find the requested resource",
            "agent-config",
            "the server could not find the requested resource",
        ),
        (
            'Error running agent: failed to get Node with name node2 from K8s: Get "https://10.96.0.1:443/api/v1/'
            'nodes/node2": dial tcp 10.96.0.1:443: i/o timeout',
            "apiserver-unreachable",
            "i/o timeout",
        ),
        (
            "Error running agent: error initializing agent: Failed to create Antrea WireGuard client: "
            "failed to create WireGuard interface: operation not supported",
            "wireguard",
            "operation not supported",
        ),
    ],
)
def test_the_innermost_cause_names_the_category(chain, category, innermost):
    decoded = errorchain.decode(chain)
    assert decoded.category == category
    assert innermost in decoded.innermost
    assert decoded.parts[0] == "Error running agent"


def test_a_chain_that_names_nothing_has_no_category():
    assert errorchain.decode("Error running agent: something odd happened").category in (None, errorchain.GENERIC)
