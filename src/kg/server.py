"""The production server: the Flask app behind the asyncio front end of kg.frontend (uvicorn), in forked server
processes (one per CPU core, at most MAX_PROCESSES) sharing one listening socket, on the built dataset, built first
if missing or stale. `python server.py --help` lists the flags; each has a KG_* variable.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import sys
import time
from dataclasses import replace

from kg.artifacts import BuildArtifacts, is_stale
from kg.config import Settings, load_settings

log = logging.getLogger("kg.server")
MAX_PROCESSES = 4
STARTUP_REFUSED = 3  # a server process's exit code when it must not serve (no consistent data)


def default_processes() -> int:
    return max(
        1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, MAX_PROCESSES)
    )


def ensure_build(settings: Settings) -> None:
    """Build if the build is missing or older than its sources; keep serving the last good build if that fails."""
    if not is_stale(settings):
        return
    from kg import build as kgbuild  # the build's libraries (owlrl, pyshacl) only when there is something to build

    exists = BuildArtifacts(settings.build_dir).exists()
    print(
        f"kg: {'rebuilding stale' if exists else 'building missing'} build in {settings.build_dir}",
        file=sys.stderr,
        flush=True,
    )
    try:
        kgbuild.build(settings)
    except kgbuild.BuildError as exc:
        if not exists:
            raise SystemExit(f"kg: the build failed and there is no earlier build to serve:\n{exc}") from None
        print(f"kg: the build failed; serving the last good build instead:\n{exc}", file=sys.stderr, flush=True)


def raise_open_files(wanted: int = 65536) -> int:
    """Raise the open-file limit (each open connection is a file) as far as the hard limit allows; the new limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
        except (ValueError, OSError):
            pass
    return soft


def listen(settings: Settings) -> socket.socket:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        raise SystemExit(f"kg: cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _web_process(settings: Settings, sock: socket.socket, processes: int, ready: int) -> None:
    """One server process (forked): the app, its query workers, the front end on the shared socket. It writes its
    pid to the `ready` pipe once it can answer, so that a switch stops the old processes only then."""
    from kg.app import create_app
    from kg.artifacts import ArtifactError
    from kg.frontend import Front, serve_process
    from kg.store.base import ExecutionError

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    try:
        app = create_app(settings)  # the embedded store checks the build: base IRI, content hash, not empty
    except (ArtifactError, ExecutionError) as exc:
        raise SystemExit(f"kg: cannot serve: {getattr(exc, 'message', None) or exc}") from None
    service = app.extensions["kg_sparql"]
    service.web_processes = processes
    service.start()  # query workers now, not on the first query
    os.write(ready, f"{os.getpid()}\n".encode())
    try:
        serve_process(Front(app, settings), settings, sock)
    finally:
        service.close()


def _child(settings: Settings, sock: socket.socket, processes: int, ready: int) -> None:
    """The body of a forked server process: serve, and exit with STARTUP_REFUSED when it must not serve."""
    code = 0
    try:
        _web_process(settings, sock, processes, ready)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(exc.code if isinstance(exc.code, str) else f"kg: exit {exc.code}", file=sys.stderr, flush=True)
            code = STARTUP_REFUSED
    except BaseException:  # noqa: BLE001 - log it; the supervisor decides whether to restart
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def pinned(settings: Settings, check: bool = False):
    """(settings of the server processes, their snapshot): on the snapshot of the build now in build/; the settings
    as they are and None when there is no build to pin (a remote store served without one). SystemExit with one
    line for a build of another base, or (`check`) whose dataset does not match its manifest."""
    from kg.artifacts import ArtifactError, pin_snapshot
    from kg.rdf.vocab import GRAPH_NAMES

    if not BuildArtifacts(settings.build_dir).exists():
        return settings, None
    try:
        snapshot = pin_snapshot(settings.build_dir, settings.base_iri)
        if check and settings.store == "embedded":  # what each new server process checks, checked before they start
            graphs = [settings.graph_iri(name) for name in GRAPH_NAMES]
            BuildArtifacts(snapshot.path).consistent_snapshot(settings.base_iri, graphs)
    except ArtifactError as exc:
        if settings.store != "embedded":  # the data is the store's; the pages' files are served as they are
            return settings, None
        raise SystemExit(f"kg: cannot serve: {exc}") from None
    return replace(settings, build_dir=snapshot.path), snapshot


class Supervisor:
    """The parent of the server processes: `processes` of them on one socket, each replaced if it dies, all serving
    one pinned snapshot of the build, whatever is built into build/ meanwhile. SIGHUP switches them all to the build
    now in build/: a new generation starts on its snapshot and the old one is stopped once every new process is
    ready (a build of another base is refused, and the old generation goes on). SIGTERM or SIGINT stops them all
    (each finishes the requests in flight)."""

    def __init__(self, settings: Settings, processes: int, sock: socket.socket):
        self.base_settings, self.processes, self.sock = settings, processes, sock
        self.settings, self.snapshot = pinned(settings)
        self.generation = 0
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (generation, start time)
        self.waiting: set[int] = set()  # processes of a new generation not ready yet
        self.stopping = self.refused = False
        self.ready_read, self.ready_write = os.pipe()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.switch)
        for _ in range(self.processes):
            self._fork()
        while self.children:
            if select.select([self.ready_read], [], [], 0.5)[0]:
                self._ready(os.read(self.ready_read, 65536).split())
            self._reap()
        self.sock.close()
        if self.refused:
            raise SystemExit(1)

    def stop(self, signum, _frame=None) -> None:
        self.stopping = True
        _signal(list(self.children), signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)

    def switch(self, _signum=None, _frame=None) -> None:
        if self.stopping or self.waiting:
            return
        try:
            settings, snapshot = pinned(self.base_settings, check=True)
        except SystemExit as exc:
            log.error("not switching: %s", exc.code)
            return
        if snapshot is None or (self.snapshot is not None and snapshot.path == self.snapshot.path):
            log.info("not switching: build/ holds the build being served")
            return
        log.info("switching to %s", snapshot.content_hash)
        if self.snapshot is not None:
            self.snapshot.release()  # the old processes hold it (inherited) until they exit
        self.settings, self.snapshot = settings, snapshot
        self.generation += 1
        self.waiting = {self._fork() for _ in range(self.processes)}

    def _fork(self) -> int:
        pid = os.fork()
        if pid == 0:
            _child(self.settings, self.sock, self.processes, self.ready_write)
        self.children[pid] = (self.generation, time.monotonic())
        return pid

    def _ready(self, pids: list[bytes]) -> None:
        """Server processes that can answer; once the whole new generation can, the old one is stopped."""
        if not self.waiting:
            return
        self.waiting -= {int(pid) for pid in pids}
        if not self.waiting:
            _signal([pid for pid, (gen, _) in self.children.items() if gen < self.generation], signal.SIGTERM)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self._exited(pid, os.waitstatus_to_exitcode(status))

    def _exited(self, pid: int, code: int) -> None:
        generation, started = self.children.pop(pid, (None, 0.0))
        if generation is None or self.stopping or generation < self.generation:
            return  # an old generation's process is not replaced
        if code == STARTUP_REFUSED:  # a consistent start is impossible: stop everything
            self.refused = True
            self.stop(signal.SIGTERM)
            return
        log.warning("server process %d exited with %s; starting another", pid, code)
        if time.monotonic() - started < 2.0:
            time.sleep(1.0)
        replaced = self._fork()
        if pid in self.waiting:
            self.waiting = (self.waiting - {pid}) | {replaced}


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def serve(settings: Settings, processes: int | None = None) -> None:
    """Serve until stopped: `processes` forked server processes on one listening socket (see Supervisor)."""
    # Imported once here: the forked server processes inherit the modules instead of each importing them.
    import a2wsgi  # noqa: F401
    import uvicorn  # noqa: F401

    import kg.app
    import kg.frontend
    import kg.mcp_server
    import kg.sparql
    import kg.web  # noqa: F401

    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    processes = processes or default_processes()
    limit = raise_open_files()
    sock = listen(settings)
    supervisor = Supervisor(settings, processes, sock)
    log.info(
        "serving http://%s:%d/ with %d server processes (open-file limit %d) on %s",
        settings.host,
        settings.port,
        processes,
        limit,
        supervisor.snapshot.content_hash if supervisor.snapshot else "the remote store",
    )
    supervisor.run()


def check_store_url(url: str) -> None:
    """A remote store's URL must be an http(s) URL with a host: one line and exit otherwise."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise SystemExit(
            f"kg: --store / KG_STORE must be 'embedded' or the http(s) URL of a SPARQL query endpoint, not {url!r}"
        )


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The serving flags, shared by `kg serve` and `python server.py`."""
    parser.add_argument("--host", help="address to bind (env KG_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env KG_PORT, default 8000)")
    # SUPPRESS: under `kg`, a --base-iri given before `serve` is not reset by this one's default
    parser.add_argument("--base-iri", default=argparse.SUPPRESS, help="dataset IRI base (env KG_BASE_IRI)")
    parser.add_argument("--timeout", type=float, help="seconds a SPARQL query may run (env KG_TIMEOUT, default 10)")
    parser.add_argument("--store", help="'embedded' or a remote SPARQL query URL (env KG_STORE)")
    parser.add_argument(
        "--processes", type=int, help=f"server processes (default: one per core, at most {MAX_PROCESSES})"
    )
    parser.add_argument("--no-build", action="store_true", help="serve the build as it is, even if stale")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings(
        host=args.host, port=args.port, base_iri=getattr(args, "base_iri", None), timeout=args.timeout, store=args.store
    )
    if settings.store == "embedded" and not args.no_build:
        ensure_build(settings)
    if settings.store == "embedded":
        if not BuildArtifacts(settings.build_dir).exists():
            raise SystemExit(f"kg: no build in {settings.build_dir}: run `kg build` first")
    else:
        check_store_url(settings.store)
    serve(settings, args.processes)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="server.py", description="Serve Jinpu KG (pages and the SPARQL endpoint /sparql)."
    )
    return run(add_arguments(parser).parse_args(argv))
