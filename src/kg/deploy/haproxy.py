"""The balancer: HAProxy on a configuration rendered from deploy/haproxy.cfg.template, driven through its
runtime API (servers in and out of rotation without a reload)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from kg.config import PROJECT_ROOT
from kg.deploy.replica import DeployError, _wait_exit

TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"


BACKEND = "replicas"


PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


DEFAULTS = {
    "maxconn": 1000,  # client connections the balancer accepts at once
    "server_maxconn": 16,  # requests one replica is given at once; more wait in the balancer's queue
    "server_timeout": 40,
    "cache_mb": 64,
}


def render(
    servers: Sequence[tuple[str, str, int, bool]],
    *,
    bind: str,
    admin_socket: Path | str,
    template: str | None = None,
    **values,
) -> str:
    """The balancer's configuration: servers are (name, host, port, enabled); values fill the other placeholders."""
    text = TEMPLATE.read_text(encoding="utf-8") if template is None else template
    lines = []
    for name, host, port, enabled in servers:
        address = f"[{host}]" if ":" in host else host
        lines.append(f"    server {name} {address}:{port}" + ("" if enabled else " disabled"))
    filled = {**DEFAULTS, **values, "bind": bind, "admin_socket": str(admin_socket), "servers": "\n".join(lines)}

    def fill(match: re.Match) -> str:
        if match.group(1) not in filled:
            raise KeyError(f"the balancer template names {match.group(0)}, which has no value")
        return str(filled[match.group(1)])

    return PLACEHOLDER.sub(fill, text)


def haproxy_command() -> str | None:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.access(p, os.X_OK)), None)


class Balancer:
    """`haproxy -db` on a rendered configuration, with its runtime API on a unix socket in the run folder."""

    def __init__(self, folder: Path, port: int, host: str = "127.0.0.1", **values):
        self.folder, self.port, self.host, self.values = folder, port, host, values
        self.config_path = folder / "haproxy.cfg"
        self.socket_path = folder / "haproxy.sock"
        self.pid_path = folder / "haproxy.pid"
        self.access_log = folder / "access.log"
        self.error_log = folder / "haproxy.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_config(self, servers: Sequence[tuple[str, str, int, bool]]) -> Path:
        bind = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        self.config_path.write_text(render(servers, bind=bind, admin_socket=self.socket_path, **self.values))
        return self.config_path

    def start(self, servers: Sequence[tuple[str, str, int, bool]], timeout: float = 15.0) -> Balancer:
        command = haproxy_command()
        if command is None:
            raise DeployError("haproxy is not installed (Debian: apt-get install haproxy)")
        self.write_config(servers)
        check = subprocess.run([command, "-c", "-q", "-f", str(self.config_path)], capture_output=True, text=True)
        if check.returncode != 0:
            raise DeployError(f"haproxy rejects {self.config_path}:\n{check.stdout}{check.stderr}")
        with open(self.access_log, "ab") as out, open(self.error_log, "ab") as err:
            self.process = subprocess.Popen(
                [command, "-db", "-f", str(self.config_path)],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self.process.pid}\n")
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise DeployError(f"haproxy exited with {self.process.returncode}:\n{self.error_log.read_text()}")
            try:
                self.command("show info")
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise DeployError(f"haproxy did not open {self.socket_path} within {timeout:g} s") from None
                time.sleep(0.05)

    def command(self, line: str) -> str:
        """One runtime API command; its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def _do(self, line: str) -> None:
        answer = self.command(line).strip()
        if answer and not answer.startswith(("IP changed", "no need to change", "port changed")):
            raise DeployError(f"haproxy refused `{line}`: {answer}")

    def servers(self) -> dict[str, dict[str, str]]:
        """The backend's servers as `show stat` gives them: status (UP, DOWN, MAINT ...), scur (in flight), stot ..."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(text.splitlines())
        return {row["svname"]: row for row in rows if row["pxname"] == BACKEND and row["svname"] != "BACKEND"}

    def status(self, server: str) -> str:
        return self.servers()[server]["status"]

    def wait_for(self, server: str, predicate, timeout: float, what: str) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            row = self.servers()[server]
            if predicate(row):
                return row
            if time.monotonic() > deadline:
                raise DeployError(
                    f"server {server} is not {what} after {timeout:g} s: {row['status']}, "
                    f"last check {row.get('check_status')} {row.get('check_code')}"
                )
            time.sleep(0.05)

    def point(self, server: str, host: str, port: int) -> None:
        """Point a server slot in maintenance at a replica, health-checked but given no request: in drain (no new
        requests), marked down, so that it is up only after `rise` passing checks of its own /healthz."""
        self._do(f"set server {BACKEND}/{server} addr {host} port {port}")
        self._do(f"set server {BACKEND}/{server} state drain")
        self._do(f"set server {BACKEND}/{server} health down")

    def ready(self, server: str) -> None:
        """Back in rotation (requests go to it while its health checks pass)."""
        self._do(f"set server {BACKEND}/{server} state ready")

    def enable(self, server: str, host: str, port: int, timeout: float = 90.0) -> None:
        """Point a slot at a replica and put it in rotation once the balancer's own checks found it ready."""
        self.point(server, host, port)
        self.wait_for(server, lambda row: row["status"] == "DRAIN", timeout, "up (and draining)")
        self.ready(server)
        self.wait_for(server, lambda row: row["status"] == "UP", timeout, "UP")

    def disable(self, server: str) -> None:
        """Maintenance: no new request goes to the server; those it has go on."""
        self._do(f"set server {BACKEND}/{server} state maint")

    def stop(self, timeout: float = 40.0) -> None:
        """Soft stop (SIGUSR1): no new connections, the requests in progress finish (hard-stop-after bounds it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGUSR1)
            if not _wait_exit(self.process, timeout):
                self.process.kill()
                self.process.wait(10)
        self.pid_path.unlink(missing_ok=True)
        self.socket_path.unlink(missing_ok=True)
