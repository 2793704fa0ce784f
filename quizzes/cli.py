"""`flask --app learning_app import-questions FILE --bank NAME`."""
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from learning_app.extensions import db
from learning_app.models import Role, RoleGrant, User

from .importers import QuestionImportError, parse_questions
from .services import banks


@click.command("import-questions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_name", required=True, help="Name of the question bank (created if missing).")
@click.option("--owner", "owner_login", help="Login id of the bank's owner when it is created (default: an admin).")
@with_appcontext
def import_questions_command(file, bank_name, owner_login):
    """Import questions (.xlsx, .csv, .gift, Aiken .txt) as drafts: all of them, or none if one is bad."""
    try:
        with open(file, "rb") as source:
            parsed = parse_questions(source, file.name)
    except QuestionImportError as error:
        raise click.ClickException(str(error)) from None
    bank = banks.bank_by_name(bank_name)
    if bank is None:
        owner = _owner(owner_login)
        bank = banks.create_bank(owner, bank_name)
        click.echo(f"Created question bank “{bank_name}”.")
    questions = banks.import_parsed(None, bank, parsed, file.name)
    db.session.commit()
    click.echo(f"Imported {len(questions)} questions into “{bank.name}” as drafts awaiting review.")


def _owner(login_id):
    if login_id:
        user = db.session.scalar(select(User).where(func.lower(User.login_id) == login_id.lower()))
        if user is None:
            raise click.ClickException(f"No user {login_id}.")
        return user
    admin = db.session.scalar(select(User).join(RoleGrant).where(RoleGrant.role == Role.ADMIN).limit(1))
    if admin is None:
        raise click.ClickException("Give --owner LOGIN: there is no administrator to own the new bank.")
    return admin
