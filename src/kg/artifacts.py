"""The build folder as a read-only thing: its file names, the manifest, the base IRI and content hash, the dumps.

The one reader of build/ (the build writes it; everything else reads it through here). A server pins the build it
serves as a snapshot (pin_snapshot), so that a build written meanwhile never changes what it serves. The content
hash is the data version everywhere: the manifest records it, the embedded store answers it, `kg load` records it
in a remote store, and caches and ETags are keyed on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

DATASET = "dataset.nq"
MANIFEST = "manifest.json"
SOURCE = "source.txt"
VALIDATION_TEXT = "validation.txt"


@dataclass(frozen=True)
class Artifact:
    """One file of the build that is offered for download."""

    name: str
    media_type: str
    title_en: str
    title_zh: str

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


# The build's files, in the order the downloads page lists them.
DOWNLOADS: dict[str, Artifact] = {
    a.name: a
    for a in (
        Artifact("dataset.ttl", "text/turtle", "Whole dataset, Turtle", "整个数据集，Turtle"),
        Artifact("dataset.nt", "application/n-triples", "Whole dataset, N-Triples", "整个数据集，N-Triples"),
        Artifact(
            "dataset.jsonld",
            "application/ld+json",
            "Whole dataset, JSON-LD (named graphs kept)",
            "整个数据集，JSON-LD（保留命名图）",
        ),
        Artifact(
            "dataset.trig",
            "application/trig",
            "Whole dataset, TriG (named graphs kept)",
            "整个数据集，TriG（保留命名图）",
        ),
        Artifact(
            DATASET,
            "application/n-quads",
            "Whole dataset, N-Quads (named graphs kept)",
            "整个数据集，N-Quads（保留命名图）",
        ),
        Artifact("ontology.ttl", "text/turtle", "Ontology, Turtle", "本体，Turtle"),
        Artifact("shapes.ttl", "text/turtle", "SHACL shapes, Turtle", "SHACL 约束，Turtle"),
        Artifact("void.ttl", "text/turtle", "VoID description, Turtle", "VoID 数据集描述，Turtle"),
        Artifact("catalog.ttl", "text/turtle", "DCAT catalogue record, Turtle", "DCAT 数据目录记录，Turtle"),
        Artifact("validation.ttl", "text/turtle", "Validation report, Turtle", "校验报告，Turtle"),
        Artifact(VALIDATION_TEXT, "text/plain", "Validation report, text", "校验报告，纯文本"),
        Artifact(MANIFEST, "application/json", "Build manifest", "构建清单"),
        Artifact(SOURCE, "text/plain", "Source text of the report", "报道原文文本"),
    )
}
# The dumps of the whole dataset, by extension.
DUMP_EXTENSIONS = ("ttl", "nt", "jsonld", "trig", "nq")


class ArtifactError(Exception):
    """The build folder is missing, incomplete or unreadable."""


def read_quads(data: bytes | Path, graph_iris: Iterable[str]) -> dict[str, list[ox.Quad]]:
    """N-Quads by graph (only the given graphs may occur), each graph's quads sorted: the form that is hashed."""
    quads: dict[str, set[ox.Quad]] = {g: set() for g in graph_iris}
    source = data.read_bytes() if isinstance(data, Path) else data
    try:
        for quad in ox.parse(source, format=ox.RdfFormat.N_QUADS):
            graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else None
            if graph not in quads:
                raise ArtifactError(f"{DATASET} has a triple outside the dataset's graphs: {quad}")
            if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
                raise ArtifactError(f"quoted triples cannot be loaded: {quad}")
            quads[graph].add(quad)
    except SyntaxError as exc:
        raise ArtifactError(f"{DATASET} cannot be parsed: {exc}") from None
    return {graph: sorted(q, key=str) for graph, q in quads.items()}


def content_hash(ordered: dict[str, list[ox.Quad]]) -> str:
    """The data version: a SHA-256 over every quad, graph by graph in the given order, each graph sorted."""
    digest = hashlib.sha256()
    for graph_quads in ordered.values():
        for quad in graph_quads:
            digest.update(str(quad).encode("utf-8") + b"\n")
    return "sha256:" + digest.hexdigest()


@contextlib.contextmanager
def build_lock(build_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the build folder's lock (a file beside it): exclusive while building, so that two builds of one
    checkout cannot interleave; shared while reading the build, so that a reader never sees two builds' files."""
    build_dir = Path(build_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(build_dir.parent / f".{build_dir.name}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class BuildArtifacts:
    """The files of one build folder."""

    def __init__(self, build_dir: Path):
        self.dir = Path(build_dir)

    def path(self, name: str) -> Path:
        return self.dir / name

    def exists(self, name: str = DATASET) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int | None:
        path = self.path(name)
        return path.stat().st_size if path.is_file() else None

    def manifest(self) -> dict:
        """The manifest; {} when there is none or it cannot be read."""
        try:
            return json.loads(self.path(MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def require_manifest(self) -> dict:
        """The manifest, or ArtifactError saying why there is none."""
        if not self.exists(MANIFEST) or not self.exists(DATASET):
            raise ArtifactError(f"no build in {self.dir}: run `kg build` first")
        manifest = self.manifest()
        if not manifest:
            raise ArtifactError(f"{self.path(MANIFEST)} cannot be read: run `kg build` again")
        return manifest

    @property
    def base_iri(self) -> str | None:
        return self.manifest().get("base_iri")

    @property
    def content_hash(self) -> str:
        return str(self.manifest().get("content_hash") or "")

    def consistent_snapshot(self, base_iri: str, graph_iris: Iterable[str]) -> tuple[bytes, str]:
        """The dataset and its content hash, read under the shared build lock and checked: built for `base_iri`,
        hashing to what the manifest records, not empty. ArtifactError, with a one-line reason, otherwise."""
        with build_lock(self.dir, shared=True):
            manifest = self.require_manifest()
            data = self.dataset_bytes()
        built_for = manifest.get("base_iri")
        if built_for != base_iri:
            raise ArtifactError(
                f"the build in {self.dir} is for the base {built_for}, not {base_iri}: "
                f"run `kg build` with this base (or serve without --no-build)"
            )
        ordered = read_quads(data, graph_iris)
        if not any(ordered.values()):
            raise ArtifactError(f"the build in {self.dir} holds no triples: run `kg build` again")
        found = content_hash(ordered)
        recorded = manifest.get("content_hash")
        if recorded and recorded != found:
            raise ArtifactError(
                f"{self.path(DATASET)} does not match its manifest (content hash {found}, the "
                f"manifest says {recorded}): run `kg build` again"
            )
        return data, found

    def dataset_bytes(self) -> bytes:
        try:
            return self.path(DATASET).read_bytes()
        except OSError as exc:
            raise ArtifactError(f"cannot read {self.path(DATASET)}: {exc.strerror}") from None

    def text(self, name: str) -> str | None:
        """A text file of the build; None when it is not there."""
        try:
            return self.path(name).read_text(encoding="utf-8")
        except OSError:
            return None


def source_files(settings) -> list[Path]:
    """Every input whose change makes the build stale: ontology, data, shapes and the source text."""
    files = sorted(settings.ontology_dir.glob("*.ttl")) + sorted(settings.data_dir.rglob("*.ttl"))
    files += sorted(settings.shapes_dir.glob("*.ttl")) + [settings.source_file]
    return files


def source_hashes(settings) -> dict[str, str]:
    """SHA-256 of each input, by its path in the project (what the manifest records)."""
    return {
        str(p.relative_to(settings.root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in source_files(settings)
    }


def is_stale(settings) -> bool:
    """True when build/ is missing, was built for another base, or any source changed since."""
    recorded = BuildArtifacts(settings.build_dir).manifest()
    if not recorded:
        return True
    return recorded.get("base_iri") != settings.base_iri or recorded.get("sources") != source_hashes(settings)


class Snapshot:
    """One build's files in a folder of their own, named by the build's content hash, that no build writes into:
    what a server serves from its start until it is told to switch, whatever is built into build/ meanwhile. The
    server holds a shared lock on it while it may serve from it; pinning a snapshot removes those nobody holds."""

    def __init__(self, path: Path, handle):
        self.path = path
        self._handle = handle

    @property
    def content_hash(self) -> str:
        return "sha256:" + self.path.name

    def release(self) -> None:
        self._handle.close()


def snapshot_root(build_dir: Path) -> Path:
    """Where the snapshots of a build folder live: beside it, never inside (a build replaces the folder whole)."""
    build_dir = Path(build_dir)
    return build_dir.parent / f".{build_dir.name}.snapshots"


def pin_snapshot(build_dir: Path, base_iri: str) -> Snapshot:
    """Pin the build now in build_dir: its files linked (or copied) into its snapshot folder, held until release.
    ArtifactError when there is no build, or one for another base."""
    build_dir = Path(build_dir)
    root = snapshot_root(build_dir)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+b") as root_lock:  # one pin or prune at a time, across servers
        fcntl.flock(root_lock, fcntl.LOCK_EX)
        with build_lock(build_dir, shared=True):
            manifest = BuildArtifacts(build_dir).require_manifest()
            if manifest.get("base_iri") != base_iri:
                raise ArtifactError(
                    f"the build in {build_dir} is for the base {manifest.get('base_iri')}, not {base_iri}: "
                    "run `kg build` with this base (or serve without --no-build)"
                )
            digest = str(manifest.get("content_hash") or "").removeprefix("sha256:")
            if not digest:
                raise ArtifactError(f"{build_dir / MANIFEST} records no content hash: run `kg build` again")
            path = root / digest
            if not path.is_dir():
                _copy_build(build_dir, path)
        handle = open(path / ".pinned", "a+b")  # held open for as long as the server may serve it
        fcntl.flock(handle, fcntl.LOCK_SH)
        _prune(root, keep=path)
    return Snapshot(path, handle)


def _copy_build(build_dir: Path, path: Path) -> None:
    """The build's files into a new folder at path, hard-linked where the file system allows (no space is used)."""
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=path.parent))
    for source in build_dir.iterdir():
        if source.is_file():
            try:
                os.link(source, tmp / source.name)
            except OSError:
                shutil.copy2(source, tmp / source.name)
    os.chmod(tmp, 0o755)
    os.rename(tmp, path)


def _prune(root: Path, keep: Path) -> None:
    """Remove the snapshots (and unfinished copies) that no server holds."""
    for other in root.iterdir():
        if other == keep or not other.is_dir():
            continue
        with open(other / ".pinned", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(other, ignore_errors=True)
