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
multicast enabled interface`` (wording of antrea-io/antrea pkg/agent/multicast, v1.12 to v2.7.0).

Whether it lasted: group syncs are retried by a workqueue with a back-off from 5 s to 300 s and
every failure is logged (no success line at the default verbosity); route entries are added for
each multicast packet the kernel reports, so a failing route logs again while traffic flows. So
failures that stopped for longer than 300 s while the agent kept logging are over. ``Not a
multicast enabled interface`` is logged once, when the agent starts and reads its configured
interfaces, and the interface is then skipped for the whole run: it counts when the latest run
logged it, whatever follows.

Remediation
-----------
Check for another multicast router on the Node and kernel support (``CONFIG_IP_MROUTE``); raise
``igmp_max_memberships`` when Pods join many groups.

References
----------
antrea-io/antrea docs/multicast-guide.md; antrea-io/antrea pkg/agent/multicast/mcast_socket_linux.go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from diagnose.api import AGENT_LOG, Finding, Inputs, LogEvent, Outcome, Rule, RuleEvidence, Signature, Step


@dataclass
class Values:
    """The multicast groups and interfaces that failed, and the error."""

    groups: list[str]  # multicast groups whose join or sync failed, e.g. ["239.1.1.21"]
    interfaces: list[str]  # interfaces named by the failures, e.g. ["ens192"]
    error: str  # the error of the last failure, e.g. "no buffer space available"


_KERNEL = Step(
    "Look for another multicast router and check kernel support on the Node.",
    "ps -e | grep -Ei 'pimd|igmpproxy|smcroute|mrouted'; grep CONFIG_IP_MROUTE= /boot/config-$(uname -r)"
    "   # on {{ node }}",
)
_LIMIT = Step(
    "If Pods join more groups than the limit, raise it.",
    "sysctl net.ipv4.igmp_max_memberships; sysctl -w net.ipv4.igmp_max_memberships=200   # on {{ node }}",
)
_SHOW = Step(
    "Show the multicast groups and routes the agent manages.",
    "kubectl -n kube-system exec <antrea-agent pod on {{ node }}> -c antrea-agent -- antctl get "
    "podmulticaststats; ip mroute   # on {{ node }}",
)
_GROUPS = """{{ groups[:5] | join(", ") }}{{ ", ..." if groups | length > 5 }}"""

RULE = Rule(
    id="ANT-MC-001",
    slug="multicast-not-working",
    title="Multicast cannot work on the Node",
    category="multicast",
    severity="error",
    references=(
        "https://github.com/antrea-io/antrea/blob/main/docs/multicast-guide.md",
        "https://github.com/antrea-io/antrea/blob/main/pkg/agent/multicast/mcast_socket_linux.go",
    ),
    inputs=Inputs(needs=(AGENT_LOG,)),
    platform="linux",  # the multicast socket exists only on Linux (mcast_socket_others.go)
    retry_interval=300,  # maxRetryDelay of the multicast group workqueue
    signatures=(
        Signature("no_socket", r"failed to create multicast socket", "failed to create multicast socket"),
        Signature(
            "join_failed",
            r"failed to join multicast group (?P<group>[0-9a-fA-F.:]{1,45}) for (?P<iface>[^\s:]{1,64}): (?P<err>[^\"]{0,300})",
            "failed to join multicast group",
        ),
        Signature(
            "sync_failed",
            r"Error syncing multicast group (?P<group>\S{1,45}), requeuing\. Error: (?P<err>.*)",
            "Error syncing multicast group",
        ),
        Signature(
            "route_failed", r"Adding (?:inbound|outbound) multicast route entry failed", "multicast route entry failed"
        ),
        # Logged once at start for each configured interface without the flag (see Evidence).
        Signature(
            "not_mc_iface", r'"Not a multicast enabled interface"', "Not a multicast enabled interface", role="context"
        ),
    ),
    explains=("agent-crash",),
    values=Values,
    outcomes=(
        Outcome(
            "no-socket",
            severity="critical",
            message="""
            antrea-agent on {{ where }} exits at start-up: it cannot open the kernel multicast routing socket ("failed
            to create multicast socket"), because the kernel lacks multicast routing or another multicast router on
            the Node already holds it. The Node has no Pod network while the agent crash-loops.
        """,
            remediation=(_KERNEL,),
        ),
        Outcome(
            "membership-limit",
            message="""
            On {{ where }} joining multicast group{{ "s" if groups | length != 1 }} """
            + _GROUPS
            + """ on
            {{ interfaces | join(", ") }} fails with "no buffer space available": the kernel's limit of joined groups
            (igmp_max_memberships, default 20) is reached, so receivers of these groups get nothing.
        """,
            remediation=(_LIMIT, _SHOW),
        ),
        Outcome(
            "groups-failing",
            message="""
            On {{ where }} multicast group{{ "s" if groups | length != 1 }} """
            + _GROUPS
            + """ cannot be synced (last
            error: "{{ error }}"): their receivers on this Node get no traffic until a retry succeeds.
        """,
            remediation=(_SHOW, _KERNEL),
        ),
        Outcome(
            "routes-failing",
            message="""
            On {{ where }} antrea-agent cannot add multicast routes to the kernel (last error: "{{ error }}"):
            multicast traffic between this Node's Pods and other Nodes or the outside is not forwarded.
        """,
            remediation=(_KERNEL, _SHOW),
        ),
        Outcome(
            "interface-not-multicast",
            message="""
            On {{ where }} the configured multicast interface{{ "s" if interfaces | length != 1 }}
            {{ interfaces | join(", ") }} {{ "has" if interfaces | length == 1 else "have" }} no MULTICAST flag, so the
            agent skips {{ "it" if interfaces | length == 1 else "them" }}: no multicast traffic is sent or received
            there.
        """,
            remediation=(
                Step(
                    "Check the interface flags and the agent's multicast.multicastInterfaces setting.",
                    "ip link show   # on {{ node }}; kubectl -n kube-system get configmap antrea-config -o yaml | "
                    "grep -A3 multicastInterfaces",
                ),
            ),
        ),
        Outcome(
            "recovered",
            severity="info",
            message="""
            On {{ where }} multicast{% if groups %} group{{ "s" if groups | length != 1 }} """
            + _GROUPS
            + """{% endif %}
            failed for a while{% if error %} ("{{ error }}"){% endif %}. {{ outcome_text }}
        """,
        ),
        Outcome(
            "superseded",
            severity="info",
            message="""
            On {{ where }} multicast failed in an earlier antrea-agent run{% if error %} ("{{ error }}"){% endif %}.
            {{ outcome_text }}
        """,
        ),
    ),
    remediation=(_KERNEL, _LIMIT, _SHOW),
)


def check(ev: RuleEvidence) -> Iterator[Finding]:
    for node in ev.nodes:
        fatal = [e for e in ev.hits("no_socket", node) if "Error running agent" in e.text or e.level == "F"]
        if fatal:
            yield RULE.finding(
                "no-socket",
                nodes=[node.name],
                confidence=0.9,
                values=Values(groups=[], interfaces=[], error="failed to create multicast socket"),
                evidence=fatal[-1:],
            )
        groups = ev.hits("sync_failed", node) + ev.hits("join_failed", node)
        if groups:
            limit = [e for e in groups if "no buffer space available" in e.text]
            shown = limit or groups
            yield RULE.finding(
                "membership-limit" if limit else "groups-failing",
                nodes=[node.name],
                # ENOBUFS on a join is the kernel's membership limit; other sync errors name their own cause.
                confidence=0.9 if limit else 0.7,
                values=Values(
                    groups=sorted({e.groups.get("group") or "?" for e in shown}),
                    interfaces=sorted({i for e in shown if (i := _iface(e))}),
                    error=_err(shown[-1]),
                ),
                evidence=_ends(groups),
            )
        routes = ev.hits("route_failed", node)
        if routes:
            yield RULE.finding(
                "routes-failing",
                nodes=[node.name],
                confidence=0.7,
                values=Values(groups=[], interfaces=[], error=_err(routes[-1])),
                evidence=_ends(routes),
            )
        flags = node.in_latest_run(ev.hits("not_mc_iface", node))
        if flags:
            yield RULE.finding(
                "interface-not-multicast",
                nodes=[node.name],
                confidence=0.85,
                values=Values(
                    groups=[],
                    interfaces=sorted({e.kv.get("interface") or "?" for e in flags}),
                    error="failed to get multicast flag for this interface",
                ),
                evidence=flags[:3],
            )


def _iface(e: LogEvent) -> str | None:
    if e.groups.get("iface"):
        return e.groups["iface"]
    marker = e.text.split(" for ", 1)
    return marker[1].split(":", 1)[0].strip() if len(marker) == 2 and "failed to join" in e.text else None


def _err(e: LogEvent) -> str:
    text = e.kv.get("err") or e.groups.get("err") or e.message or e.text
    return text.rsplit(": ", 1)[-1][:300] if "failed to join" in text else text[:300]


def _ends(events: list[LogEvent]) -> list[LogEvent]:
    return events[:3] + events[-1:] if len(events) > 3 else events
