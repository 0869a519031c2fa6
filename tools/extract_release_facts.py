#!/usr/bin/env python3
"""Extract, from Antrea's source at each release tag, the facts the test corpora are built from.

Run by hand against local mirrors (bare git directories); the output is committed under
`tests/corpus/data/` so CI, which has no mirror, can rebuild the corpora:

    python tools/extract_release_facts.py \\
        --antrea /work/.mirror/antrea-io+antrea/repo \\
        --client-go /work/.mirror/kubernetes+client-go/repo \\
        --apimachinery /work/.mirror/kubernetes+apimachinery/repo \\
        --apiserver /work/.mirror/kubernetes+apiserver/repo \\
        --ovs /work/.mirror/openvswitch+ovs/repo \\
        --out tests/corpus/data

For each release it writes `releases/<tag>.json`: the versions the binaries are built with (Go,
client-go, klog, OVS from `go.mod` and `build/images/deps/*`), every log call site listed in
`release_sites.py` (`file:line`, klog function, severity, format or message, structured keys) in
Antrea and in the client-go / apiserver / OVS versions that release uses, the numbered example
flows of `docs/design/ovs-pipeline.md`, and `conf/<tag>/` the rendered `antrea-agent.conf`,
`antrea-controller.conf` and `antrea-cni.conflist` of `build/yamls/antrea.yml`. It also resolves
the fatal-message catalogue (`fatal_catalogue.py`) into `fatal_messages.json`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fatal_catalogue  # noqa: E402
import release_sites  # noqa: E402
from gosource import (  # noqa: E402
    SiteNotFound,
    find_c_call,
    find_go_call,
    find_shell_log,
    git_grep_paths,
    git_show,
)

RELEASES = ["v1.11.0", "v1.15.0", "v2.0.0", "v2.1.0", "v2.2.0", "v2.4.0", "v2.7.0"]


def gomod_versions(gomod: str) -> dict[str, str]:
    out = {}
    m = re.search(r"^go (\S+)", gomod, re.M)
    out["go_directive"] = m.group(1) if m else ""
    for mod in ("k8s.io/client-go", "k8s.io/apimachinery", "k8s.io/apiserver", "k8s.io/klog/v2"):
        m = re.search(rf"^\s*{re.escape(mod)} (v\S+)", gomod, re.M)
        if m:
            out[mod.split("/", 1)[1].replace("/v2", "")] = m.group(1)
    return out


def resolve(site: release_sites.Site, git_dir: str, ref: str, cache: dict) -> dict:
    paths = git_grep_paths(git_dir, ref, site.fixed, list(site.under))
    if site.hint:
        paths = [p for p in paths if site.hint in p]
    # prefer non-Windows, non-generated files; then the shortest path
    paths.sort(key=lambda p: ("windows" in p, "zz_generated" in p, len(p)))
    last: Exception | None = None
    for path in paths:
        text = cache.get((git_dir, ref, path))
        if text is None:
            text = git_show(git_dir, ref, path) or ""
            cache[(git_dir, ref, path)] = text
        anchor = site.anchor or re.escape(site.fixed)
        try:
            if site.kind == "c":
                return find_c_call(text, path, anchor, site.nth).to_json()
            if site.kind == "shell":
                return find_shell_log(text, path, anchor).to_json()
            return find_go_call(text, path, anchor, site.nth).to_json()
        except SiteNotFound as e:
            last = e
    raise SiteNotFound(str(last) if last else f"{site.key}: {site.fixed!r} not found under {site.under}")


def pipeline_flows(doc: str) -> list[str]:
    """The numbered example flows of docs/design/ovs-pipeline.md (`N. table=...`), with the
    backslash continuation lines joined, in document order, duplicates dropped."""
    out: list[str] = []
    lines = doc.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*\d+\. (table=\S.*)$", lines[i])
        if m:
            flow = m.group(1)
            while flow.endswith("\\") and i + 1 < len(lines):
                i += 1
                flow = flow[:-1] + lines[i].strip()
            flow = flow.strip()
            if flow not in out:
                out.append(flow)
        i += 1
    return out


def configmap_files(manifest: str) -> dict[str, str]:
    """`data:` entries of the antrea-config ConfigMap in a rendered manifest."""
    docs = manifest.split("\n---\n")
    for doc in docs:
        if re.search(r"^kind: ConfigMap$", doc, re.M) and re.search(r"^  name: antrea-config\b", doc, re.M):
            out: dict[str, str] = {}
            cur = None
            buf: list[str] = []
            in_data = False
            for line in doc.split("\n"):
                if line == "data:":
                    in_data = True
                    continue
                if not in_data:
                    continue
                m = re.match(r"^  ([\w.-]+): \|-?$", line)
                if m:
                    if cur:
                        out[cur] = "\n".join(buf).rstrip("\n") + "\n"
                    cur, buf = m.group(1), []
                    continue
                if line and not line.startswith("    "):
                    break
                buf.append(line[4:])
            if cur:
                out[cur] = "\n".join(buf).rstrip("\n") + "\n"
            return out
    return {}


def release_facts(tag: str, repos: dict[str, str], cache: dict, problems: list[str]) -> tuple[dict, dict]:
    g = repos["antrea"]
    gomod = git_show(g, tag, "go.mod") or ""
    vers = gomod_versions(gomod)
    go_minor = (git_show(g, tag, "build/images/deps/go-version") or vers["go_directive"]).strip()
    ovs = (git_show(g, tag, "build/images/deps/ovs-version") or "").strip()
    commit = subprocess.run(
        ["git", f"--git-dir={g}", "rev-list", "-n1", tag], capture_output=True, text=True
    ).stdout.strip()
    facts: dict = {
        "tag": tag,
        "commit": commit,
        "version": tag,  # GetFullVersion() of a released build (ReleaseStatus=released)
        "go": go_minor,
        "client_go": vers.get("client-go", ""),
        "apimachinery": vers.get("apimachinery", ""),
        "apiserver": vers.get("apiserver", ""),
        "klog": vers.get("klog", ""),
        "ovs": ovs,
        "sites": {},
        "missing": [],
    }
    refs = refs_for(tag, g)
    groups = [
        ("agent", release_sites.AGENT),
        ("controller", release_sites.CONTROLLER),
        ("client-go", release_sites.CLIENT_GO),
        ("apiserver", release_sites.APISERVER),
        ("ovs", release_sites.OVS_SITES),
        ("start_ovs", release_sites.START_OVS),
    ]
    for _group, sites in groups:
        for site in sites:
            try:
                facts["sites"][site.key] = resolve(site, repos[site.repo], refs[site.repo], cache)
            except (SiteNotFound, StopIteration, ValueError, IndexError) as e:
                facts["missing"].append(site.key)
                problems.append(f"{tag} {site.key}: {e}")
    # How client-go's utilruntime.HandleError prints (the reflector's "Failed to watch" goes through it).
    rt = git_show(repos["apimachinery"], refs["apimachinery"], release_sites.APIMACHINERY_ERROR) or ""
    facts["handle_error"] = "unhandled" if '"Unhandled Error"' in rt else "depth"
    # Reflector names: the `file:line` of the informer factory's `informer.Run` goroutine, in
    # client-go (K8s informers) and in Antrea's generated factory (CRD informers).
    run = r"informer\.Run(WithContext)?\("
    for key, git_dir, ref, path, module in [
        ("k8s_factory_run", repos["client-go"], refs["client-go"], "informers/factory.go", "k8s.io/client-go"),
        ("crd_factory_run", g, tag, "pkg/client/informers/externalversions/factory.go", "antrea.io/antrea"),
    ]:
        try:
            facts[key] = f"{module}/{path}:{find_line(git_dir, ref, path, run)}"
        except SiteNotFound as e:
            problems.append(f"{tag} {key}: {e}")
    facts["flows"] = pipeline_flows(git_show(g, tag, "docs/design/ovs-pipeline.md") or "")
    conf = configmap_files(git_show(g, tag, "build/yamls/antrea.yml") or "")
    return facts, conf


def refs_for(tag: str, antrea: str) -> dict[str, str]:
    """The ref of each repository a release is built from (go.mod for the Kubernetes libraries)."""
    vers = gomod_versions(git_show(antrea, tag, "go.mod") or "")
    ovs = (git_show(antrea, tag, "build/images/deps/ovs-version") or "").strip()
    return {
        "antrea": tag,
        "client-go": vers.get("client-go", ""),
        "apimachinery": vers.get("apimachinery", ""),
        "apiserver": vers.get("apiserver", ""),
        "ovs": f"v{ovs}",
    }


def find_line(git_dir: str, ref: str, path: str, anchor: str) -> int:
    text = git_show(git_dir, ref, path)
    if text is None:
        raise SiteNotFound(f"{path} missing at {ref}")
    for i, line in enumerate(text.split("\n"), start=1):
        if re.search(anchor, line):
            return i
    raise SiteNotFound(f"{path}: {anchor!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--antrea", required=True)
    ap.add_argument("--client-go", required=True)
    ap.add_argument("--apimachinery", required=True)
    ap.add_argument("--apiserver", required=True)
    ap.add_argument("--ovs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--release", action="append", help="only these tags (default: all)")
    args = ap.parse_args(argv)
    repos = {
        "antrea": args.antrea,
        "client-go": args.client_go,
        "apimachinery": args.apimachinery,
        "apiserver": args.apiserver,
        "ovs": args.ovs,
    }
    out = Path(args.out)
    cache: dict = {}
    problems: list[str] = []
    for tag in args.release or RELEASES:
        facts, conf = release_facts(tag, repos, cache, problems)
        (out / "releases").mkdir(parents=True, exist_ok=True)
        (out / "releases" / f"{tag}.json").write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
        for name, text in conf.items():
            (out / "conf" / tag).mkdir(parents=True, exist_ok=True)
            (out / "conf" / tag / name).write_text(text)
        print(f"{tag}: {len(facts['sites'])} sites, {len(facts['missing'])} absent, {len(facts['flows'])} flows")
    fatals = fatal_catalogue.resolve_all(
        repos,
        lambda tag: refs_for(tag, repos["antrea"]),
        cache,
        problems,
        resolve,
        lambda g, ref, path: git_show(g, ref, path) or "",
    )
    (out / "fatal_messages.json").write_text(json.dumps(fatals, indent=1) + "\n")
    print(f"fatal catalogue: {len(fatals)} entries")
    for p in problems:
        print("  absent:", p, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
