"""A throwaway local PostgreSQL server (initdb + pg_ctl) for tests and benchmarks."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl (PATH first, then /usr/lib/postgresql/*/bin)."""
    found = shutil.which("initdb")
    if found:
        bin_dir = Path(found).resolve().parent
        if all((bin_dir / n).exists() for n in ("pg_ctl", "createdb")):
            return bin_dir
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for c in candidates:
        if all((Path(c) / n).exists() for n in ("initdb", "pg_ctl", "createdb")):
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """Start with `start()` (returns a SQLAlchemy URL), stop with `stop()`; also a context manager."""

    def __init__(self, bin_dir: Path | None = None, fsync: bool = False, run_as: str = "postgres"):
        self.bin_dir = bin_dir or find_pg_bin()
        if self.bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.fsync = fsync
        self.run_as = run_as if os.geteuid() == 0 else None
        self.tmp: Path | None = None
        self.url: str | None = None

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        proc = subprocess.run(cmd, cwd=self.tmp, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}")

    def start(self, dbname: str = "glossa_test") -> str:
        """Create a cluster in a temporary directory, start it on a free port, create a database."""
        try:
            return self._start(dbname)
        except BaseException:
            self.stop()
            raise

    def _start(self, dbname: str) -> str:
        self.tmp = Path(tempfile.mkdtemp(prefix="glossa-pg-"))
        if self.run_as:
            shutil.chown(self.tmp, user=self.run_as, group=None)
        data, sock = self.tmp / "data", self.tmp / "sock"
        sock.mkdir()
        if self.run_as:
            shutil.chown(sock, user=self.run_as)
        port = _free_port()
        self._run("initdb", "-D", str(data), "-U", "glossa", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
        opts = f"-k {sock} -p {port} -c listen_addresses=127.0.0.1"
        if not self.fsync:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.tmp / "server.log"), "-w", "-t", "60", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "glossa", dbname)
        self.url = f"postgresql+psycopg://glossa@127.0.0.1:{port}/{dbname}"
        return self.url

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self.tmp is None:
            return
        try:
            if (self.tmp / "data" / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.tmp / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
