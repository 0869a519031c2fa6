"""Recognising "could not reach the API server" in the error text Go and client-go produce.

Shared by the rules that must tell an unreachable API server from what it looks like (an empty
PodCIDR, a stuck flow restoration): the tails are client-go's and Go's net package's
(k8s.io/client-go rest, net/dial.go).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from diagnose.bundle.model import LogEvent

_NETWORK_ERROR = re.compile(
    r"(?:dial tcp (?P<endpoint>\[?[0-9a-fA-F.:]+\]?:\d+): )?"
    r"(?P<error>i/o timeout|connect: connection refused|connect: no route to host|connect: network is unreachable|"
    r"net/http: TLS handshake timeout|context deadline exceeded|connection reset by peer|"
    r"http2: client connection lost|no such host)"
)
# Messages whose presence means the agent could not get its own Node from the API.
_GET_NODE_FAILED = re.compile(r"failed to get Node with name")
_API_GAVE_UP = re.compile(r"K8s API did not become available")  # v2.5+: always a reachability failure
_PODCIDR_EMPTY = re.compile(r"Spec\.PodCIDR is empty for Node|CIDR string is empty for Node")


def network_error(text: str) -> tuple[str, str | None] | None:
    """(error, endpoint) of the first network error in `text`, or None."""
    m = _NETWORK_ERROR.search(text)
    if not m:
        return None
    return m["error"], m["endpoint"]


def is_api_failure(text: str) -> bool:
    """True when a fatal/error message says the agent could not get its Node from the API."""
    if _API_GAVE_UP.search(text):
        return True
    return _GET_NODE_FAILED.search(text) is not None and network_error(text) is not None


def is_podcidr_empty(text: str) -> bool:
    return bool(_PODCIDR_EMPTY.search(text))


def api_failure(fatals: Iterable[LogEvent]) -> LogEvent | None:
    """The latest of `fatals` (fatal lines of successive runs, oldest first) that died unable to
    get its Node from the API server (up to v2.4 a timeout may read "Spec.PodCIDR is empty")."""
    for e in reversed(list(fatals)):
        if is_api_failure(e.text) or is_podcidr_empty(e.text):
            return e
    return None
