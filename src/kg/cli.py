"""The `kg` command: build, validate, stats (and load, serve)."""

from __future__ import annotations

import argparse
import sys
import time

from kg import build as kgbuild
from kg.config import load_settings


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
    print(f"  triples: ontology {len(result.ontology)}, asserted {len(result.asserted)}, inferred {len(result.inferred)}")
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
    from kg.stats import class_counts

    settings = _settings(args)
    if kgbuild.is_stale(settings):
        print("build is missing or stale: run `kg build` first", file=sys.stderr)
        return 1
    rows = class_counts(settings)
    width = max((len(label) for label, _, _ in rows), default=10)
    for label, iri, count in rows:
        print(f"{label:<{width}}  {count:>6}  {iri}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kg", description="Jinpu KG: build, validate and serve the knowledge graph.")
    parser.add_argument("--base-iri", help="dataset IRI base (env KG_BASE_IRI)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="validate, infer and write build/").set_defaults(func=cmd_build)
    sub.add_parser("validate", help="run SHACL validation and source checks only").set_defaults(func=cmd_validate)
    sub.add_parser("stats", help="print instance counts per class of the current build").set_defaults(func=cmd_stats)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
