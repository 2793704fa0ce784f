"""Commands under `flask --app learning_app ...`."""
import os
import stat
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .extensions import db
from .messages.cli import deliver_messages_command, send_reminders_command
from .models import Role, User
from .transactions import committing_command


@click.command("create-admin")
@click.argument("login_id")
@click.option("--password", help="Leave out to be prompted.")
@click.option("--name", "real_name", default="管理员", show_default=True)
@with_appcontext
def create_admin_command(login_id, password, real_name):
    """Create an administrator account, or make an existing account an administrator."""
    from .auth.services import end_sign_ins
    from .people.services import create_account, grant_role
    from .security import hash_password
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.ClickException("The password must have at least 8 characters.")
    with committing_command():
        user = db.session.scalar(select(User).where(func.lower(User.login_id) == login_id.lower()))
        if user is None:
            user = create_account(None, login_id, real_name, password=password)
        else:
            user.password_hash, user.must_change_password = hash_password(password), False
            user.one_time_password_issued_at = None
            end_sign_ins(user)  # a new password: whoever used the old one is signed out
        if not user.has_role(Role.ADMIN):
            grant_role(None, user, Role.ADMIN)
    click.echo(f"Administrator {login_id} is ready.")


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--credentials", "credentials_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the new accounts' one-time passwords (CSV).")
@with_appcontext
def import_roster_command(file, credentials_path):
    """Import a roster (.xlsx or .csv): all rows or, if any is bad, none."""
    from flask import current_app

    from .people import roster
    from .spreadsheets import csv_bytes
    with committing_command(), open(file, "rb") as source:  # a file that cannot be read: printed, status 1
        rows, errors = roster.validate_file(source, file.name, current_app.config["ROSTER_MAX_ROWS"])
    if errors:
        for line, reason in errors:
            click.echo(f"row {line}: {reason}", err=True)
        more = " (checking stopped there)" if len(errors) >= roster.LISTED_ERRORS else ""
        raise click.ClickException(f"{len(errors)} bad rows{more}; nothing was imported.")
    with committing_command(), click.progressbar(length=len(rows), label="Importing") as bar:
        state = {"done": 0}

        def progress(done, total):
            bar.update(done - state["done"])
            state["done"] = done
        result = roster.apply_rows(None, rows, file.name, progress)
    click.echo(f"Created {result.created}, updated {result.updated}, unchanged {result.unchanged}.")
    if result.credentials:
        path = credentials_path or Path(f"one-time-passwords-{datetime.now():%Y%m%d-%H%M%S}.csv")
        path.write_bytes(csv_bytes(["登录号", "姓名", "一次性密码"], result.credentials))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        click.echo(f"One-time passwords of the new accounts: {path}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Build the demo organisation (idempotent) and print the demo logins."""
    from .demo import DEMO_ACCOUNTS, seed_demo
    with committing_command():
        created = seed_demo()
    click.echo("Demo organisation created." if created else "Demo organisation already present.")
    click.echo("Demo logins (login id / password):")
    for login_id, password, description in DEMO_ACCOUNTS:
        click.echo(f"  {login_id:<12} {password:<14} {description}")


@click.command("seed-demo-if-empty")
@with_appcontext
def seed_demo_if_empty_command():
    """Seed the demo only into a database without any account (used by `make run`)."""
    from .demo import DEMO_ACCOUNTS, seed_demo
    if db.session.scalar(select(func.count()).select_from(User)) == 0:
        with committing_command():
            seed_demo()
        click.echo("Demo organisation created.")
    click.echo("Demo logins (login id / password):")
    for login_id, password, description in DEMO_ACCOUNTS:
        click.echo(f"  {login_id:<12} {password:<14} {description}")


@click.command("backup")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path), default=Path("backups"),
              show_default=True, help="Folder that receives the new backup folder.")
@with_appcontext
def backup_command(target):
    """Back up the database and the uploaded files while the app keeps serving."""
    from flask import current_app

    from .backup import backup
    folder = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["UPLOAD_DIR"], target)
    click.echo(f"Backup written to {folder}")


def init_app(app):
    for command in (create_admin_command, import_roster_command, seed_demo_command, seed_demo_if_empty_command,
                    backup_command, deliver_messages_command, send_reminders_command):
        app.cli.add_command(command)
