"""Copy the W3C SPARQL 1.1 query tests this project runs out of a checkout of w3c/rdf-tests (README.md here).

    python tests/vendor/w3c-sparql11/refresh.py <rdf-tests checkout>

For each directory below: its manifest.ttl and the query files its tests name (mf:action, or the action's
qt:query), unchanged; data and result files are not used and not copied. Update and federation tests are left out.
The checkout needs sparql/sparql11, LICENSE.md and rdf/rdf11/rdf-turtle/LICENSE (a sparse checkout will do).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
HERE = Path(__file__).resolve().parent
# The query language's syntax and evaluation tests (sparql/sparql11/manifest-sparql11-query.ttl and -results.ttl).
DIRECTORIES = (
    "aggregates",
    "bind",
    "bindings",
    "cast",
    "construct",
    "csv-tsv-res",
    "exists",
    "functions",
    "grouping",
    "json-res",
    "negation",
    "project-expression",
    "property-path",
    "subquery",
    "syntax-query",
)


def query_files(manifest: Path) -> list[Path]:
    """The query files the manifest's tests name."""
    graph = Graph().parse(manifest, format="turtle")
    entries = graph.value(next(graph.subjects(RDF.type, MF.Manifest)), MF.entries)
    files = []
    for test in Collection(graph, entries):
        action = graph.value(test, MF.action)
        query = action if isinstance(action, URIRef) else graph.value(action, QT.query)
        files.append(Path(query.removeprefix("file://")))
    return sorted(set(files))


def main(checkout: Path) -> None:
    source = checkout / "sparql" / "sparql11"
    for name in DIRECTORIES:
        target = HERE / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        shutil.copyfile(source / name / "manifest.ttl", target / "manifest.ttl")
        for path in query_files(source / name / "manifest.ttl"):
            if path.parent != source / name:
                raise SystemExit(f"{path}: not beside its manifest (this script copies one folder per manifest)")
            shutil.copyfile(path, target / path.name)
    shutil.copyfile(checkout / "LICENSE.md", HERE / "LICENSE.md")
    # The licences LICENSE.md points to, as the repository itself reproduces them (in full) for the Turtle tests.
    shutil.copyfile(checkout / "rdf" / "rdf11" / "rdf-turtle" / "LICENSE", HERE / "LICENSES-FOR-W3C-TEST-SUITES.txt")
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    )
    print(f"copied from commit {commit.stdout.strip()}: write it in README.md")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
