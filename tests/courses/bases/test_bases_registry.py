"""Bases: registered by supervisors, sessions scheduled for their own subtrees, photos checked and served safely."""
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.bases import queries, services
from courses.bases.models import Base, BaseKind, BasePhoto, BaseSession
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from tests.courses.bases.helpers import NOW, audits, count, refused_with
from tests.courses.helpers import files_under, fixture_bytes


@pytest.fixture
def base(world, make_base):
    return make_base(world["manager"], world["general_a"], name="井冈山教育基地")


def aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- registering ----------------------------------------------------------------------------------

def test_only_supervisors_and_admins_register_bases_for_their_orgs(world, make_user):
    for actor, org in ((world["member_a1"], world["a1"]), (world["other_supervisor"], world["general_a"]),
                       (world["manager"], world["committee"]), (world["manager"], world["b1"]),
                       (make_user(world["a1"], roles=["reviewer", "author"]), world["a1"])):
        with pytest.raises(BaseRuleError) as error:
            services.register_base(actor, org, name="基地")
        assert refused_with(error, "You can register bases only for organisations you supervise.")
        db.session.rollback()
    assert count(Base) == 0

    services.register_base(world["manager"], world["a1"], name="支部基地", kind=BaseKind.PRACTICE)
    services.register_base(make_user(roles=["admin"]), world["b1"], name="管理员登记")
    db.session.commit()
    assert count(Base) == 2
    assert len(audits("base.register")) == 2


def test_registering_over_http(world, login):
    client = login(world["manager"])
    response = client.post("/bases/", data={"org_id": world["general_a"].id, "name": "延安培训基地",
                                            "kind": "training", "address": "延安市", "capacity": "80",
                                            "contact": "王老师", "description": "现场教学"})
    assert response.status_code == 302
    base = db.session.scalar(select(Base).where(Base.name == "延安培训基地"))
    assert (base.org_id, base.kind, base.capacity, base.address) == (world["general_a"].id, BaseKind.TRAINING, 80,
                                                                     "延安市")
    listing = client.get("/bases/").get_data(as_text=True)
    assert "延安培训基地" in listing

    # another general branch's supervisor cannot pick general branch A; a member sees no form at all
    login(world["other_supervisor"]).post("/bases/", data={"org_id": world["general_a"].id, "name": "越权基地",
                                                           "kind": "education", "capacity": "10"})
    login(world["member_a1"]).post("/bases/", data={"org_id": world["a1"].id, "name": "党员基地",
                                                    "kind": "education", "capacity": "10"})
    assert count(Base) == 1
    assert "延安培训基地" not in login(world["other_supervisor"]).get("/bases/").get_data(as_text=True)


def test_base_page_is_for_its_managers(world, base, login, make_user):
    assert login(world["manager"]).get(f"/bases/{base.id}").status_code == 200
    assert login(make_user(supervises=world["committee"])).get(f"/bases/{base.id}").status_code == 200
    assert login(world["other_supervisor"]).get(f"/bases/{base.id}").status_code == 403
    assert login(world["member_a1"]).get(f"/bases/{base.id}").status_code == 403
    assert login(world["manager"]).get("/bases/999999").status_code == 404


# --- scheduling --------------------------------------------------------------------------------------

def test_schedule_refuses_end_not_after_start(world, base):
    for ends in (NOW, NOW - timedelta(minutes=1)):
        with pytest.raises(BaseRuleError) as error:
            services.schedule_session(world["manager"], base, "主题", NOW, ends, 2, 30, [world["a1"]])
        assert refused_with(error, "The session must end after it starts.")
        db.session.rollback()
    assert count(BaseSession) == 0


def test_schedule_refuses_inviting_orgs_outside_the_managers_subtree(world, base, make_user):
    ends = NOW + timedelta(hours=2)
    for invited in ([world["b1"]], [world["a1"], world["general_b"]], [world["committee"]], []):
        with pytest.raises(BaseRuleError) as error:
            services.schedule_session(world["manager"], base, "主题", NOW, ends, 2, 30, invited)
        assert refused_with(error, "Invite at least one organisation you supervise.")
        db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.schedule_session(world["other_supervisor"], base, "主题", NOW, ends, 2, 30, [world["b1"]])
    db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.schedule_session(world["member_a1"], base, "主题", NOW, ends, 2, 30, [world["a1"]])
    db.session.rollback()
    assert count(BaseSession) == 0


def test_scheduling_over_http_stores_local_times_as_utc(world, base, login, author, make_course):
    course = make_course(author, title="现场教学课")
    client = login(world["manager"])
    response = client.post(f"/bases/{base.id}", data={
        "topic": "重温入党誓词", "starts_at": "2025-07-01T09:00", "ends_at": "2025-07-01T11:30", "hours": "2.5",
        "capacity": "30", "course_id": str(course.id), "invited": [str(world["a1"].id), str(world["a2"].id)]})
    assert response.status_code == 302
    session = db.session.scalar(select(BaseSession).where(BaseSession.topic == "重温入党誓词"))
    assert aware(session.starts_at) == datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
    assert aware(session.ends_at) == datetime(2025, 7, 1, 3, 30, tzinfo=UTC)
    assert (session.hours, session.capacity, session.course_id) == (Decimal("2.5"), 30, course.id)
    assert {i.org_id for i in session.invitations} == {world["a1"].id, world["a2"].id}
    page = client.get(f"/bases/sessions/{session.id}").get_data(as_text=True)
    assert "2025-07-01 09:00" in page and "2025-07-01 11:30" in page  # shown in local time again

    # end before start over HTTP: nothing scheduled
    client.post(f"/bases/{base.id}", data={
        "topic": "倒序", "starts_at": "2025-07-01T11:00", "ends_at": "2025-07-01T09:00", "hours": "1",
        "capacity": "30", "course_id": "0", "invited": [str(world["a1"].id)]})
    assert count(BaseSession, BaseSession.topic == "倒序") == 0


def test_upcoming_sessions_lists_only_invited_sessions_not_yet_over(world, base, make_session, make_user):
    manager = world["manager"]
    committee_supervisor = make_user(supervises=world["committee"])
    committee_base = services.register_base(committee_supervisor, world["committee"], name="党委基地")
    db.session.commit()
    future = make_session(base, manager, invited=[world["general_a"]], starts_in=timedelta(days=3), topic="将来")
    running = make_session(committee_base, committee_supervisor, invited=[world["committee"]], topic="进行中")
    make_session(base, manager, invited=[world["general_a"]], starts_in=timedelta(days=-2), topic="已结束")
    make_session(base, manager, invited=[world["a2"]], starts_in=timedelta(days=1), topic="甲二专场")
    make_session(committee_base, committee_supervisor, invited=[world["b1"]], starts_in=timedelta(days=1),
                 topic="乙一专场")

    assert [s.id for s in queries.upcoming_sessions_for(world["member_a1"], NOW)] == [running.id, future.id]
    assert [s.topic for s in queries.upcoming_sessions_for(world["member_b1"], NOW)] == ["进行中", "乙一专场"]
    assert [s.topic for s in queries.upcoming_sessions_for(world["member_a2"], NOW)] == ["进行中", "甲二专场",
                                                                                        "将来"]
    assert queries.upcoming_sessions_for(make_user(), NOW) == []
    # after the running session ends it drops off
    later = NOW + timedelta(hours=3)
    assert [s.id for s in queries.upcoming_sessions_for(world["member_a1"], later)] == [future.id]


def test_listing_page_shows_open_sessions(world, base, make_session, login):
    from learning_app.models import utcnow
    make_session(base, world["manager"], invited=[world["a1"]], now=utcnow(), starts_in=timedelta(days=1),
                 topic="甲一专场学习")
    assert "甲一专场学习" in login(world["member_a1"]).get("/bases/").get_data(as_text=True)
    assert "甲一专场学习" not in login(world["member_a2"]).get("/bases/").get_data(as_text=True)


# --- photos ------------------------------------------------------------------------------------------

def upload(client, base, data, name):
    return client.post(f"/bases/{base.id}/photos", data={"photo": (io.BytesIO(data), name), "caption": "基地大门"},
                       content_type="multipart/form-data")


def test_png_photo_is_accepted_and_served_with_nosniff(world, base, login, upload_dir):
    png = fixture_bytes("image.png")
    client = login(world["manager"])
    response = upload(client, base, png, "gate.png")
    assert response.status_code == 302
    [photo] = db.session.scalars(select(BasePhoto)).all()
    assert (photo.base_id, photo.mime_type, photo.caption) == (base.id, "image/png", "基地大门")
    assert "gate" not in photo.storage_name

    served = client.get(f"/bases/photos/{photo.id}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.data == png
    assert f"/bases/photos/{photo.id}" in client.get(f"/bases/{base.id}").get_data(as_text=True)


def test_photo_is_hidden_from_members_not_invited_to_the_base(world, base, login, upload_dir):
    upload(login(world["manager"]), base, fixture_bytes("image.png"), "gate.png")
    [photo] = db.session.scalars(select(BasePhoto)).all()
    assert login(world["member_b1"]).get(f"/bases/photos/{photo.id}").status_code == 404


@pytest.mark.parametrize("data,name", [
    (b"<html><script>alert(1)</script></html>", "photo.png"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "photo.svg"),
    (b"%PDF-1.4 not a picture", "photo.jpg"),
    (b"", "empty.png"),
])
def test_non_images_are_refused(world, base, login, upload_dir, data, name):
    response = upload(login(world["manager"]), base, data, name)
    assert response.status_code == 302
    assert count(BasePhoto) == 0
    assert [p for p in files_under(upload_dir) if p.parent.name != "tmp"] == []


def test_only_managers_upload_photos(world, base, login):
    png = fixture_bytes("image.png")
    assert upload(login(world["member_a1"]), base, png, "a.png").status_code == 403
    assert upload(login(world["other_supervisor"]), base, png, "a.png").status_code == 403
    assert count(BasePhoto) == 0


def test_photos_need_a_login(world, base, login, client):
    upload(login(world["manager"]), base, fixture_bytes("image.png"), "gate.png")
    photo_id = db.session.scalar(select(BasePhoto.id))
    response = client.get(f"/bases/photos/{photo_id}")
    assert response.status_code == 302 and "/auth/login" in response.location
    assert login(world["member_a1"]).get("/bases/photos/999999").status_code == 404


def test_photo_is_not_stored_by_shared_caches(world, base, login):
    client = login(world["manager"])
    upload(client, base, fixture_bytes("image.png"), "gate.png")
    photo_id = db.session.scalar(select(BasePhoto.id))
    cache_control = client.get(f"/bases/photos/{photo_id}").headers["Cache-Control"]
    assert "private" in cache_control and "public" not in cache_control


def test_photo_whose_file_is_gone_is_404_not_an_error(world, base, login):
    from courses.uploads import storage_path
    client = login(world["manager"])
    upload(client, base, fixture_bytes("image.png"), "gate.png")
    photo = db.session.scalars(select(BasePhoto)).one()
    storage_path(photo.storage_name).unlink()
    assert client.get(f"/bases/photos/{photo.id}").status_code == 404
    assert client.get(f"/bases/{base.id}").status_code == 200


def test_an_admin_sees_and_manages_every_base_and_site(world, base, make_site, make_user, login):
    admin = make_user(roles=["admin"])
    site = make_site(world["manager"], world["a1"], name="甲一学习站")
    client = login(admin)
    listing = client.get("/bases/")
    assert listing.status_code == 200 and base.name in listing.get_data(as_text=True)
    assert client.get(f"/bases/{base.id}").status_code == 200
    sites = client.get("/sites/manage")
    assert sites.status_code == 200 and "甲一学习站" in sites.get_data(as_text=True)
    assert client.get(f"/sites/{site.id}/manage").status_code == 200


def test_inviting_the_same_org_twice_invites_it_once(world, base, login):
    session = services.schedule_session(world["manager"], base, "主题", NOW, NOW + timedelta(hours=1), 1, 10,
                                        [world["a1"], world["a1"]])
    db.session.commit()
    assert [i.org_id for i in session.invitations] == [world["a1"].id]
    response = login(world["manager"]).post(f"/bases/{base.id}", data={
        "topic": "重复邀请", "starts_at": "2025-07-01T09:00", "ends_at": "2025-07-01T11:30", "hours": "2",
        "capacity": "30", "course_id": "0", "invited": [str(world["a2"].id), str(world["a2"].id)]})
    assert response.status_code == 302
    session = db.session.scalar(select(BaseSession).where(BaseSession.topic == "重复邀请"))
    assert [i.org_id for i in session.invitations] == [world["a2"].id]
