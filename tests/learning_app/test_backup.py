"""`flask backup` writes a snapshot that restores into a new instance with every record and file."""
import os
import shutil

import pytest
from sqlalchemy import func, select

from courses.models import StoredFile
from learning_app import create_app
from learning_app.extensions import db
from learning_app.models import Organization, User

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="the restore test uses SQLite files; pg_dump is covered by the README")


def test_backup_restores_into_a_new_instance(tmp_path):
    live = tmp_path / "live"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{live / 'db.sqlite'}",
                     UPLOAD_DIR=str(live / "uploads"))
    live.mkdir()
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        counts = {model: db.session.scalar(select(func.count()).select_from(model))
                  for model in (User, Organization, StoredFile)}
        result = app.test_cli_runner().invoke(args=["backup", "--to", str(tmp_path / "backups")])
        assert result.exit_code == 0, result.output
        db.engine.dispose()
    folder = next((tmp_path / "backups").iterdir())
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(folder / "database.sqlite", restored / "db.sqlite")
    shutil.copytree(folder / "uploads", restored / "uploads")
    new = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{restored / 'db.sqlite'}",
                     UPLOAD_DIR=str(restored / "uploads"))
    with new.app_context():
        for model, count in counts.items():
            assert db.session.scalar(select(func.count()).select_from(model)) == count
        stored = db.session.scalar(select(StoredFile).limit(1))
        client = new.test_client()
        client.post("/auth/login", data={"login_id": "author", "password": "Author@2026"})
        assert client.get(f"/courses/files/{stored.id}").status_code == 200
        db.engine.dispose()
