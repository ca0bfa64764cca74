"""A running server owns its data: it serves the snapshot of the build it started on, whatever is built into build/
meanwhile (for another base, or the same base with changed data), also in a server process that replaces one that
died; SIGHUP switches every process to the build now in build/, and refuses a build of another base."""

from __future__ import annotations

import os
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from kg.build import build
from kg.config import PROJECT_ROOT, Settings
from kg.testing import ServerProcess, start_app_server

OTHER_BASE = "http://example.org/other/"


@pytest.fixture()
def project(tmp_path: Path) -> Settings:
    """A copy of the sources with a build of its own, so that the tests can rebuild it under a running server."""
    root = tmp_path / "project"
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    settings = Settings(root=root, build_dir=root / "build")
    build(settings)
    return settings


@pytest.fixture()
def server(project: Settings, tmp_path: Path):
    s = start_app_server(project.build_dir, tmp_path / "server.log", "--processes", "2", env={"KG_STORE": "embedded"})
    yield s
    s.stop()


def versions(server: ServerProcess, n: int = 20) -> list[str]:
    """The data version each of n requests was answered from (every one must be answered)."""
    out = []
    for _ in range(n):
        r = requests.get(server.url + "/healthz", timeout=30)
        assert r.status_code == 200, r.text
        out.append(r.json()["version"])
    return out


def children(server: ServerProcess) -> list[int]:
    pid = server.process.pid
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def kill_one_and_wait_for_its_replacement(server: ServerProcess) -> None:
    old = children(server)
    os.kill(old[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = children(server)
        if len(now) == len(old) and old[0] not in now:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no replacement: {children(server)} after {old}")
    time.sleep(3)  # the replacement loads its data; requests meanwhile reach the other process or wait for it


def change_a_label(settings: Settings) -> None:
    path = settings.data_dir / "economy.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"Jinpu New District GDP, 2021"@en', '"Jinpu New District GDP (2021)"@en'))


def test_a_build_for_another_base_or_of_changed_data_never_reaches_a_running_server(server, project) -> None:
    (first,) = set(versions(server))
    build(replace(project, base_iri=OTHER_BASE))
    kill_one_and_wait_for_its_replacement(server)
    assert set(versions(server)) == {first}  # not refused: the replacement serves the snapshot, not build/
    change_a_label(project)
    build(project)
    kill_one_and_wait_for_its_replacement(server)
    assert set(versions(server)) == {first}  # one version, never two side by side
    assert server.alive()


def test_sighup_switches_every_process_and_refuses_a_build_of_another_base(server, project) -> None:
    (first,) = set(versions(server))
    build(replace(project, base_iri=OTHER_BASE))
    server.process.send_signal(signal.SIGHUP)
    time.sleep(5)
    assert set(versions(server)) == {first}  # refused: the old processes go on
    change_a_label(project)
    build(project)
    server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 90
    seen = {first}
    while first in seen and time.monotonic() < deadline:  # the old processes stop once the new ones are ready
        time.sleep(1)
        seen = set(versions(server))
    (second,) = seen
    assert second != first
    assert set(versions(server, 40)) == {second}  # every process switched
    assert len(children(server)) == 2 and server.alive()
    assert "Jinpu New District GDP (2021)" in requests.get(server.url + "/page/obs-gdp-2021?lang=en", timeout=30).text
