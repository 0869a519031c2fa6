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
'node.antrea.io/wireguard-public-key' annotation`` / ``failed to change WireGuard link MTU`` /
``error when removing stale WireGuard peers``, matched with the wording of antrea-io/antrea
pkg/agent/wireguard/client_linux.go and pkg/agent/agent.go (v1.5 to HEAD). The start-up failure
is reported against the Node it happened on; key errors name the peer Node.

Remediation
-----------
Load the module (``modprobe wireguard``) or use a kernel with WireGuard, check the Nodes' key
annotations, then restart the agent.

References
----------
antrea-io/antrea docs/traffic-encryption.md; antrea-io/antrea pkg/agent/wireguard/client_linux.go.
"""

from __future__ import annotations

from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-WG-001",
    slug="wireguard-not-working",
    title="WireGuard encryption cannot work on the Node",
    category="wireguard",
    severity="critical",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/traffic-encryption.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/wireguard/client_linux.go"),
    signatures=(
        Signature("no_kernel", r"WireGuard not supported by the Linux kernel \(netlink: (?P<err>[^)]{0,200})\)",
                  "WireGuard not supported by the Linux kernel", versions=">=1.5.0"),
        Signature("mtu_failed", r"failed to change WireGuard link MTU to (?P<mtu>\d+)", "failed to change WireGuard link MTU",
                  versions=">=1.15.0"),
        Signature("bad_peer_key", r'"Parse WireGuard public key error"', "Parse WireGuard public key error"),
        Signature("publish_failed", r"error when patching the Node with the 'node\.antrea\.io/wireguard-public-key' "
                  r"annotation: (?P<err>.*)", "wireguard-public-key' annotation"),
        Signature("peer_update_failed", r"(?:error when removing stale WireGuard peers|delete WireGuard peer \S{1,253} failed)",
                  "WireGuard peer"),
    ),
    explains=("agent-crash",),
    lookalikes=("kernel-module",),
    message="""
        {% if no_kernel %}antrea-agent on {{ nodes | join(", ") }} cannot create its WireGuard device: the kernel
        has no WireGuard support ({{ no_kernel }}). The agent exits at start-up, so the Node has no Pod network.
        {% else %}WireGuard peering is broken on {{ nodes | join(", ") }}: {{ problems | join("; ") }}. Encrypted
        traffic to the peers concerned is dropped.{% endif %}
    """,
    remediation=(
        Step("Check that the kernel has WireGuard (in Linux since 5.6) and load the module.",
             "uname -r; modprobe wireguard && lsmod | grep wireguard   # on {{ node }}"),
        Step("Check every Node's public key annotation.",
             "kubectl get nodes -o custom-columns=NAME:.metadata.name,"
             "WGKEY:'.metadata.annotations.node\\.antrea\\.io/wireguard-public-key'"),
        Step("Restart the agent on the Node once fixed.",
             "kubectl -n kube-system delete pod -l component=antrea-agent --field-selector spec.nodeName={{ node }}"),
    ),
)


def check(ev):
    for node in ev.nodes:
        hits = {s.name: ev.hits(s.name, node) for s in RULE.signatures}
        hits = {k: v for k, v in hits.items() if v}
        if not hits:
            continue
        problems = []
        if "bad_peer_key" in hits:
            peers = sorted({e.kv.get("nodeName", "?") for e in hits["bad_peer_key"]})
            problems.append(f"the public key of {', '.join(peers)} cannot be parsed (annotation missing or invalid)")
        if "publish_failed" in hits:
            problems.append("the agent cannot publish its own public key on its Node")
        if "mtu_failed" in hits:
            problems.append(f"the WireGuard device MTU cannot be set to {hits['mtu_failed'][0].groups.get('mtu')}")
        if "peer_update_failed" in hits:
            problems.append("stale WireGuard peers cannot be removed")
        no_kernel = hits.get("no_kernel")
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.95 if no_kernel else 0.75,
            severity="critical" if no_kernel else "error",
            values={"no_kernel": no_kernel[0].groups.get("err", "") if no_kernel else "", "problems": problems},
            evidence=[e for v in hits.values() for e in v[:2]][:8],
        )
