"""Consistent backups while the app is serving: the database and the uploaded files.

SQLite uses its online backup API (a consistent snapshot even while others write);
PostgreSQL uses pg_dump (a consistent snapshot by MVCC). Uploads are files that never
change once written, so copying them after the database snapshot loses nothing the
snapshot refers to.
"""
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url


def backup(database_url: str, upload_dir: str, target: Path) -> Path:
    """Write database + uploads + manifest into a new folder under `target`; return it."""
    folder = target / f"backup-{datetime.now():%Y%m%d-%H%M%S-%f}"
    folder.mkdir(parents=True)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_snapshot(url.database, folder / "database.sqlite")
        kind = "sqlite"
    elif url.get_backend_name() == "postgresql":
        _pg_dump(url, folder / "database.dump")
        kind = "postgresql"
    else:
        raise ValueError(f"cannot back up a {url.get_backend_name()} database")
    uploads = Path(upload_dir)
    if uploads.is_dir():
        shutil.copytree(uploads, folder / "uploads", ignore=shutil.ignore_patterns("tmp"))
    (folder / "manifest.json").write_text(json.dumps({
        "created": datetime.now().isoformat(timespec="seconds"), "database": kind,
        "files": sum(1 for p in (folder / "uploads").rglob("*") if p.is_file()) if uploads.is_dir() else 0,
    }, ensure_ascii=False, indent=2))
    return folder


def _sqlite_snapshot(source: str, destination: Path) -> None:
    if not source or source == ":memory:":
        raise ValueError("an in-memory database cannot be backed up")
    with sqlite3.connect(source) as live, sqlite3.connect(destination) as copy:
        live.backup(copy, pages=1024)


def _pg_dump(url, destination: Path) -> None:
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}",
               f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}",
               f"--username={url.username or 'postgres'}", url.database]
    env = {"PGPASSWORD": url.password} if url.password else None
    subprocess.run(command, check=True, env={**os.environ, **env} if env else None)
