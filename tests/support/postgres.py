"""A throw-away PostgreSQL cluster from Debian's `postgresql` package: initdb into a temp folder,
its own unix socket folder (no TCP port, no system service), stopped and deleted at the end.

initdb and postgres refuse to run as root, so as root they run as the package's `postgres`
user (the folder is handed to it). Each test gets a database of its own (`new_database`).

    python -m tests.support.postgres -- COMMAND…   runs COMMAND with ADAI_DATABASE_URL set to a
                                                   database of a fresh cluster (the whole suite:
                                                   `make test-postgresql`)
"""

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PORT = 5432  # only names the socket file inside our own folder; nothing listens on TCP
SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "300",  # a fleet test runs ~10 processes with a few connections each
    "shared_buffers": "32MB",
}
# Tests: a host crash loses nothing we keep, so no fsync. Benchmarks keep PostgreSQL's defaults.
NOT_DURABLE = {"fsync": "off", "full_page_writes": "off"}


BACKENDS = ["sqlite", "postgresql"]  # params of a module's `backend` fixture that tests both


class NoPostgres(RuntimeError):
    """Debian's postgresql package is not installed (make test installs it)."""


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise NoPostgres("PostgreSQL is not installed (Debian package `postgresql`; `make test` installs it)")
    return Path(found[-1]).parent


class Cluster:
    def __init__(self, root=None, durable=False):
        self.settings = SETTINGS if durable else {**SETTINGS, **NOT_DURABLE}
        self.bin = bin_dir()
        self.root = Path(root or tempfile.mkdtemp(prefix="adai-pg-"))
        self.data, self.sockets = self.root / "data", self.root / "run"
        self.user = None if os.geteuid() else "postgres"  # initdb will not run as root

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    def url(self, database) -> str:
        return f"postgresql://adai@/{database}?host={self.sockets}&port={PORT}"

    def _run(self, *args, check=True, timeout=60):
        command = [str(self.bin / args[0]), *map(str, args[1:])]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, timeout=timeout, capture_output=True, text=True)

    def start(self):
        self.sockets.mkdir(parents=True, exist_ok=True)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o755)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            os.chown(self.sockets, pw.pw_uid, pw.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", self.data, "-U", "adai", "-A", "trust", "-E", "UTF8", "--no-sync", timeout=120)
        options = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        self._run("pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-w", "-t", "60",
                  "-o", f"-k {self.sockets} -p {PORT} {options}", "start", timeout=90)
        return self

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False, timeout=90)

    def restart(self):
        self.stop()
        self.start()

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def new_database(self, prefix="t") -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Server:
    """A PostgreSQL server someone else runs (ADAI_DATABASE_URL names a database on it): tests
    make their databases beside that one."""

    def __init__(self, url):
        self.given = url

    def new_database(self, prefix="t") -> str:
        import psycopg
        from urllib.parse import urlsplit, urlunsplit

        name = f"{prefix}_{secrets.token_hex(6)}"
        with psycopg.connect(self.given, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(urlsplit(self.given)._replace(path="/" + name))


def main(argv) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    cluster = Cluster().start()
    try:
        url = cluster.new_database("suite")
        started = time.monotonic()
        code = subprocess.call(command, env={**os.environ, "ADAI_DATABASE_URL": url})
        print(f"(PostgreSQL {cluster.bin.parent.name}, throw-away cluster; {time.monotonic() - started:.0f} s)")
        return code
    finally:
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
