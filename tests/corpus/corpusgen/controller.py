"""antrea-controller runs: start-up of cmd/antrea-controller/controller.go at each release and
its steady state (NetworkPolicy events)."""

from __future__ import annotations

from datetime import datetime

from corpusgen.agent import MB, api_server_lines, cache_synced, cache_wait
from corpusgen.klogrun import KlogRun
from corpusgen.topology import Cluster

CONTROLLERS = [
    "NetworkPolicyController",
    "GroupEntityController",
    "EgressController",
    "ExternalIPPoolController",
    "TraceflowController",
    "LabelIdentityController",
]
K8S_POLICIES = [("default", "web-app-db-network-policy"), ("shop", "deny-all"), ("shop", "allow-checkout")]


def controller_run(c: Cluster, start: datetime, until: datetime, events: int = 30) -> KlogRun:
    cp = c.controller_node
    run = KlogRun(c.release, cp.name, start, f"{c.name}/controller", program="antrea-controller")
    v = c.release.version
    run.emit("log_max", 100 * MB, lo=0.2, hi=1.0)
    run.emit("log_monitor", 4, lo=0.01, hi=0.2)
    run.emit("ctrl_start", v, kv={"version": v}, lo=0.05, hi=0.5)
    run.emit("k8s_incluster", lo=0.05, hi=0.5)
    run.emit("selfsigned_start", lo=100, hi=400)
    run.emit(
        "gen_cert",
        "/var/run/antrea/antrea-controller-self-signed/antrea-controller.crt",
        "/var/run/antrea/antrea-controller-self-signed/antrea-controller.key",
        lo=1,
        hi=10,
    )
    run.emit("cacert_start", lo=50, hi=200)
    starts = [
        ("np_ctrl_start", "NetworkPolicyController"),
        ("grouping_start", "GroupEntityController"),
        ("egress_ctrl_start", "EgressController"),
        ("eipp_start", "ExternalIPPoolController"),
        ("tf_ctrl_start", "TraceflowController"),
        ("labelid_start", "LabelIdentityController"),
    ]
    for key, name in starts:
        run.emit(key, name, kv={"controller": name}, lo=0.1, hi=2)
        cache_wait(run, name)
    run.emit("stats_start", lo=0.1, hi=2)
    run.emit("monitor_ctrl_start", kv={"controllerName": "AntreaControllerMonitor"}, lo=0.1, hi=2)
    cache_synced(run, CONTROLLERS)
    run.emit("cacert_cm", kv={"name": "kube-system/antrea-ca"}, lo=10, hi=60)
    for ns, name in K8S_POLICIES:
        run.emit("np_k8s_add", ns, name, lo=1, hi=30)
    api_server_lines(run, "[::]:10349")
    if until > run.t:
        gap = (until - run.t).total_seconds() / (events + 1)
        for i in range(events):
            run.wait(gap * run.rng.uniform(0.3, 1.0))
            ns, name = K8S_POLICIES[i % len(K8S_POLICIES)]
            run.emit("np_k8s_update", ns, name, lo=0, hi=5)
    return run
