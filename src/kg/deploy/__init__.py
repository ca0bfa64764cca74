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

`python deploy/run.py --help` is the command line; docs/deploying.md has the layout on several machines.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.config import load_settings
from kg.deploy.haproxy import BACKEND, DEFAULTS, TEMPLATE, Balancer, haproxy_command, render
from kg.deploy.replica import SERVER_SCRIPT, DeployError, Replica, http_status

__all__ = [
    "BACKEND",
    "DEFAULTS",
    "TEMPLATE",
    "Balancer",
    "DeployError",
    "Deployment",
    "Replica",
    "SERVER_SCRIPT",
    "Slot",
    "haproxy_command",
    "http_status",
    "main",
    "render",
]


@dataclass
class Slot:
    """A server line of the balancer and the replica behind it (None: the spare slot, in maintenance)."""

    server: str
    replica: Replica | None = None


class Deployment:
    """N replicas behind one balancer, plus one spare server slot through which replicas are replaced."""

    def __init__(
        self,
        folder: Path,
        replicas: int,
        *,
        port: int,
        replica_ports: Sequence[int] | None = None,
        env: Mapping[str, str] | None = None,
        flags: Sequence[str] = (),
        host: str = "127.0.0.1",
        ready_timeout: float = 90.0,
        **balancer_values,
    ):
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
        return Replica(
            f"replica-{self._count}",
            self._next_port(),
            self.folder,
            {**self.env, **(env or {})},
            self.flags if flags is None else tuple(flags),
            self.host,
        )

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
            servers = [
                (s.server, self.host, s.replica.port if s.replica else 1, s.replica is not None) for s in self.slots
            ]
            self.balancer.start(servers)
            for slot in self.slots:
                if slot.replica is not None:
                    self.balancer.wait_for(slot.server, lambda row: row["status"] == "UP", self.ready_timeout, "UP")
        except BaseException:
            self.stop()
            raise
        return self

    def replace(
        self,
        slot: Slot,
        env: Mapping[str, str] | None = None,
        flags: Sequence[str] | None = None,
        *,
        new: Replica | None = None,
        ready_timeout: float | None = None,
        drain_timeout: float = 60.0,
    ) -> Replica:
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


def parse_server(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"HOST:PORT expected, not {text!r}")
    return host.strip("[]"), int(port)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy/run.py",
        description="Start N replicas of Jinpu KG behind HAProxy on this machine, in the foreground (Ctrl-C or SIGTERM "
        "stops all; SIGHUP replaces every replica in turn, e.g. after `kg build`, dropping no request). "
        "`render` prints the balancer configuration for replicas on other machines instead.",
    )
    parser.add_argument("--replicas", type=int, default=2, help="number of app replicas (default 2)")
    parser.add_argument("--host", default="127.0.0.1", help="address of the balancer and the replicas (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="the balancer's port (default 8080)")
    parser.add_argument(
        "--replica-port", type=int, default=None, help="first replica port (default: free ports chosen by the OS)"
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="run folder for the configuration, pid files and logs (default: a new temporary one)",
    )
    parser.add_argument("--processes", type=int, default=1, help="server processes per replica (default 1)")
    parser.add_argument("--no-build", action="store_true", help="serve the build as it is, even if stale")
    parser.add_argument(
        "--server-maxconn",
        type=int,
        default=DEFAULTS["server_maxconn"],
        help="requests one replica is given at once (default %(default)s)",
    )
    parser.add_argument(
        "--maxconn",
        type=int,
        default=DEFAULTS["maxconn"],
        help="client connections the balancer accepts at once (default %(default)s)",
    )
    parser.add_argument("command", nargs="?", choices=["run", "render"], default="run")
    parser.add_argument(
        "--server", type=parse_server, action="append", default=[], help="render: a replica HOST:PORT (repeat for each)"
    )
    return parser


def _render(args: argparse.Namespace, values: dict) -> int:
    """The balancer's configuration for replicas on other machines, on standard output."""
    servers = [(f"r{i}", host, port, True) for i, (host, port) in enumerate(args.server, 1)]
    servers.append((f"r{len(servers) + 1}", servers[0][1], 1, False))  # the spare slot
    bind = f"[{args.host}]:{args.port}" if ":" in args.host else f"{args.host}:{args.port}"
    sys.stdout.write(render(servers, bind=bind, admin_socket="/run/haproxy/admin.sock", **values))
    return 0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _supervise(deployment: Deployment, rolls: list) -> None:
    """Until interrupted: roll every replica on SIGHUP, replace a replica that died."""
    while True:
        if rolls:
            rolls.clear()
            try:
                _say(f"rolled: now {', '.join(r.url for r in deployment.roll())}")
            except DeployError as exc:
                _say(f"roll stopped, the replicas that were serving still are: {exc}")
        for replica in deployment.replicas:
            if not replica.alive():  # a crashed replica is replaced (the balancer routes around it meanwhile)
                _say(f"{replica.name} exited with {replica.process.returncode}; replacing it")
                try:
                    deployment.replace(next(s for s in deployment.slots if s.replica is replica))
                except DeployError as exc:
                    _say(f"could not replace it: {exc}")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    values = {"maxconn": args.maxconn, "server_maxconn": args.server_maxconn}
    if args.command == "render":
        if not args.server:
            parser.error("render needs at least one --server HOST:PORT")
        return _render(args, values)
    settings = load_settings()
    if settings.store == "embedded" and not args.no_build:
        from kg.server import ensure_build

        ensure_build(settings)  # once, before the replicas start (each runs with --no-build)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="kg-deploy-"))
    ports = list(range(args.replica_port, args.replica_port + 2 * args.replicas + 2)) if args.replica_port else None
    deployment = Deployment(
        folder,
        args.replicas,
        port=args.port,
        replica_ports=ports,
        host=args.host,
        flags=["--processes", str(args.processes)],
        **values,
    )
    rolls: list = []

    def on_signal(signum, frame) -> None:
        if signum != signal.SIGHUP:
            raise KeyboardInterrupt
        rolls.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        deployment.start()
        info = {"url": deployment.url, "folder": str(folder), "pid": os.getpid()}
        print(json.dumps({**info, "replicas": [r.url for r in deployment.replicas]}), flush=True)
        _say(
            f"serving on {deployment.url} ({args.replicas} replicas, logs in {folder}); SIGHUP rolls every replica, "
            "Ctrl-C stops"
        )
        _supervise(deployment, rolls)
    except KeyboardInterrupt:
        pass
    except DeployError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    finally:
        deployment.stop()
    return 0
