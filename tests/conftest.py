"""Shared server fixtures: the session's build, and real servers (`python server.py`) on free loopback ports.

- `built`: the folder of the session's fresh build (the `build_settings` fixture of tests/fixtures_build.py).
- `start_server(*flags, env={...})`: starts `python server.py --port <free> --no-build <flags>` on that build and
  returns a `ServerProcess` (`.url`, `.port`, `.log()`); every server is stopped at the end of the session.
- `live_server`: base URL (no trailing slash) of the session's shared server with the default settings.

Test tiers: every test carries one or more markers saying what it needs (registered with their meaning in
pyproject.toml). They are assigned here and only here: `MODULE_TIERS` gives each test module its tiers, `TEST_TIERS`
the few tests whose needs differ from their module's, and the store-server parameters of `kg_store` add `backends`.
Collection fails when a test module has no entry, or when a test uses a fixture of a tier it is not marked with.
The quick tier, for the inner loop (README, Development): pytest -m "(unit or app) and not (backends or slow)".

Note: pytest only honours `pytest_plugins` in the top-level conftest.py; register fixture modules
(tests/fixtures_*.py) in the list there, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kg.config import Settings
from kg.testing import ServerProcess, free_port, start_app_server

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90  # generous: CI machines are slow and busy; this only proves the server comes up

# --- test tiers

# Each test module's tiers (by file name).
MODULE_TIERS: dict[str, tuple[str, ...]] = {
    "test_browser": ("live", "browser"),
    "test_browser_analysis": ("live", "browser"),
    "test_build": ("unit", "slow"),  # each test runs the build on all the data: two to seven seconds
    "test_cli": ("live",),
    "test_clients_browser": ("live", "browser", "clients"),
    "test_clients_node": ("live", "clients"),
    "test_clients_python": ("live",),
    "test_clients_rapper": ("live", "clients"),
    "test_cube": ("unit",),
    "test_data": ("unit",),
    "test_deploy": ("ops", "live"),
    "test_layers": ("unit",),
    "test_linked_data_protocol": ("live",),
    "test_mcp": ("app",),
    "test_mcp_live": ("live",),
    "test_ontology": ("unit",),
    "test_query_text": ("unit",),
    "test_query_workers": ("app",),
    "test_readme": ("unit",),
    "test_reconcile": ("app",),
    "test_reconcile_client": ("live",),
    "test_relations": ("unit",),
    "test_remote_answers": ("backends", "app"),
    "test_remote_app": ("backends", "app"),
    "test_remote_fault": ("backends", "app", "live"),
    "test_remote_load": ("backends",),
    "test_remote_store": ("backends",),
    "test_remote_virtuoso": ("backends",),
    "test_server_availability": ("ops", "live"),
    "test_server_snapshot": ("ops", "live"),
    "test_sparql_app": ("app",),
    "test_sparql_policy": ("unit",),
    "test_sparql_protocol": ("live",),
    "test_sparql_security": ("live",),
    "test_sparql_w3c": ("app",),  # the W3C SPARQL 1.1 query tests through /sparql in-process: 338 requests
    "test_units": ("unit",),
    "test_web_caching": ("app",),
    "test_web_catalog": ("app",),
    "test_web_linked_data": ("app",),
    "test_web_pages": ("app",),
    "test_web_queries": ("app",),
    "test_web_site": ("app",),
    "test_web_tables": ("app",),
    "test_web_ui": ("app",),
    "test_web_analysis": ("app",),
}

# Tests whose needs differ from their module's ("module::test function" -> tiers, in place of the module's).
TEST_TIERS: dict[str, tuple[str, ...]] = {
    # reasoning or validating over the whole data: ten seconds and more each on two cores
    "test_build::test_pruned_reasoning_infers_what_reasoning_over_everything_infers": ("unit", "slow"),
    # whole builds of all the data written to disk, some through `kg` in a subprocess: five seconds and more each
    "test_build::test_build_writes_named_graphs_exports_and_void": ("unit", "slow"),
    "test_build::test_failed_build_leaves_the_last_good_build_untouched": ("unit", "slow"),
    "test_build::test_kg_stats_prints_counts_per_class": ("unit", "slow"),
    "test_ontology::test_ontology_and_data_are_consistent_under_owl2_rl": ("unit", "slow"),
    "test_ontology::test_built_ontology_is_absolute_and_loads_in_other_tools": ("unit", "slow"),
    # pure functions in modules of servers
    "test_cli::test_kg_serve_keeps_a_base_iri_given_before_the_command": ("unit",),
    "test_deploy::test_template_is_filled_for_replicas_on_other_machines": ("unit",),
    "test_server_availability::test_x_forwarded_for_counts_only_from_trusted_proxies": ("unit",),
    "test_sparql_app::test_every_limit_is_documented": ("unit",),
    # compression is the production server's, not the test client's
    "test_web_caching::test_gzip_and_brotli_decode_to_the_same_bytes": ("live",),
    "test_web_caching::test_small_answers_are_not_compressed": ("live",),
}

# A test that uses one of these fixtures needs that tier (checked at collection).
FIXTURE_TIERS = {
    "web_app": "app",
    "web_client": "app",
    "live_server": "live",
    "start_server": "live",
    "oxigraph_server": "backends",
    "oxigraph_servers": "backends",
    "remote_settings": "backends",
    "virtuoso_server": "backends",
    "virtuoso_servers": "backends",
    "browser": "browser",
    "node_client": "clients",
    "rapper": "clients",
    "other_origin": "clients",
}

# `kg_store` parameters that run a test on a store server (tests/fixtures_oxigraph.py) add `backends`, so that the
# quick tier runs the app and page suites on the embedded store only.
SERVER_BACKENDS = {"remote", "virtuoso"}


def _tier_problems(config: pytest.Config) -> list[str]:
    """What is wrong with the tables themselves: a test module without tiers, an entry for no module, an unknown
    marker."""
    registered = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    modules = {path.stem for path in Path(__file__).parent.glob("test_*.py")}
    problems = [f"tests/{m}.py has no tiers: add it to MODULE_TIERS" for m in sorted(modules - set(MODULE_TIERS))]
    problems += [f"MODULE_TIERS names {m}, which is not a test module" for m in sorted(set(MODULE_TIERS) - modules)]
    for key, tiers in [*MODULE_TIERS.items(), *TEST_TIERS.items()]:
        problems += [f"{key}: {t!r} is not a marker registered in pyproject.toml" for t in tiers if t not in registered]
    return problems


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = _tier_problems(config)
    modules: dict[str, object] = {}
    ui_on_other_stores: list[pytest.Item] = []
    for item in items:
        module = item.path.stem
        tiers = TEST_TIERS.get(f"{module}::{getattr(item, 'originalname', item.name)}", MODULE_TIERS.get(module))
        if tiers is None:
            continue  # reported above, once for the module
        tiers = set(tiers)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("kg_store") in SERVER_BACKENDS:
            tiers.add("backends")
        needed = {FIXTURE_TIERS[f] for f in item.fixturenames if f in FIXTURE_TIERS} - tiers
        if needed:
            problems.append(f"{item.nodeid} uses fixtures of the tiers {sorted(needed)}: mark it with them")
        for tier in sorted(tiers):
            item.add_marker(tier)
        modules[module] = getattr(item, "module", None)
        if tiers & {"browser", "clients"} and "backends" in tiers:
            ui_on_other_stores.append(item)
    # The pages and /sparql's answers are the same on every store (the app tier compares pages on all three, and
    # test_remote_answers compares answers query by query): the browser and the clients of other ecosystems run on
    # the embedded store; SPARQLWrapper and rdflib (test_clients_python) still run on every store.
    if ui_on_other_stores:
        config.hook.pytest_deselected(items=ui_on_other_stores)
        dropped = set(ui_on_other_stores)
        items[:] = [item for item in items if item not in dropped]
    for key in TEST_TIERS:  # an entry for a test renamed or removed would be silently dropped
        module, name = key.split("::")
        if modules.get(module) is not None and not hasattr(modules[module], name):
            problems.append(f"TEST_TIERS names {key}, which is not a test function")
    if problems:
        raise pytest.UsageError("test tiers (tests/conftest.py):\n  " + "\n  ".join(problems))


@pytest.fixture(scope="session")
def built(build_settings: Settings) -> Path:
    """The session's build folder (dataset.nq, manifest.json ...), built once from the project's sources."""
    return build_settings.build_dir


@pytest.fixture(scope="session")
def start_server(
    built: Path, tmp_path_factory: pytest.TempPathFactory, kg_store
) -> Iterator[Callable[..., ServerProcess]]:
    """A factory: start_server("--timeout", "2", env={"KG_MAX_ROWS": "5"}) -> a running ServerProcess.

    Servers use the store of `kg_store` (tests/fixtures_oxigraph.py): every test that starts one, or uses
    `live_server`, runs once on the embedded store and once on an Oxigraph server."""
    servers: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("server-logs")

    def start(*flags: str, env: dict[str, str] | None = None) -> ServerProcess:
        port = free_port()
        server = start_app_server(
            built,
            logs / f"server-{port}.log",
            *flags,
            port=port,
            env={**kg_store.environ, **(env or {})},
            timeout=START_TIMEOUT_S,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_server: Callable[..., ServerProcess]) -> str:
    """Base URL of the session's shared server (default settings, the session's build)."""
    return start_server().url
