"""Finding messages with Jinja2 logic: their compiled code comes from the signed cache on later
runs, renders as a fresh compile does, and a cache file signed by anyone else is never run."""

import jinja2
import pytest
from support import cache_file

from diagnose.rules import rule

TEMPLATE = (
    "{{ who }} failed{% if runs > 1 %} in {{ runs }} runs{% endif %}: {{ (endpoint or 'x:443').rsplit(':', 1)[0] }}"
)
VALUES = {"who": "antrea-agent", "runs": 3, "endpoint": "10.96.0.1:443"}
EXPECTED = "antrea-agent failed in 3 runs: 10.96.0.1"


@pytest.fixture
def cache(private_cache):
    """A signed cache of this test's own, and no template of this process."""
    rule._template.cache_clear()
    yield private_cache
    rule._template.cache_clear()


def no_compiling(monkeypatch):
    def fail(*args, **kwargs):
        pytest.fail("compiled although the cache holds the template's code")

    monkeypatch.setattr(jinja2.Environment, "compile", fail)


def test_a_later_run_renders_the_cached_code_without_compiling(cache, monkeypatch):
    assert rule._render(TEMPLATE, VALUES) == EXPECTED
    assert cache_file(cache, "jinja").exists()
    rule._template.cache_clear()  # a new process
    no_compiling(monkeypatch)
    assert rule._render(TEMPLATE, VALUES) == EXPECTED


def test_cached_code_signed_with_another_key_is_compiled_again(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "attacker-config"))
    assert rule._render(TEMPLATE, VALUES) == EXPECTED
    path = cache_file(cache, "jinja")
    forged = path.read_bytes()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    rule._template.cache_clear()
    assert rule._render(TEMPLATE, VALUES) == EXPECTED
    assert path.read_bytes() != forged  # replaced by code signed with this user's key
