"""The README and docs/ keep their promises: a README of one page that opens with a two-command Quickstart and
names the quick test tier, counts that match `kg stats`, example queries (docs/example-queries.md) that run against
the build, and links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
DOCS = PROJECT_ROOT / "docs"
EXAMPLE_QUERIES = (DOCS / "example-queries.md").read_text(encoding="utf-8")
README_MAX_LINES = 200


def example_queries() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", EXAMPLE_QUERIES, flags=re.DOTALL)


def test_readme_is_one_page() -> None:
    assert len(README.splitlines()) <= README_MAX_LINES, "the README is one page: move the detail to docs/"
    assert "<!-- QUICKSTART-END -->" in README


def test_readme_opens_with_a_two_command_quickstart() -> None:
    first_section = README.split("\n## ", 2)[1]
    assert first_section.startswith("Quickstart")
    block = re.search(r"```sh\n(.*?)```", first_section, flags=re.DOTALL).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert "kg serve" in commands[0]
    assert ".ci/run" in commands[1]


def test_there_are_at_least_three_example_queries() -> None:
    assert len(example_queries()) >= 3


@pytest.mark.parametrize("query", example_queries())
def test_example_query_runs_against_the_build(built_store: ox.Store, query: str) -> None:
    result = built_store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        assert bool(result)
    else:
        rows = list(result)
        assert rows, query


# The README's "What is in the graph today" sentence, each number against the class counts `kg stats` prints.
README_COUNTS = {
    "figures": "Observation",
    "indicators": "Indicator",
    "source\npassages": "Passage",
    "places": "Place",
    "organizations": "Organization",
    "industries": "Industry",
    "projects": "Project",
    "platforms": "Platform",
    "programmes": "Program",
    "events": "Event",
    "designations": "Designation",
    "awards": "Award",
    "cooperation agreements": "CooperationAgreement",
    "planned actions": "PlannedAction",
}


def test_readme_counts_match_kg_stats(build_settings) -> None:
    from kg.build.stats import class_counts

    counts = {iri.rsplit("#", 1)[-1]: n for _, iri, n in class_counts(build_settings)}
    summary = README.split("What is in the graph today:", 1)[1].split("`kg stats`", 1)[0]
    wrong = []
    for words, cls in README_COUNTS.items():
        pattern = r"(\d+) (?:of them )?" + r"\s+".join(map(re.escape, words.split()))
        m = re.search(pattern, summary)
        if not m or int(m.group(1)) != counts[cls]:
            wrong.append(f"{words}: README {m.group(1) if m else None}, kg stats {counts[cls]}")
    enterprises = re.search(r"\((\d+) of\s+them enterprises\)", summary)
    if not enterprises or int(enterprises.group(1)) != counts["Enterprise"]:
        wrong.append(f"enterprises: kg stats {counts['Enterprise']}")
    assert not wrong, "\n".join(wrong)
    from kg.web import examples

    assert f"{len(examples.load_all())} example queries" in README.replace("\n", " ")


def test_the_data_guide_says_how_the_readme_counts_are_kept() -> None:
    guide = (DOCS / "DATA-GUIDE.md").read_text(encoding="utf-8")
    section = guide.split("## Counts in the README", 1)[1]
    assert "test_readme_counts_match_kg_stats" in section and "kg stats" in section


def _quick_tier_commands(text: str) -> set[str]:
    return set(re.findall(r'pytest -m "(\(unit[^"]*)"', text))


def test_the_quick_tier_is_named_alike_wherever_it_is_written() -> None:
    """The README's Development section names the quick tier; docs/development.md, tests/conftest.py (where the
    tiers are assigned) and pyproject.toml (where they are registered) give the same expression."""
    development = README.split("## Development", 1)[1]
    named = _quick_tier_commands(development)
    assert len(named) == 1, f"the README's Development section names the quick tier once: {named}"
    for path in (DOCS / "development.md", PROJECT_ROOT / "tests" / "conftest.py", PROJECT_ROOT / "pyproject.toml"):
        assert _quick_tier_commands(path.read_text(encoding="utf-8")) == named, path


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]


@pytest.mark.parametrize(
    "page",
    [PROJECT_ROOT / "README.md", *sorted(DOCS.glob("*.md"))],
    ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix(),
)
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    """A page moved into docs/ keeps working links, and so do the pages that point at it."""
    broken = [t for t in _relative_links(page) if not (page.parent / t.split("#", 1)[0]).exists()]
    assert not broken, f"{page.name}: {broken}"
