"""Multicast cannot work: the agent cannot use the kernel multicast routing socket, or joins fail.

Symptom
-------
With the Multicast feature enabled, antrea-agent exits at start-up with ``Error running agent:
failed to create multicast socket``, or runs while multicast receivers get nothing and the log
shows ``failed to join multicast group <group> for <interface>`` or ``Error syncing multicast
group``.

Why it happens
--------------
The agent opens a raw IGMP socket and enables kernel multicast routing on it (MRT_INIT); it
needs a kernel with multicast routing and no other multicast router (e.g. pimd, igmpproxy)
holding the routing socket of the host network namespace. The start-up error discards the cause:
both failures read ``failed to create multicast socket``. At run time each group Pods join is
joined on the transport/multicast interfaces; Linux limits the groups a host can join
(``/proc/sys/net/ipv4/igmp_max_memberships``, default 20 per antrea-io/antrea
docs/multicast-guide.md), after which joins fail.

Evidence
--------
The fatal ``failed to create multicast socket``, ``failed to join multicast group`` (the Go error
``no buffer space available`` pointing at the membership limit), ``Error syncing multicast
group ... requeuing``, ``Adding (inbound|outbound) multicast route entry failed`` and ``Not a
multicast enabled interface`` (wording of antrea-io/antrea pkg/agent/multicast, v1.12 to HEAD).

Remediation
-----------
Check for another multicast router on the Node and kernel support (``CONFIG_IP_MROUTE``); raise
``igmp_max_memberships`` when Pods join many groups.

References
----------
antrea-io/antrea docs/multicast-guide.md; antrea-io/antrea pkg/agent/multicast/mcast_socket_linux.go.
"""

from __future__ import annotations

from diagnose.rule import Rule, Signature, Step

RULE = Rule(
    id="ANT-MC-001",
    slug="multicast-not-working",
    title="Multicast cannot work on the Node",
    category="multicast",
    severity="error",
    references=("https://github.com/antrea-io/antrea/blob/main/docs/multicast-guide.md",
                "https://github.com/antrea-io/antrea/blob/main/pkg/agent/multicast/mcast_socket_linux.go"),
    signatures=(
        Signature("no_socket", r"failed to create multicast socket", "failed to create multicast socket"),
        Signature("join_failed", r"failed to join multicast group (?P<group>[0-9a-fA-F.:]{1,45}) for (?P<iface>[^\s:]{1,64}): (?P<err>[^\"]{0,300})",
                  "failed to join multicast group"),
        Signature("sync_failed", r"Error syncing multicast group (?P<group>\S{1,45}), requeuing\. Error: (?P<err>.*)",
                  "Error syncing multicast group"),
        Signature("route_failed", r"Adding (?:inbound|outbound) multicast route entry failed",
                  "multicast route entry failed"),
        Signature("not_mc_iface", r'"Not a multicast enabled interface"', "Not a multicast enabled interface"),
    ),
    explains=("agent-crash",),
    message="""
        {% if fatal %}antrea-agent on {{ nodes | join(", ") }} exits at start-up: it cannot open the kernel multicast
        routing socket ("failed to create multicast socket"), because the kernel lacks multicast routing or another
        multicast router on the Node already holds it. The Node has no Pod network while the agent crash-loops.
        {% else %}Multicast is broken on {{ nodes | join(", ") }}: {{ problems | join("; ") }}.{% if limit %} "no
        buffer space available" on a join is the kernel's limit of joined groups (igmp_max_memberships, default 20).{%
        endif %}{% endif %}
    """,
    remediation=(
        Step("Look for another multicast router and check kernel support on the Node.",
             "ps -e | grep -Ei 'pimd|igmpproxy|smcroute|mrouted'; grep CONFIG_IP_MROUTE= /boot/config-$(uname -r)"
             "   # on {{ node }}"),
        Step("If Pods join more groups than the limit, raise it.",
             "sysctl net.ipv4.igmp_max_memberships; sysctl -w net.ipv4.igmp_max_memberships=200   # on {{ node }}"),
        Step("Show the multicast groups and routes the agent manages.",
             "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get podmulticaststats; "
             "ip mroute   # on {{ node }}"),
    ),
)


def check(ev):
    for node in ev.nodes:
        hits = {s.name: ev.hits(s.name, node) for s in RULE.signatures}
        hits = {k: v for k, v in hits.items() if v}
        fatal = [e for e in hits.get("no_socket", []) if "Error running agent" in e.text or e.level == "F"]
        runtime = {k: v for k, v in hits.items() if k != "no_socket"}
        if not fatal and sum(len(v) for v in runtime.values()) < 2:
            continue  # one failed join or route is retried; repeated failures matter
        problems = []
        if "join_failed" in runtime:
            groups = sorted({e.groups.get("group", "?") for e in runtime["join_failed"]})
            problems.append(f"joining {', '.join(groups[:5])} fails ({runtime['join_failed'][-1].groups.get('err', '')})")
        if "sync_failed" in runtime:
            problems.append(f"{len(runtime['sync_failed'])} multicast group syncs failed")
        if "route_failed" in runtime:
            problems.append("multicast routes cannot be added")
        if "not_mc_iface" in runtime:
            problems.append("a configured multicast interface has no MULTICAST flag")
        limit = any("no buffer space available" in e.text for e in runtime.get("join_failed", []))
        yield RULE.finding(
            nodes=[node.name],
            confidence=0.9 if fatal or limit else 0.7,
            severity="critical" if fatal else "error",
            values={"fatal": bool(fatal), "problems": problems, "limit": limit},
            evidence=(fatal[-1:] + [e for v in runtime.values() for e in v[:2]])[:8],
        )
