"""A real Virtuoso server for the tests and the benchmarks: `virtuoso-t -f` with an ini of its own (ports, database
folder, limits), never the system service."""

from __future__ import annotations

import random
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import requests

from kg.config import Settings
from kg.testing import STORE_NICENESS, STORE_TIMEOUT_S

LOADER = "kg_loader"
# Virtuoso's own per-query limits: a little above the app's, and more rows than any answer the app reads.
RESULT_SET_MAX_ROWS = 1_000_000

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = .
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
TransactionAfterImageLimit = 2000000000
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
MaxClientConnections = 10
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 1

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = {timeout}
MaxQueryExecutionTime = {timeout}
"""


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports below the ephemeral range. Virtuoso binds its ports seconds after start (once
    its database is ready): a port from the ephemeral range may be taken by then by some client's connection."""
    ports: list[int] = []
    rng = random.Random()
    while len(ports) < n:
        port = rng.randrange(20000, 32000)
        if port in ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


def virtuoso_command() -> str | None:
    return shutil.which("virtuoso-t")


class PortTaken(RuntimeError):
    """Virtuoso could not listen on a chosen port."""


class VirtuosoServer:
    """One `virtuoso-t -f` process with its own ini; can be killed and started again on the same ports and files."""

    def __init__(self, folder: Path, timeout_s: int = STORE_TIMEOUT_S, buffers: int = 10_000):
        """`timeout_s`: Virtuoso's own limit on a request, queries and updates alike (a switch must fit in it).
        `buffers`: its page cache, in 8 KB pages (10,000, Virtuoso's default: 80 MB, enough for the tests' data)."""
        self.folder = folder
        self.buffers = buffers
        self.db = folder / "db"
        self.db.mkdir(parents=True, exist_ok=True)
        self.timeout_s = timeout_s
        self.ini = folder / "virtuoso.ini"
        self._choose_ports()
        self.log = folder / "virtuoso-t.log"
        self.process: subprocess.Popen | None = None
        self.user = LOADER
        self.password = secrets.token_urlsafe(12)
        self._dba_password = "dba"  # a new database's; replaced at the first start

    def _choose_ports(self) -> None:
        self.http_port, self.sql_port = free_ports(2)
        self.ini.write_text(
            INI.format(
                db=self.db,
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=RESULT_SET_MAX_ROWS,
                timeout=self.timeout_s,
                buffers=self.buffers,
                dirty_buffers=self.buffers * 3 // 5,
            ),
            encoding="utf-8",
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return self.base + "/sparql"

    def start(self, timeout: float = 60.0) -> VirtuosoServer:
        for attempt in range(3):
            try:
                return self._start(timeout)
            except PortTaken:
                if self._dba_password != "dba" or attempt == 2:
                    raise  # a server that ran before keeps its ports: its clients know them
                self._choose_ports()
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> VirtuosoServer:
        command = virtuoso_command()
        if command is None:
            raise RuntimeError("Virtuoso is not installed (apt-get install virtuoso-opensource)")
        first = self._dba_password == "dba"  # the accounts are not set up yet
        with open(self.log, "ab") as log:
            nice = ["nice", "-n", str(STORE_NICENESS)] if shutil.which("nice") else []
            self.process = subprocess.Popen(
                [*nice, command, "-f", "-c", str(self.ini)],
                cwd=self.db,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                self.process = None
                if "Address already in use" in tail:
                    raise PortTaken(tail)
                raise RuntimeError(f"virtuoso-t exited: {tail}")
            try:
                if requests.post(self.query_url, data={"query": "ASK {}"}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"virtuoso-t did not answer on port {self.http_port} within {timeout}s")
        if first:
            self._accounts()
        return self

    def isql(self, *statements: str) -> str:
        """Run SQL statements as the database administrator (isql-vt on the SQL port)."""
        isql = shutil.which("isql-vt") or shutil.which("isql")
        script = "\n".join(s.rstrip(";") + ";" for s in statements) + "\n"
        done = subprocess.run(
            [isql, f"127.0.0.1:{self.sql_port}", "dba", self._dba_password],
            input=script,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed: {done.stdout[-1500:]} {done.stderr[-1500:]}")
        return done.stdout

    def _accounts(self) -> None:
        """A loader account that may update every graph; anonymous /sparql reads only; a secret dba password."""
        dba = secrets.token_urlsafe(12)
        self.isql(
            f"DB.DBA.USER_CREATE('{self.user}', '{self.password}')",
            f'GRANT SPARQL_UPDATE TO "{self.user}"',
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{self.user}', 3)",
            "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 1)",
            f"USER_CHANGE_PASSWORD('dba', 'dba', '{dba}')",
        )
        self._dba_password = dba

    def kill(self) -> None:
        """Stop the server at once, as a crash would (SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None
        (self.db / "virtuoso.lck").unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        (self.db / "virtuoso.lck").unlink(missing_ok=True)

    def settings(self, base: Settings, **overrides) -> Settings:
        """The given settings pointed at this server, with the loader's credentials."""
        return replace(base, store=self.query_url, store_user=self.user, store_password=self.password, **overrides)

    def read_settings(self, base: Settings, **overrides) -> Settings:
        """The given settings pointed at this server, without credentials (as the app is served)."""
        return replace(base, store=self.query_url, **overrides)
