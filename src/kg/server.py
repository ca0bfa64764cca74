"""The production server: the Flask app under gunicorn (threaded workers, one per CPU core up to MAX_PROCESSES), on the
built dataset, built first if missing or stale. `python server.py --help` lists the flags; each has a KG_* variable.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kg.artifacts import BuildArtifacts, is_stale
from kg.config import Settings, load_settings

log = logging.getLogger("kg.server")
MAX_PROCESSES = 4


def default_processes() -> int:
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
                      MAX_PROCESSES))


def ensure_build(settings: Settings) -> None:
    """Build if the build is missing or older than its sources; keep serving the last good build if that fails."""
    if not is_stale(settings):
        return
    from kg import build as kgbuild  # the build's libraries (owlrl, pyshacl) only when there is something to build

    exists = BuildArtifacts(settings.build_dir).exists()
    print(f"kg: {'rebuilding stale' if exists else 'building missing'} build in {settings.build_dir}",
          file=sys.stderr, flush=True)
    try:
        kgbuild.build(settings)
    except kgbuild.BuildError as exc:
        if not exists:
            raise SystemExit(f"kg: the build failed and there is no earlier build to serve:\n{exc}") from None
        print(f"kg: the build failed; serving the last good build instead:\n{exc}", file=sys.stderr, flush=True)


def gunicorn_options(settings: Settings, processes: int) -> dict:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host

    def post_worker_init(worker) -> None:
        worker.wsgi.extensions["kg_sparql"].start()  # query workers now, not on the first query

    def worker_exit(server, worker) -> None:
        service = getattr(getattr(worker, "wsgi", None), "extensions", {}).get("kg_sparql")
        if service is not None:
            service.close()

    options = {
        "bind": f"{host}:{settings.port}",
        "workers": processes,
        "worker_class": "gthread",
        "threads": settings.threads,
        "timeout": max(30, int(settings.timeout * 3) + 10),  # gunicorn's own watchdog, beyond any query
        "graceful_timeout": 5,
        "keepalive": 5,
        "limit_request_line": 0,  # the endpoint applies its own limit (max_query_bytes, 413) to GET queries
        "limit_request_field_size": 16384,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "jinpu-kg",
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
    }
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        options["control_socket_disable"] = True  # one shared socket path per user would clash between servers
    if Path("/dev/shm").is_dir():
        options["worker_tmp_dir"] = "/dev/shm"  # heartbeat files off the disk
    return options


def serve(settings: Settings, processes: int | None = None) -> None:
    """Serve until stopped (SIGINT / SIGTERM)."""
    from gunicorn.app.base import BaseApplication

    # Imported once here: the forked web processes inherit the modules instead of each importing them.
    import kg.app
    import kg.sparql
    import kg.web  # noqa: F401

    processes = processes or default_processes()

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings, processes).items():
                self.cfg.set(key, value)

        def load(self):
            from kg.app import create_app

            app = create_app(settings)
            app.extensions["kg_sparql"].web_processes = processes
            return app

    Server().run()


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The serving flags, shared by `kg serve` and `python server.py`."""
    parser.add_argument("--host", help="address to bind (env KG_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (env KG_PORT, default 8000)")
    # SUPPRESS: under `kg`, a --base-iri given before `serve` is not reset by this one's default
    parser.add_argument("--base-iri", default=argparse.SUPPRESS, help="dataset IRI base (env KG_BASE_IRI)")
    parser.add_argument("--timeout", type=float, help="seconds a SPARQL query may run (env KG_TIMEOUT, default 10)")
    parser.add_argument("--store", help="'embedded' or a remote SPARQL query URL (env KG_STORE)")
    parser.add_argument("--processes", type=int, help=f"server processes (default: one per core, at most "
                                                       f"{MAX_PROCESSES})")
    parser.add_argument("--no-build", action="store_true", help="serve the build as it is, even if stale")
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings(host=args.host, port=args.port, base_iri=getattr(args, "base_iri", None),
                             timeout=args.timeout,
                             store=args.store)
    if settings.store == "embedded" and not args.no_build:
        ensure_build(settings)
    if settings.store == "embedded" and not BuildArtifacts(settings.build_dir).exists():
        raise SystemExit(f"kg: no build in {settings.build_dir}: run `kg build` first")
    serve(settings, args.processes)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="server.py", description="Serve Jinpu KG (pages and the SPARQL endpoint /sparql) under gunicorn.")
    return run(add_arguments(parser).parse_args(argv))
