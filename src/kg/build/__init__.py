"""Building the graph: load ontology and data, check quotes, validate with SHACL, infer OWL 2 RL, write build/.

Data flows one way: source text -> Turtle facts -> this build -> build/ (read through kg.artifacts by the store).

    sources.py  parse the Turtle and the shapes, anchor passages in the report text
    checks.py   written numbers, figures in their quotes, SHACL
    infer.py    OWL 2 RL (owlrl), on what rules can act on
    cube.py     the W3C Data Cube integrity constraints on the figures (queries/*.rq, *.ru)
    output.py   the dumps, VoID, the manifest, an atomic swap into build/
"""

from __future__ import annotations

import time

from rdflib import Graph

from kg.artifacts import build_lock, is_stale, source_hashes
from kg.build import cube
from kg.build.checks import figure_problems, parse_written_number, validate
from kg.build.infer import _trivial, infer
from kg.build.model import BuildError, BuildResult, Sources
from kg.build.output import write
from kg.build.sources import enrich_passages, load_shapes, load_sources, quote_figures, read_source_text
from kg.config import Settings

__all__ = [
    "BuildError",
    "BuildResult",
    "Sources",
    "build",
    "enrich_passages",
    "figure_problems",
    "infer",
    "is_stale",
    "load_shapes",
    "load_sources",
    "parse_written_number",
    "read_source_text",
    "run",
    "validate",
    "write",
    "_trivial",
]


def run(settings: Settings) -> BuildResult:
    """Load, check, validate and infer. Does not write anything."""
    timings = {}
    t0 = time.perf_counter()
    sources = load_sources(settings)
    shapes = load_shapes(settings)
    text = read_source_text(settings)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    problems = enrich_passages(sources.data, text, settings)
    quote_figures(sources.data, text, settings)
    problems += figure_problems(sources.data, text, settings)
    conforms, report_graph, report_text = validate(sources.ontology, sources.data, shapes)
    timings["validate"] = time.perf_counter() - t
    if problems:
        conforms = False
        report_text = "Source checks:\n" + "\n".join(f"  - {p}" for p in problems) + "\n\n" + report_text

    inferred = Graph()
    if conforms:
        t = time.perf_counter()
        inferred = infer(sources.ontology, sources.data)
        timings["infer"] = time.perf_counter() - t
    t = time.perf_counter()
    integrity = cube.check(sources.ontology + sources.data + inferred)
    timings["cube"] = time.perf_counter() - t
    if cube.problems(integrity):
        conforms = False
        report_text = (
            "Data Cube checks:\n" + "\n".join(f"  - {p}" for p in cube.problems(integrity)) + "\n\n" + report_text
        )
    report_text += "\n" + cube.report(integrity)
    return BuildResult(sources.ontology, sources.data, inferred, conforms, report_text, report_graph, timings)


def build(settings: Settings) -> BuildResult:
    """The whole build. Raises BuildError (and writes nothing) when the sources do not validate. Holds the build
    folder's lock throughout: a second build of the same folder waits for this one, and readers never see half."""
    with build_lock(settings.build_dir):
        result = run(settings)
        if not result.conforms:
            raise BuildError(result.report_text)
        t = time.perf_counter()
        write(result, source_hashes(settings), settings)
        precompress(settings.build_dir)
        result.timings["write"] = time.perf_counter() - t
    return result


def precompress(build_dir) -> None:
    """A .gz beside each downloadable file, made once here so that the server sends dumps compressed for free."""
    import gzip
    import os

    from kg.artifacts import DOWNLOADS

    for name in DOWNLOADS:
        path = build_dir / name
        if not path.is_file():
            continue
        packed = path.with_name(name + ".gz")
        tmp = path.with_name(f".{name}.gz.tmp")
        tmp.write_bytes(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
        os.replace(tmp, packed)
