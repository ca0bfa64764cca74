"""The production server: the Flask app behind the asyncio front end of kg.frontend (uvicorn), in forked server
processes (one per CPU core, at most MAX_PROCESSES) sharing one listening socket, on the built dataset, built first
if missing or stale. `python server.py --help` lists the flags; each has a KG_* variable.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time

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


def _web_process(settings: Settings, sock: socket.socket, processes: int) -> None:
    """One server process (forked): the app, its query workers, the front end on the shared socket."""
    from kg.app import create_app
    from kg.artifacts import ArtifactError
    from kg.frontend import Front, serve_process
    from kg.store.base import ExecutionError

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        app = create_app(settings)  # the embedded store checks the build: base IRI, content hash, not empty
    except (ArtifactError, ExecutionError) as exc:
        raise SystemExit(f"kg: cannot serve: {getattr(exc, 'message', None) or exc}") from None
    service = app.extensions["kg_sparql"]
    service.web_processes = processes
    service.start()  # query workers now, not on the first query
    try:
        serve_process(Front(app, settings), settings, sock)
    finally:
        service.close()


def serve(settings: Settings, processes: int | None = None) -> None:
    """Serve until stopped: `processes` forked server processes on one listening socket, each restarted if it dies.
    SIGTERM or SIGINT stops them (each finishes the requests in flight)."""
    # Imported once here: the forked server processes inherit the modules instead of each importing them.
    import a2wsgi  # noqa: F401
    import uvicorn  # noqa: F401

    import kg.app
    import kg.frontend
    import kg.sparql
    import kg.web  # noqa: F401

    if settings.store == "embedded":  # said once here; every server process checks the build again as it loads it
        built_for = BuildArtifacts(settings.build_dir).base_iri
        if built_for != settings.base_iri:
            raise SystemExit(
                f"kg: cannot serve: the build in {settings.build_dir} is for the base {built_for}, not "
                f"{settings.base_iri}: run `kg build` with this base"
            )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    processes = processes or default_processes()
    limit = raise_open_files()
    sock = listen(settings)
    log.info(
        "serving http://%s:%d/ with %d server processes (open-file limit %d)",
        settings.host,
        settings.port,
        processes,
        limit,
    )
    children: dict[int, float] = {}
    stopping = False

    def fork() -> None:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _web_process(settings, sock, processes)
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    print(
                        exc.code if isinstance(exc.code, str) else f"kg: exit {exc.code}", file=sys.stderr, flush=True
                    )
                    code = STARTUP_REFUSED
            except BaseException:  # noqa: BLE001 - log it; the parent decides whether to restart
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children[pid] = time.monotonic()

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM if signum == signal.SIGTERM else signal.SIGINT)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        fork()
    refused = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        if stopping:
            continue
        if code == STARTUP_REFUSED:  # a consistent start is impossible: stop everything
            refused = True
            stop(signal.SIGTERM, None)
            continue
        log.warning("server process %d exited with %s; starting another", pid, code)
        if time.monotonic() - started < 2.0:
            time.sleep(1.0)
        fork()
    sock.close()
    if refused:
        raise SystemExit(1)


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
