"""The `kg` command: build, validate, stats, load, serve, mcp."""

from __future__ import annotations

import argparse
import sys
import time

from kg import build as kgbuild
from kg.artifacts import is_stale
from kg.config import load_settings
from kg.server import add_arguments as add_server_arguments


def _settings(args):
    return load_settings(base_iri=getattr(args, "base_iri", None))


def cmd_build(args) -> int:
    settings = _settings(args)
    t = time.perf_counter()
    try:
        result = kgbuild.build(settings)
    except kgbuild.BuildError as exc:
        print(f"build failed; the last good build in {settings.build_dir} is untouched.\n\n{exc}", file=sys.stderr)
        return 1
    total = time.perf_counter() - t
    print(f"build conforms to the shapes; wrote {settings.build_dir}")
    print(
        f"  triples: ontology {len(result.ontology)}, asserted {len(result.asserted)}, inferred {len(result.inferred)}"
    )
    print("  timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()) + f", total {total:.2f}s")
    return 0


def cmd_validate(args) -> int:
    settings = _settings(args)
    try:
        result = kgbuild.run(settings)
    except kgbuild.BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    if result.conforms:
        print("data conforms to the shapes; every quote occurs in the source and every value in its quote")
        return 0
    print(result.report_text, file=sys.stderr)
    return 1


def cmd_stats(args) -> int:
    from kg.build.stats import class_counts

    settings = _settings(args)
    if is_stale(settings):
        print("build is missing or stale: run `kg build` first", file=sys.stderr)
        return 1
    rows = class_counts(settings)
    width = max((len(label) for label, _, _ in rows), default=10)
    for label, iri, count in rows:
        print(f"{label:<{width}}  {count:>6}  {iri}")
    return 0


def cmd_load(args) -> int:
    import json

    from kg.store.loader import LoadError, load

    settings = load_settings(base_iri=args.base_iri, store=args.store, store_gsp=args.gsp, store_update=args.update)
    if settings.store == "embedded":
        print("kg load needs a remote store: --store URL (or KG_STORE), its SPARQL query URL", file=sys.stderr)
        return 2
    try:
        report = load(
            settings,
            force=args.force,
            timeout=args.timeout,
            progress=None if args.json else (lambda message: print(message, file=sys.stderr)),
        )
    except (LoadError, ValueError) as exc:
        print(f"kg load: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.text())
    return 0


def cmd_serve(args) -> int:
    from kg.server import run

    return run(args)


def cmd_mcp(args) -> int:
    """Serve the MCP server over stdin/stdout (kg.mcp_server); stdout carries only the protocol."""
    import contextlib

    from kg.app import create_app
    from kg.mcp_server import serve_stdio
    from kg.server import ensure_build

    settings = load_settings(base_iri=getattr(args, "base_iri", None), store=args.store)
    with contextlib.redirect_stdout(sys.stderr):
        if settings.store == "embedded" and not args.no_build:
            ensure_build(settings)
        app = create_app(settings)
    serve_stdio(app)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kg", description="Jinpu KG: build, validate and serve the knowledge graph.")
    parser.add_argument("--base-iri", help="dataset IRI base (env KG_BASE_IRI)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="validate, infer and write build/").set_defaults(func=cmd_build)
    sub.add_parser("validate", help="run SHACL validation and source checks only").set_defaults(func=cmd_validate)
    sub.add_parser("stats", help="print instance counts per class of the current build").set_defaults(func=cmd_stats)
    loader = sub.add_parser("load", help="push the build to a remote SPARQL store (staged, verified, switched at once)")
    loader.add_argument("--store", help="SPARQL 1.1 query URL of the store (env KG_STORE)")
    loader.add_argument("--gsp", help="its Graph Store Protocol URL, or 'none' (env KG_STORE_GSP)")
    loader.add_argument("--update", help="its SPARQL 1.1 Update URL (env KG_STORE_UPDATE)")
    loader.add_argument("--force", action="store_true", help="load even if the store already holds this build")
    loader.add_argument("--timeout", type=float, default=600.0, help="seconds each request may take (default 600)")
    loader.add_argument("--json", action="store_true", help="print the report as JSON")
    loader.set_defaults(func=cmd_load)
    server = sub.add_parser("serve", help="serve the pages and the SPARQL endpoint (builds first if needed)")
    add_server_arguments(server).set_defaults(func=cmd_serve)
    mcp = sub.add_parser("mcp", help="serve the MCP server for assistants over stdio (docs/assistants.md)")
    mcp.add_argument("--store", help="'embedded' or a remote SPARQL query URL (env KG_STORE)")
    mcp.add_argument("--no-build", action="store_true", help="serve the build as it is, even if stale")
    mcp.set_defaults(func=cmd_mcp)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
