"""The README keeps its promises: a two-command Quickstart, and example queries that run against the build."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from kg.config import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def example_queries() -> list[str]:
    section = README.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sparql\n(.*?)```", section, flags=re.DOTALL)


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
