"""N replicas of the app behind HAProxy, on one machine: start, roll out, stop.

A replica is `python server.py --no-build` (the same flags as `kg serve`) in a process group of its own; the balancer
is `haproxy -db` with a configuration rendered from deploy/haproxy.cfg.template. Both run in the foreground with
their configuration, pid files and logs in one run folder, and are driven only by flags, signals and HTTP:

- readiness is the replica's GET /healthz, which HAProxy checks itself (a replica is routed to only once it is 200);
- a replica is replaced (a new build, or a restart) without dropping a request: the new one is started on a new
  port and must be ready (200 from /healthz, then HAProxy's own checks) before it gets traffic, in a spare server
  slot; the old one's slot is then put in maintenance, so the balancer sends it nothing new; once its in-flight
  requests are done it gets SIGTERM (gunicorn finishes what it has) and its slot becomes the spare.
  The balancer is told through its runtime API (a unix socket in the run folder).

`python deploy/run.py --help` is the command line; the README's "Deploying" section has the layout on several machines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg.config import PROJECT_ROOT, load_settings

TEMPLATE = PROJECT_ROOT / "deploy" / "haproxy.cfg.template"
SERVER_SCRIPT = PROJECT_ROOT / "server.py"
BACKEND = "replicas"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
DEFAULTS = {
    "maxconn": 1000,  # client connections the balancer accepts at once
    "server_maxconn": 16,  # requests one replica is given at once; more wait in the balancer's queue
    "server_timeout": 40,
    "cache_mb": 64,
}


class DeployError(RuntimeError):
    """A deployment step that did not work out (a replica that never got ready, a balancer that did not start)."""


# --- the configuration


def render(servers: Sequence[tuple[str, str, int, bool]], *, bind: str, admin_socket: Path | str,
           template: str | None = None, **values) -> str:
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


# --- processes


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
        command = [sys.executable, str(SERVER_SCRIPT), "--host", self.host, "--port", str(self.port), "--no-build",
                   *self.flags]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **self.env}, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)  # its own group: killed or stopped as one
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
                raise DeployError(f"replica {self.name} on port {self.port} is not ready after {timeout:g} s: "
                                  f"{self.health_reason()}")
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
            self.process = subprocess.Popen([command, "-db", "-f", str(self.config_path)], stdout=out, stderr=err,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
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
                raise DeployError(f"server {server} is not {what} after {timeout:g} s: {row['status']}, "
                                  f"last check {row.get('check_status')} {row.get('check_code')}")
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


# --- the deployment


@dataclass
class Slot:
    """A server line of the balancer and the replica behind it (None: the spare slot, in maintenance)."""

    server: str
    replica: Replica | None = None


class Deployment:
    """N replicas behind one balancer, plus one spare server slot through which replicas are replaced."""

    def __init__(self, folder: Path, replicas: int, *, port: int, replica_ports: Sequence[int] | None = None,
                 env: Mapping[str, str] | None = None, flags: Sequence[str] = (), host: str = "127.0.0.1",
                 ready_timeout: float = 90.0, **balancer_values):
        if replicas < 1:
            raise ValueError("at least one replica")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.env, self.flags = dict(env or {}), tuple(flags)
        self.ready_timeout = ready_timeout
        self.balancer = Balancer(folder, port, host, **balancer_values)
        self.slots = [Slot(f"r{i}") for i in range(1, replicas + 2)]  # the last one starts as the spare
        self._ports = list(replica_ports or [])
        self._count = 0
        self.replicas_wanted = replicas

    def _next_port(self) -> int:
        if self._ports:
            return self._ports.pop(0)
        with socket.socket() as s:  # a free port, chosen by the OS
            s.bind((self.host, 0))
            return s.getsockname()[1]

    def new_replica(self, env: Mapping[str, str] | None = None, flags: Sequence[str] | None = None) -> Replica:
        self._count += 1
        return Replica(f"replica-{self._count}", self._next_port(), self.folder, {**self.env, **(env or {})},
                       self.flags if flags is None else tuple(flags), self.host)

    @property
    def replicas(self) -> list[Replica]:
        return [slot.replica for slot in self.slots if slot.replica is not None]

    @property
    def url(self) -> str:
        return self.balancer.url

    def start(self) -> Deployment:
        """Start the replicas, wait until every one is ready, then start the balancer and wait until it routes."""
        try:
            for slot in self.slots[: self.replicas_wanted]:
                slot.replica = self.new_replica().start()
            for replica in self.replicas:
                replica.wait_ready(self.ready_timeout)
            servers = [(s.server, self.host, s.replica.port if s.replica else 1, s.replica is not None)
                       for s in self.slots]
            self.balancer.start(servers)
            for slot in self.slots:
                if slot.replica is not None:
                    self.balancer.wait_for(slot.server, lambda row: row["status"] == "UP", self.ready_timeout, "UP")
        except BaseException:
            self.stop()
            raise
        return self

    def replace(self, slot: Slot, env: Mapping[str, str] | None = None, flags: Sequence[str] | None = None, *,
                new: Replica | None = None, ready_timeout: float | None = None,
                drain_timeout: float = 60.0) -> Replica:
        """Replace one slot's replica by a new one (the current build, or the env/flags given, or a replica `new`
        already started), dropping no request.

        A new replica that does not become ready is stopped, the old one keeps serving, and DeployError says why; the
        balancer never routes to it."""
        spare = next(s for s in self.slots if s.replica is None)
        new = new or self.new_replica(env, flags).start()
        try:
            new.wait_ready(self.ready_timeout if ready_timeout is None else ready_timeout)
            self.balancer.enable(spare.server, new.host, new.port, self.ready_timeout)
        except BaseException:
            self.balancer.disable(spare.server)
            new.stop()
            raise
        spare.replica = new
        old, slot.replica = slot.replica, None
        self.balancer.disable(slot.server)
        if old is not None:
            self.balancer.wait_for(slot.server, lambda row: row["scur"] in ("", "0"), drain_timeout, "drained")
            old.stop()
        return new

    def roll(self, env: Mapping[str, str] | None = None, flags: Sequence[str] | None = None) -> list[Replica]:
        """Replace every replica in turn (a new build: new env or the rebuilt build folder; or a restart)."""
        if env is not None:
            self.env = {**self.env, **env}
        if flags is not None:
            self.flags = tuple(flags)
        return [self.replace(slot) for slot in [s for s in self.slots if s.replica is not None]]

    def stop(self) -> None:
        """Balancer first (no new requests), then every replica with SIGTERM."""
        self.balancer.stop()
        for slot in self.slots:
            if slot.replica is not None:
                slot.replica.stop()


# --- the command line (deploy/run.py)


def parse_server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"HOST:PORT expected, not {text!r}")
    return host.strip("[]"), int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploy/run.py",
        description="Start N replicas of Jinpu KG behind HAProxy on this machine, in the foreground (Ctrl-C or SIGTERM "
                    "stops all; SIGHUP replaces every replica in turn, e.g. after `kg build`, dropping no request). "
                    "`render` prints the balancer configuration for replicas on other machines instead.")
    parser.add_argument("--replicas", type=int, default=2, help="number of app replicas (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="address of the balancer and the replicas (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="the balancer's port (default 8080)")
    parser.add_argument("--replica-port", type=int, default=None,
                        help="first replica port (default: free ports chosen by the OS)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="run folder for the configuration, pid files and logs (default: a new temporary one)")
    parser.add_argument("--processes", type=int, default=1, help="server processes per replica (default 1)")
    parser.add_argument("--no-build", action="store_true", help="serve the build as it is, even if stale")
    parser.add_argument("--server-maxconn", type=int, default=DEFAULTS["server_maxconn"],
                        help="requests one replica is given at once (default %(default)s)")
    parser.add_argument("--maxconn", type=int, default=DEFAULTS["maxconn"],
                        help="client connections the balancer accepts at once (default %(default)s)")
    parser.add_argument("command", nargs="?", choices=["run", "render"], default="run")
    parser.add_argument("--server", type=parse_server, action="append", default=[],
                        help="render: a replica HOST:PORT (repeat for each)")
    args = parser.parse_args(argv)
    values = {"maxconn": args.maxconn, "server_maxconn": args.server_maxconn}

    if args.command == "render":
        if not args.server:
            parser.error("render needs at least one --server HOST:PORT")
        servers = [(f"r{i}", host, port, True) for i, (host, port) in enumerate(args.server, 1)]
        servers.append((f"r{len(servers) + 1}", servers[0][1], 1, False))  # the spare slot
        bind = f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
        sys.stdout.write(render(servers, bind=bind, admin_socket="/run/haproxy/admin.sock", **values))
        return 0

    settings = load_settings()
    if settings.store == "embedded" and not args.no_build:
        from kg.server import ensure_build

        ensure_build(settings)  # once, before the replicas start (each runs with --no-build)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="kg-deploy-"))
    ports = list(range(args.replica_port, args.replica_port + 2 * args.replicas + 2)) if args.replica_port else None
    deployment = Deployment(folder, args.replicas, port=args.port, replica_ports=ports, host=args.host,
                            flags=["--processes", str(args.processes)], **values)
    rolls = []

    def on_signal(signum, frame) -> None:
        if signum == signal.SIGHUP:
            rolls.append(signum)
        else:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        deployment.start()
        print(json.dumps({"url": deployment.url, "folder": str(folder), "pid": os.getpid(),
                          "replicas": [r.url for r in deployment.replicas]}), flush=True)
        print(f"serving on {deployment.url} ({args.replicas} replicas, logs in {folder}); "
              f"SIGHUP rolls every replica, Ctrl-C stops", file=sys.stderr, flush=True)
        while True:
            if rolls:
                rolls.clear()
                try:
                    new = deployment.roll()
                    print(f"rolled: now {', '.join(r.url for r in new)}", file=sys.stderr, flush=True)
                except DeployError as exc:
                    print(f"roll stopped, the replicas that were serving still are: {exc}", file=sys.stderr,
                          flush=True)
            for replica in deployment.replicas:
                if not replica.alive():  # a crashed replica is replaced (the balancer routes around it meanwhile)
                    print(f"{replica.name} exited with {replica.process.returncode}; replacing it", file=sys.stderr,
                          flush=True)
                    try:
                        deployment.replace(next(s for s in deployment.slots if s.replica is replica))
                    except DeployError as exc:
                        print(f"could not replace it: {exc}", file=sys.stderr, flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    finally:
        deployment.stop()
    return 0
