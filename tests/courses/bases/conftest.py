"""Factories for sites and bases: built through the services, committed, like the courses factories."""
from datetime import timedelta

import pytest

from courses.bases import services
from learning_app.extensions import db
from tests.conftest import PASSWORD
from tests.courses.bases.helpers import NOW


@pytest.fixture
def make_base(app):
    """make_base(manager, org, name=None, capacity=50, **fields) -> Base, registered by the manager."""
    counter = iter(range(1, 10_000))

    def factory(manager, org, name=None, capacity=50, **fields):
        base = services.register_base(manager, org, name=name or f"教育基地{next(counter)}", capacity=capacity,
                                      **fields)
        db.session.commit()
        return base
    return factory


@pytest.fixture
def make_session(app):
    """make_session(base, manager, invited=[org], now=NOW, starts_in=-10 min, duration=2 h, capacity=50,
    course=None, hours=2, walk_ins=True) -> BaseSession scheduled around `now` (by default it started ten
    minutes ago). It accepts walk-ins unless told otherwise, so that tests of codes and credit need no
    sign-up; the sessions the staff schedule do not (tests/courses/bases/test_bases_walk_ins.py)."""
    def factory(base, manager, invited, now=NOW, starts_in=timedelta(minutes=-10), duration=timedelta(hours=2),
                capacity=50, course=None, hours=2, topic="学习贯彻党的二十大精神", walk_ins=True):
        starts_at = now + starts_in
        session = services.schedule_session(manager, base, topic, starts_at, starts_at + duration, hours,
                                            capacity, list(invited), course, accepts_walk_ins=walk_ins)
        db.session.commit()
        return session
    return factory


@pytest.fixture
def make_site(app):
    """make_site(supervisor, org, name=None, staff=()) -> Site, opened by the supervisor with staff appointed."""
    def factory(supervisor, org, name=None, staff=(), welcome=""):
        site = services.create_site(supervisor, org, name or f"{org.name}学习站", welcome)
        for user in staff:
            services.appoint_staff(supervisor, site, user)
        db.session.commit()
        return site
    return factory


@pytest.fixture
def world(tree, make_user):
    """Supervisors of general branch A (the base manager) and B; members in A1, A2 and B1."""
    return {
        **tree,
        "manager": make_user(tree["a1"], supervises=tree["general_a"], real_name="甲总支督学"),
        "other_supervisor": make_user(tree["b1"], supervises=tree["general_b"], real_name="乙总支督学"),
        "member_a1": make_user(tree["a1"], real_name="甲一党员"),
        "member_a1_bis": make_user(tree["a1"], real_name="甲一党员二"),
        "member_a2": make_user(tree["a2"], real_name="甲二党员"),
        "member_b1": make_user(tree["b1"], real_name="乙一党员"),
    }


@pytest.fixture
def login(app):
    """login(user) -> a client of its own, signed in as the user."""
    def do(user):
        client = app.test_client()
        response = client.post("/auth/login", data={"login_id": user.login_id, "password": PASSWORD})
        assert response.status_code == 302 and response.location == "/"
        return client
    return do
