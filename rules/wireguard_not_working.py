"""WireGuard encryption cannot work: no kernel support, or peers cannot exchange keys.

Symptom
-------
With ``trafficEncryptionMode: wireGuard``, antrea-agent exits at start-up with ``WireGuard not
supported by the Linux kernel (netlink: operation not supported), make sure the WireGuard kernel
module is loaded``; or it runs but Pod traffic to some Nodes is dropped while the log shows
``Parse WireGuard public key error`` or failures to publish its own key.

Why it happens
--------------
In WireGuard mode the agent creates the ``antrea-wg0`` WireGuard device in the kernel (the
``wireguard`` module, in mainline Linux since 5.6, or a backport) and publishes its public key in
its Node's annotation ``node.antrea.io/wireguard-public-key``; each agent configures every other
Node as a peer from that annotation. No kernel support makes device creation fail with
EOPNOTSUPP; a Node whose key annotation is missing or invalid cannot be a peer; an agent that
cannot patch its Node (RBAC, API server) publishes no key.

Evidence
--------
The agent messages above and ``error when patching the Node with the
'node.antrea.io/wireguard-public-key' annotation`` / ``failed to change WireGuard link MTU`` (v1.15+)
/ ``error when removing stale WireGuard peers`` / ``delete WireGuard peer ... failed``, matched with
the wording of antrea-io/antrea pkg/agent/wireguard/client_linux.go, pkg/agent/agent.go and
pkg/agent/controller/noderoute (v1.5 to v2.7.0). The start-up failures (no kernel support, the
MTU, publishing the key) are fatal and reported against the Node they happened on; key errors
name the peer Node.

Whether it lasted: the start-up failures kill the run, so its fatal exit is the outcome.
``Parse WireGuard public key error`` and ``error when removing stale WireGuard peers`` are logged
once, when the route controller reconciles after its start, so they count when the latest run
logged them, whatever follows; the peer itself then fails at every sync of its Node (``Error
syncing Node <peer>, requeuing. Error: wgtypes: ...``, back-off 2 s to 120 s), which stops
when its key is fixed.

Remediation
-----------
Load the module (``modprobe wireguard``) or use a kernel with WireGuard, check the Nodes' key
annotations, then restart the agent.

References
----------
antrea-io/antrea docs/traffic-encryption.md; antrea-io/antrea pkg/agent/wireguard/client_linux.go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import AGENT_LOG, Finding, Inputs, LogEvent, Outcome, Rule, RuleEvidence, Signature, Step


@dataclass
class Values:
    """The WireGuard error and the peers concerned."""

    error: str  # the error quoted, e.g. "operation not supported" or "wgtypes: incorrect key size: 12"
    peers: list[str]  # peer Nodes concerned, e.g. ["worker-5"]
    mtu: str | None  # the MTU the WireGuard device could not take, e.g. "1420"


_MODULE = Step(
    "Check that the kernel has WireGuard (in Linux since 5.6) and load the module.",
    "uname -r; modprobe wireguard && lsmod | grep wireguard   # on {{ node }}",
)
_KEYS = Step(
    "Check every Node's public key annotation.",
    "kubectl get nodes -o custom-columns=NAME:.metadata.name,"
    "WGKEY:'.metadata.annotations.node\\.antrea\\.io/wireguard-public-key'",
)
_RESTART = Step(
    "Restart the agent on the Node once fixed.",
    "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}",
)
_EXITS = "The agent exits at start-up, so the Node has no Pod network."

RULE = Rule(
    id="ANT-WG-001",
    slug="wireguard-not-working",
    title="WireGuard encryption cannot work on the Node",
    category="wireguard",
    severity="critical",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/wireguard/client_linux.go",
    ),
    inputs=Inputs(needs=(AGENT_LOG,)),
    platform="linux",  # the WireGuard client exists on Linux only
    signatures=(
        Signature(
            "no_kernel",
            r"WireGuard not supported by the Linux kernel \(netlink: (?P<err>[^)]{0,200})\)",
            "WireGuard not supported by the Linux kernel",
            versions=">=1.5.0",
        ),
        Signature(
            "mtu_failed",
            r"failed to change WireGuard link MTU to (?P<mtu>\d+)(?:: (?P<err>[^\"]{0,200}))?",
            "failed to change WireGuard link MTU",
            versions=">=1.15.0",
        ),
        Signature(
            "publish_failed",
            r"error when patching the Node with the 'node\.antrea\.io/wireguard-public-key' "
            r"annotation: (?P<err>.*)",
            "wireguard-public-key' annotation",
        ),
        # Logged once per bad key when the route controller reconciles (see Evidence).
        Signature(
            "bad_peer_key", r'"Parse WireGuard public key error"', "Parse WireGuard public key error", role="context"
        ),
        # The peer's Node then fails at every sync (its key cannot be parsed: wgtypes.ParseKey's error).
        Signature(
            "peer_sync_failed",
            r"Error syncing Node (?P<peer>\S{1,253}), requeuing\. Error: (?P<err>wgtypes: .{0,200})",
            "Error syncing Node ",
        ),
        Signature(
            "peer_update_failed",
            r"(?:error when removing stale WireGuard peers|delete WireGuard peer \S{1,253} failed)",
            "WireGuard peer",
            role="context",
        ),
    ),
    explains=("agent-crash",),
    lookalikes=("kernel-module",),
    values=Values,
    outcomes=(
        Outcome(
            "no-kernel",
            message="""
            antrea-agent on {{ where }} cannot create its WireGuard device: the kernel has no WireGuard support
            ({{ error }}). """
            + _EXITS,
            remediation=(_MODULE, _RESTART),
        ),
        Outcome(
            "mtu-failed",
            message="""
            antrea-agent on {{ where }} cannot set the MTU of its WireGuard device to {{ mtu }}{% if error %}
            ({{ error }}){% endif %}. """
            + _EXITS,
            remediation=(
                Step(
                    "Check the transport interface MTU and the agent's wireGuard settings (the device MTU is the NIC's "
                    "minus the WireGuard overhead).",
                    "ip link show   # on {{ node }}",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "key-not-published",
            message="""
            antrea-agent on {{ where }} cannot publish its WireGuard public key on its Node ({{ error }}): other
            Nodes cannot add it as a peer. """
            + _EXITS,
            remediation=(
                Step(
                    "Check that the agent may patch its Node (RBAC of the antrea-agent ServiceAccount) and reaches the "
                    "API server.",
                    "kubectl auth can-i patch nodes/status --as=system:serviceaccount:kube-system:antrea-agent",
                ),
                _RESTART,
            ),
        ),
        Outcome(
            "peer-key-invalid",
            severity="error",
            message="""
            WireGuard peering is broken on {{ where }}: the public key of {{ peers | join(", ") }} cannot be parsed
            ({{ error }}), its node.antrea.io/wireguard-public-key annotation is missing or invalid. Encrypted traffic
            to {{ "that Node" if peers | length == 1 else "those Nodes" }} is dropped.
        """,
            remediation=(_KEYS, _RESTART),
        ),
        Outcome(
            "stale-peers",
            severity="warning",
            message="""
            On {{ where }} antrea-agent cannot remove stale WireGuard peers ("{{ error }}"): peers of Nodes that left
            the cluster stay configured. Traffic to the current Nodes is not affected.
        """,
            remediation=(
                Step(
                    "List the WireGuard peers on the Node and compare them with the Nodes of the cluster.",
                    "wg show antrea-wg0 peers   # on {{ node }}; kubectl get nodes -o wide",
                ),
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            WireGuard on {{ where }} failed for a while ("{{ error }}"). {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            WireGuard on {{ where }} failed in an earlier antrea-agent run ("{{ error }}"). {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_MODULE, _KEYS, _RESTART),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        for name, outcome in (
            ("no_kernel", "no-kernel"),
            ("mtu_failed", "mtu-failed"),
            ("publish_failed", "key-not-published"),
        ):
            hits = ev.hits(name, node)
            if hits:
                yield RULE.finding(
                    outcome,
                    nodes=[node.name],
                    confidence=0.95,
                    values=Values(error=_err(hits[-1]), peers=[], mtu=hits[-1].groups.get("mtu")),
                    evidence=hits[-1:],
                )
        parsed = node.in_latest_run(ev.hits("bad_peer_key", node))
        syncs = ev.hits("peer_sync_failed", node)
        if parsed or syncs:
            yield RULE.finding(
                "peer-key-invalid",
                nodes=[node.name],
                # The agent names the peer whose annotation it cannot parse.
                confidence=0.85,
                values=Values(
                    error=_err((syncs or parsed)[-1]),
                    mtu=None,
                    peers=sorted({p for e in parsed + syncs if (p := e.kv.get("nodeName") or e.groups.get("peer"))}),
                ),
                evidence=parsed[:2] + syncs[:2] + syncs[-1:],
            )
        stale = node.in_latest_run(ev.hits("peer_update_failed", node))
        if stale:
            yield RULE.finding(
                "stale-peers",
                nodes=[node.name],
                confidence=0.7,
                values=Values(error=_err(stale[-1]), peers=[], mtu=None),
                evidence=stale[-2:],
            )


def _err(e: LogEvent) -> str:
    return (e.groups.get("err") or e.kv.get("err") or e.message or e.text)[:300]
