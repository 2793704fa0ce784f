"""Audience sets (",full,activist,"): the Python and SQL readings of courses.models' helpers agree."""
import pytest
from sqlalchemy import literal, select

from courses.models import decode_set, encode_set, in_set, set_contains, set_matches, set_pattern
from learning_app.extensions import db
from learning_app.models import MemberCategory, PositionLevel, User

STORED = ["", ",full,", ",activist,full,", ",probationary,", ",cadre,secretary,"]
VALUES = ["full", "activist", "probationary", "secretary", "member"]


def test_encode_sorts_deduplicates_and_accepts_enum_members():
    assert encode_set([MemberCategory.PROBATIONARY, "full", "full"]) == ",full,probationary,"


def test_nothing_chosen_is_the_empty_set_meaning_everyone():
    assert encode_set([]) == encode_set(None) == ""
    assert in_set("", "anything")


@pytest.mark.parametrize("values", [[], ["full"], ["activist", "full", "probationary"]])
def test_decode_reverses_encode(values):
    assert decode_set(encode_set(values)) == sorted(values)


def test_in_set_matches_whole_values_only():
    assert in_set(",probationary,", MemberCategory.PROBATIONARY)
    assert not in_set(",probationary,", "prob")


@pytest.mark.parametrize("stored", STORED)
def test_sql_agrees_with_in_set_for_python_values(app, stored):
    for value in VALUES:
        expected = in_set(stored, value)
        assert bool(db.session.scalar(select(set_contains(literal(stored), value)))) is expected, value
        assert bool(db.session.scalar(select(set_matches(literal(stored), set_pattern(value))))) is expected, value


@pytest.mark.parametrize("stored", STORED)
def test_sql_agrees_with_in_set_for_sql_values(app, stored):
    for value in VALUES:
        found = db.session.scalar(select(set_contains(literal(stored), literal(value))))
        assert bool(found) is in_set(stored, value), value


def test_sql_reads_an_enum_column_as_its_stored_value(app, make_user):
    member = make_user(category=MemberCategory.ACTIVIST, position=PositionLevel.SECRETARY)
    for stored in STORED:
        found = db.session.scalar(select(User.id).where(User.id == member.id,
                                                        set_contains(literal(stored), User.category),
                                                        set_contains(literal(stored + ",secretary,"), User.position)))
        assert (found == member.id) is in_set(stored, "activist"), stored
