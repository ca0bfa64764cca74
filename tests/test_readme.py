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
