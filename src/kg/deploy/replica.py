"""One replica of the app: a `python server.py` process group on its own port, its readiness, its end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import PROJECT_ROOT

SERVER_SCRIPT = PROJECT_ROOT / "server.py"


class DeployError(RuntimeError):
    """A deployment step that did not work out (a replica that never got ready, a balancer that did not start)."""


def _wait_exit(process: subprocess.Popen, timeout: float) -> bool:
    try:
        process.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return None


@dataclass
class Replica:
    """One `python server.py` process group: the replica's gunicorn master, its web processes, its query workers."""

    name: str
    port: int
    folder: Path
    env: Mapping[str, str] = field(default_factory=dict)
    flags: Sequence[str] = ()
    host: str = "127.0.0.1"
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return self.folder / f"{self.name}.pid"

    def start(self) -> Replica:
        command = [
            sys.executable,
            str(SERVER_SCRIPT),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--no-build",
            *self.flags,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # its own group: killed or stopped as one
        self.pid_path.write_text(f"{self.process.pid}\n")
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        return http_status(self.url + "/healthz") == 200

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until /healthz answers 200; DeployError (with the reason /healthz gives) if it exits or time runs out."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.alive():
                raise DeployError(f"replica {self.name} exited with {self.process.returncode}:\n{self.log()[-2000:]}")
            if time.monotonic() > deadline:
                raise DeployError(
                    f"replica {self.name} on port {self.port} is not ready after {timeout:g} s: {self.health_reason()}"
                )
            time.sleep(0.1)

    def health_reason(self) -> str:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                return resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.read().decode(errors="replace")
        except (OSError, urllib.error.URLError) as exc:
            return f"no answer ({exc})"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM: the server stops accepting and finishes its in-flight requests; SIGKILL to the group if it hangs."""
        if self.alive():
            self.process.terminate()
            if not _wait_exit(self.process, timeout):
                self.kill()
        self._reap()

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash of the machine would."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            try:  # a group member left behind by a master that exited (never expected; never left running)
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.pid_path.unlink(missing_ok=True)
