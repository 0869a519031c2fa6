"""The Jinja2 environment of the Markdown and HTML reports.

Templates are looked up in the user's override folders first (`--templates DIR`, in order), then
in the built-in `templates/` folder, so an override can replace one template and still include
the built-in ones. HTML templates (`*.html.j2`) are autoescaped. Markdown templates are not (HTML
escaping is wrong for Markdown): they must pass every value through a filter of
`diagnose.report.markdown` (`md`, `code`, `fence`); see templates/report.md.j2.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from diagnose.report import view


def environment(templates_dirs: Iterable[Path | str] | None = None) -> Any:
    """The environment for these override folders (cached: templates compile once per process;
    the loader still notices a template file that changed)."""
    return _environment(tuple(str(Path(p)) for p in templates_dirs or ()))


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]) -> Any:
    import jinja2

    from diagnose.report import lanes, markdown
    from diagnose.resources import builtin_templates_dir

    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(d) for d in dirs] + [jinja2.FileSystemLoader(str(builtin_templates_dir()))]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2"),
            disabled_extensions=("md", "md.j2", "txt", "j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        clean=view.clean,
        oneline=view.oneline,
        nodes_text=view.nodes_text,
        percent=view.percent,
        node_status=view.node_status,
        node_state=view.node_state,
        reference_url=view.reference_url,
        location=view.evidence_location,
        human_size=view.human_size,
        clock=view.clock,
        short_path=lanes.short_path,
        run_label=lanes.run_label,
        md=markdown.escape,
        code=markdown.code,
        fence=markdown.fence,
        evidence_fence=markdown.evidence_fence,
        md_link=markdown.reference_link,
    )
    env.globals.update(
        verdict=view.verdict,
        closing_line=view.closing_line,
        nodes_headline=view.nodes_headline,
        count_symptoms=view.count_symptoms,
        problems=view.problems,
        plural=view.plural,
        severity_icon=view.SEVERITY_ICON,
        inconclusive=view.inconclusive,
        excerpts=view.excerpts,
        severity_counts=view.severity_counts,
        node_ids=view.node_ids,
        node_classes=view.node_classes,
        timeline_lane=lanes.lane,
        timeline_overview=lanes.overview,
        key_events=lanes.key_events,
    )
    return env
