"""Settings in one typed object, read from the environment (KG_*) and overridable by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/jinpu-kg/"

# The project root holds ontology/, data/, shapes/ and build/ (src layout: src/kg/config.py -> root).
PROJECT_ROOT = Path(os.environ.get("KG_ROOT") or Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class Settings:
    """Everything the build, the store and the server can be told. Each field has an environment variable KG_<NAME>."""

    base_iri: str = DEFAULT_BASE_IRI
    root: Path = PROJECT_ROOT
    build_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "build")
    host: str = "127.0.0.1"
    port: int = 8000
    store: str = "embedded"  # "embedded" or the SPARQL query URL of a remote SPARQL 1.1 server
    # A remote store's other URLs; empty means derived from the query URL (Oxigraph's /query -> /update, /store;
    # Virtuoso's /sparql -> /sparql-auth, /sparql-graph-crud-auth).
    store_update: str = ""  # SPARQL 1.1 Update URL
    store_gsp: str = ""  # Graph Store Protocol URL; "none" loads through SPARQL Update instead
    store_user: str = ""  # HTTP credentials for the remote store
    store_auth: str = ""  # "basic" or "digest"; empty: digest for Virtuoso's layout (/sparql), basic otherwise
    store_password: str = field(default="", repr=False)  # never printed or logged
    store_connect_timeout: float = 3.0  # seconds to wait for the remote store to accept a connection
    timeout: float = 10.0  # seconds a query may run
    max_rows: int = 10000  # rows returned by a SELECT before the result is cut
    max_query_bytes: int = 65536  # size of a query (or form body) before 413
    workers: int = 2  # query worker processes
    threads: int = 8  # request threads of the WSGI server

    @property
    def ontology_dir(self) -> Path:
        return self.root / "ontology"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def shapes_dir(self) -> Path:
        return self.root / "shapes"

    @property
    def source_file(self) -> Path:
        return self.data_dir / "source" / "jinpu-2021-report.txt"

    # IRIs derived from the one base setting
    @property
    def def_ns(self) -> str:
        return self.base_iri + "def#"

    @property
    def id_ns(self) -> str:
        return self.base_iri + "id/"

    def graph_iri(self, name: str) -> str:
        """Named graph IRI: name is 'ontology', 'asserted' or 'inferred'."""
        return f"{self.base_iri}graph/{name}"

    def with_overrides(self, **overrides) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _coerce(kind, raw: str):
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    if kind in (Path, "Path"):
        return Path(raw)
    return raw


def load_settings(**overrides) -> Settings:
    """Defaults, then KG_* environment variables, then explicit overrides (CLI flags, test config)."""
    values = {}
    for f in fields(Settings):
        raw = os.environ.get("KG_" + f.name.upper())
        if raw not in (None, ""):
            try:
                values[f.name] = _coerce(f.type, raw)
            except ValueError as exc:
                raise SystemExit(f"KG_{f.name.upper()}={raw!r} is not a valid {f.type}: {exc}") from None
    settings = Settings(**values)
    if "root" in values and "build_dir" not in values:
        settings = replace(settings, build_dir=settings.root / "build")
    settings = settings.with_overrides(**overrides)
    if not settings.base_iri.endswith(("/", "#")):
        raise SystemExit(f"base IRI must end with '/' or '#': {settings.base_iri!r}")
    return settings
