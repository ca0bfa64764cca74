"""The `kg` command: `kg serve` is the documented way to serve, with the same flags as `python server.py`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from kg.cli import main
from kg.config import Settings
from kg.testing import free_port, stop_process, wait_until

KG = shutil.which("kg") or ""


def _serve(command: list[str], build: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"KG_BUILD_DIR": str(build), "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-build"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: requests.get(url + "/sparql", params={"query": "ASK {}"}, timeout=5).ok,
        process,
        90,
        "kg serve",
        lambda: log.read_text(errors="replace"),
    )
    return process, url


@pytest.mark.parametrize(
    "command", [[sys.executable, "-m", "kg.cli", "serve"], [KG, "serve"]], ids=["python -m kg.cli serve", "kg serve"]
)
def test_kg_serve_serves_the_build(command: list[str], build_settings: Settings, tmp_path: Path) -> None:
    if not command[0]:
        pytest.skip("the kg console script is not installed (pip install -e .)")
    process, url = _serve(command, build_settings.build_dir, tmp_path / "serve.log")
    try:
        count = requests.get(
            url + "/sparql",
            params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        ).json()
        assert int(count["results"]["bindings"][0]["n"]["value"]) > 10000
        page = requests.get(url + "/page/jinpu", timeout=30)
        assert page.status_code == 200 and "金普新区" in page.text
    finally:
        stop_process(process)


def test_kg_serve_keeps_a_base_iri_given_before_the_command(monkeypatch) -> None:
    """`kg --base-iri X serve` must not have X reset by the serve flags' defaults."""
    seen: list[Settings] = []
    monkeypatch.setattr("kg.server.serve", lambda settings, processes=None: seen.append(settings))
    monkeypatch.setattr("kg.server.ensure_build", lambda settings: None)
    monkeypatch.setattr("kg.artifacts.BuildArtifacts.exists", lambda self, name="dataset.nq": True)
    assert main(["--base-iri", "http://example.org/kg/", "serve", "--port", "9"]) == 0
    assert seen[-1].base_iri == "http://example.org/kg/" and seen[-1].port == 9
    assert main(["serve", "--base-iri", "http://example.org/other/"]) == 0
    assert seen[-1].base_iri == "http://example.org/other/"
