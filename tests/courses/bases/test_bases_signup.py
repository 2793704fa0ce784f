"""Sign-up for base sessions: never beyond capacity, once per member, concurrent sign-ups included."""
from datetime import timedelta

import pytest
from flask_babel import gettext
from sqlalchemy import select

from courses.bases import services
from courses.bases.models import BaseSession, SignUp
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from learning_app.models import User, utcnow
from tests.concurrency import on_postgres, run_at_once
from tests.courses.bases.helpers import NOW, count, refused_with


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"])


def seats_taken(session):
    db.session.expire_all()
    return db.session.get(BaseSession, session.id).seats_taken


def test_capacity_three_five_members_exactly_three_seats(world, base, make_session, make_user):
    session = make_session(base, world["manager"], invited=[world["general_a"]], capacity=3,
                           starts_in=timedelta(days=2))
    members = [make_user(world["a1"] if i % 2 else world["a2"]) for i in range(5)]
    outcomes = []
    for member in members:
        try:
            services.sign_up(member, session, now=NOW)
        except BaseRuleError as error:
            db.session.rollback()
            outcomes.append(str(error))
        else:
            db.session.commit()
            outcomes.append("ok")
    assert outcomes[:3] == ["ok"] * 3
    for message in outcomes[3:]:
        assert message == gettext("The session is full.")
    assert count(SignUp, SignUp.session_id == session.id) == 3
    assert seats_taken(session) == 3
    assert set(db.session.scalars(select(SignUp.user_id))) == {m.id for m in members[:3]}


def test_signing_up_twice_is_refused_without_taking_a_second_seat(world, base, make_session):
    session = make_session(base, world["manager"], invited=[world["general_a"]], capacity=5,
                           starts_in=timedelta(days=1))
    member = world["member_a1"]
    services.sign_up(member, session, now=NOW)
    db.session.commit()
    with pytest.raises(BaseRuleError) as error:
        services.sign_up(member, session, now=NOW)
    assert refused_with(error, "You have already signed up.")
    db.session.rollback()
    assert count(SignUp, SignUp.session_id == session.id) == 1
    assert seats_taken(session) == 1


def test_sign_up_refused_for_uninvited_members_and_after_the_end(world, base, make_session):
    session = make_session(base, world["manager"], invited=[world["a1"]], capacity=5)
    with pytest.raises(BaseRuleError) as error:
        services.sign_up(world["member_a2"], session, now=NOW)
    assert refused_with(error, "Your organisation is not invited to this session.")
    db.session.rollback()
    with pytest.raises(BaseRuleError) as error:
        services.sign_up(world["member_a1"], session, now=NOW + timedelta(hours=3))
    assert refused_with(error, "This session is over.")
    db.session.rollback()
    assert count(SignUp) == 0 and seats_taken(session) == 0


def test_session_capacity_is_capped_by_the_base(world, make_base, make_session):
    small = make_base(world["manager"], world["general_a"], capacity=2)
    session = make_session(small, world["manager"], invited=[world["general_a"]], capacity=40)
    assert session.capacity == 2


def test_sign_up_over_http(world, base, make_session, login, make_user):
    session = make_session(base, world["manager"], invited=[world["general_a"]], capacity=1, now=utcnow(),
                           starts_in=timedelta(days=1))
    first, second = world["member_a1"], world["member_a2"]
    for user in (first, second):
        response = login(user).post(f"/bases/sessions/{session.id}/sign-up")
        assert response.status_code == 302 and response.location.endswith(f"/bases/sessions/{session.id}")
    assert set(db.session.scalars(select(SignUp.user_id))) == {first.id}
    assert seats_taken(session) == 1
    # the list shows the session to invited members
    page = login(second).get("/bases/")
    assert page.status_code == 200 and session.topic in page.get_data(as_text=True)
    manager_page = login(world["manager"]).get(f"/bases/sessions/{session.id}").get_data(as_text=True)
    assert first.login_id in manager_page


@on_postgres
def test_concurrent_sign_ups_never_overbook(app, world, base, make_session, make_user):
    session = make_session(base, world["manager"], invited=[world["general_a"]], capacity=4,
                           starts_in=timedelta(days=1))
    member_ids = [make_user(world["a1"]).id for _ in range(10)]
    session_id = session.id

    def attempt(user_id):
        def work():
            target = db.session.get(BaseSession, session_id)
            try:
                services.sign_up(db.session.get(User, user_id), target, now=NOW)
            except BaseRuleError:
                db.session.rollback()
                return "full"
            return "ok"
        return work

    results = run_at_once(app, [attempt(user_id) for user_id in member_ids])
    assert sorted(results) == ["full"] * 6 + ["ok"] * 4
    assert count(SignUp, SignUp.session_id == session_id) == 4
    assert seats_taken(session) == 4
