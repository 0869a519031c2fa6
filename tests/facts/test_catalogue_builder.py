"""tools/build_message_catalogue.py: what it extracts from Go source and the file it writes."""

from __future__ import annotations

import gzip
import json

import pytest
from catalogue_builder import FakeRepo, formats_of, load_builder

from diagnose.facts.messages import Catalogue


def test_printf_calls_keep_their_format_level_and_line():
    src = """package route

func f() {
	klog.Errorf("Failed to initialize iptables: %v - will retry in %v", err, backoff)
	klog.Warningf("Interface for Pod %s/%s not found", ns, name)
	klog.V(2).Infof("Deleted %d stale routes", n)
	klog.Fatalf("Error running agent: %v", err)
}
"""
    assert formats_of(src) == [
        ("Failed to initialize iptables: %v - will retry in %v", "E", "f", 4),
        ("Interface for Pod %s/%s not found", "W", "f", 5),
        ("Deleted %d stale routes", "I", "f", 6),
        ("Error running agent: %v", "F", "f", 7),
    ]


def test_concatenation_over_lines_gives_one_message_at_the_line_of_the_call():
    src = """package agent

func f() {
	if node.Spec.PodCIDR == "" {
		klog.ErrorS(nil, "Spec.PodCIDR is empty for Node. Please make sure --allocate-node-cidrs is enabled "+
			"for kube-controller-manager and --cluster-cidr specifies a sufficient CIDR range", "nodeName", nodeName)
	}
}
"""
    [(fmt, level, style, line)] = formats_of(src)
    assert fmt == (
        "Spec.PodCIDR is empty for Node. Please make sure --allocate-node-cidrs is enabled for "
        "kube-controller-manager and --cluster-cidr specifies a sufficient CIDR range"
    )
    assert (level, style, line) == ("E", "s", 5)


def test_structured_calls_record_their_keys():
    builder = load_builder()
    src = """package p
func f() {
	klog.InfoS("Got Interface MTU", "MTU", mtu)
	klog.ErrorS(err, "Failed to sync iptables rules", "table", t, "chain", c)
	klog.V(4).InfoS("Verbose message", "key", v)
	logger := klog.FromContext(ctx)
	logger.Error(err, "Failed in logr", "pod", klog.KObj(pod))
	klog.FromContext(ctx).Info("Direct logr")
}
"""
    found = [(c.level, c.style, builder.format_of(c, {}), c.keys) for c in builder.calls(builder.tokens(src))]
    assert found == [
        ("I", "s", "Got Interface MTU", ["MTU"]),
        ("E", "s", "Failed to sync iptables rules", ["table", "chain"]),
        ("I", "s", "Verbose message", ["key"]),
        ("E", "s", "Failed in logr", ["pod"]),
        ("I", "s", "Direct logr", []),
    ]


def test_raw_strings_escapes_and_error_constructors():
    src = r"""package p
func f() error {
	_ = errors.New(`raw "quoted" text, 100% literal`)
	_ = fmt.Errorf("tab\there \"quoted\" \u00e9: %w", err)
	return fmt.Errorf("error initializing agent: %w", err)
}
"""
    assert [(f, lvl) for f, lvl, _, _ in formats_of(src)] == [
        ('raw "quoted" text, 100%% literal', "error"),  # a plain message is stored as a format
        ('tab\there "quoted" é: %w', "error"),
        ("error initializing agent: %w", "error"),
    ]


def test_names_of_string_constants_and_sprintf_operands_are_resolved():
    src = """package p

const (
	prefix = "failed to " +
		"sync"
	other string = "unused"
)

const single = "Single constant message"

func f() {
	klog.Errorf(prefix+" rule %s: %v", name, err)
	klog.Error(single)
	klog.V(2).Info(fmt.Sprintf("sending response: %v", resp))
	klog.Errorf(variableFormat, x)
	klog.Error("Failed: ", err)
}
"""
    assert [f for f, _, _, _ in formats_of(src)] == [
        "failed to sync rule %s: %v",
        "Single constant message",
        "sending response: %v",
        "Failed: %v",  # Sprint: operands joined; a variable format gives nothing to match
    ]


def test_comments_strings_that_look_like_calls_and_panics():
    src = """package p
// klog.Errorf("in a comment")
/* fmt.Errorf("in a block
comment") */
func f() {
	s := "klog.Errorf(\\"in a string\\")"
	panic(fmt.Sprintf("unexpected type %T", v))
	panic("should not happen")
	panic(err)
	klog.Info(x)
}
"""
    assert [(f, lvl, line) for f, lvl, _, line in formats_of(src)] == [
        ("unexpected type %T", "panic", 7),
        ("should not happen", "panic", 8),
    ]


def test_tests_vendor_and_generated_code_are_left_out():
    skip = load_builder().SKIP_PARTS
    for path in (
        "pkg/agent/agent_test.go",
        "vendor/k8s.io/x.go",
        "third_party/proxy/p.go",
        "pkg/client/clientset/versioned/x.go",
        "pkg/apis/crd/v1beta1/zz_generated.deepcopy.go",
        "pkg/agent/openflow/testing/mock_openflow.go",
        "multicluster/test/e2e/x.go",
    ):
        assert skip.search(path), path
    for path in ("pkg/agent/agent.go", "cmd/antrea-agent/main.go", "multicluster/controllers/multicluster/x.go"):
        assert not skip.search(path), path


def _release(line_offset: int, extra: str = "") -> dict[str, str]:
    pad = "\n" * line_offset
    return {
        "pkg/agent/route/route_linux.go": f'package route\n{pad}func f() {{\n\tklog.Errorf("Failed to initialize '
        f'iptables: %v - will retry in %v", err, b)\n{extra}}}\n',
        "pkg/agent/route/route_linux_test.go": 'package route\nfunc t() { klog.Errorf("only in a test") }\n',
    }


def test_scan_merges_releases_into_runs_and_the_reader_links_each_release_to_its_line():
    builder = load_builder()
    releases = {
        "v1.0.0": _release(0),
        "v1.1.0": _release(0),
        "v1.2.0": _release(5, '\treturn fmt.Errorf("new in v1.2: %w", err)\n'),
    }
    names = list(releases)
    entries = builder.scan(FakeRepo(releases), names, log=lambda _: None)
    doc = builder.catalogue(entries, names, names)
    assert json.loads(json.dumps(doc)) == doc  # what the script writes, gzipped
    cat = Catalogue(doc)
    assert len(cat) == 2  # the test file's message is not catalogued

    m = cat.lookup(
        "E0102 10:00:00.000000       1 route_linux.go:9] Failed to initialize iptables: "
        "exit status 4 - will retry in 2s"
    )
    assert (m.package, m.level, m.versions) == ("pkg/agent/route", "E", ("v1.0.0", "v1.2.0"))
    assert m.releases == tuple(names)
    runs = [(loc.first, loc.last, loc.line) for loc in m.locations]
    assert runs == [("v1.0.0", "v1.1.0", 3), ("v1.2.0", "v1.2.0", 8)]
    assert m.url("v1.1.3").endswith("/blob/v1.1.0/pkg/agent/route/route_linux.go#L3")
    assert m.url().endswith("/blob/v1.2.0/pkg/agent/route/route_linux.go#L8")

    new = cat.lookup("new in v1.2: boom")
    assert new.versions == ("v1.2.0", "v1.2.0") and new.level == "error"


def test_the_written_file_is_gzipped_json_and_the_same_bytes_twice(tmp_path, monkeypatch):
    builder = load_builder()
    repo = FakeRepo({"v1.0.0": _release(0), "main": _release(1)})
    entries = builder.scan(repo, ["v1.0.0", "main"], log=lambda _: None)
    doc = builder.catalogue(entries, ["v1.0.0", "main"], ["v1.0.0", "0123abcd"])
    first = gzip.compress(json.dumps(doc).encode(), mtime=0)
    assert gzip.compress(json.dumps(doc).encode(), mtime=0) == first
    path = tmp_path / "messages.json.gz"
    path.write_bytes(first)
    m = Catalogue.load(path).lookup("Failed to initialize iptables: x - will retry in 1s")
    assert m.url("v1.9.0").startswith("https://github.com/antrea-io/antrea/blob/0123abcd/")  # main by commit


@pytest.mark.parametrize(
    "tags, expected",
    [
        (
            ["v0.13.5", "v1.0.0", "v1.0.1", "v1.10.0", "v1.2.0", "v2.0.0", "v2.1.0-beta.0"],
            ["v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0"],
        ),
        ([], []),
    ],
)
def test_minor_releases_are_the_dot_zero_tags_from_v1_in_version_order(tags, expected):
    assert load_builder().minor_releases(tags) == expected
