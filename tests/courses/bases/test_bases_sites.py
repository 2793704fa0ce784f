"""Learning sites: the member's nearest site, reviewed notices, staff appointed by supervisors."""
import pytest
from sqlalchemy import select

from courses.bases import queries, services
from courses.bases.models import FeaturedCourse, Notice, NoticeStatus, Site, SiteStaff
from courses.bases.services import BaseRuleError
from learning_app.extensions import db
from tests.courses.bases.helpers import audits, count, refused_with
from tests.courses.helpers import fresh, location_path


@pytest.fixture
def staffer(world, make_user):
    return make_user(world["a2"], real_name="站点管理员")


@pytest.fixture
def site(world, make_site, staffer):
    return make_site(world["manager"], world["general_a"], name="第一党总支学习站", staff=[staffer],
                     welcome="欢迎来到学习站")


def notice_status(notice_id):
    db.session.expire_all()
    return db.session.get(Notice, notice_id).status


# --- the nearest site --------------------------------------------------------------------------------

def test_member_lands_on_the_nearest_site(world, site, make_site, login):
    branch_site = make_site(world["manager"], world["a1"], name="甲一支部学习站")
    assert services.nearest_site(world["member_a1"]).id == branch_site.id
    assert services.nearest_site(world["member_a2"]).id == site.id
    assert services.nearest_site(world["member_b1"]) is None

    page = login(world["member_a1"]).get("/sites/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "甲一支部学习站" in text and "第一党总支学习站" not in text

    text = login(world["member_a2"]).get("/sites/").get_data(as_text=True)
    assert "第一党总支学习站" in text and "欢迎来到学习站" in text


def test_committee_site_reaches_every_branch_below(world, site, make_site, make_user):
    committee_site = make_site(make_user(supervises=world["committee"]), world["committee"], name="党委学习站")
    assert services.nearest_site(world["member_b1"]).id == committee_site.id
    assert services.nearest_site(world["member_a2"]).id == site.id  # the general branch is nearer


def test_member_without_a_site_gets_the_no_site_page(world, site, login):
    response = login(world["member_b1"]).get("/sites/")
    assert response.status_code == 200
    assert "第一党总支学习站" not in response.get_data(as_text=True)


def test_site_home_is_for_members(world, make_user, login):
    no_org = make_user(supervises=world["general_a"])
    assert login(no_org).get("/sites/").status_code == 403


def test_personal_code_page_shows_the_login_id(world, login):
    member = world["member_a1"]
    page = login(member).get("/sites/my-code")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert member.login_id in text and "<svg" in text


# --- opening sites -----------------------------------------------------------------------------------

def test_only_supervisors_of_the_org_open_its_site(world, make_user):
    for actor in (world["member_a1"], world["other_supervisor"], make_user(world["a1"], roles=["reviewer"])):
        with pytest.raises(BaseRuleError):
            services.create_site(actor, world["general_a"], "站")
        db.session.rollback()
    services.create_site(world["manager"], world["a1"], "甲一站")
    db.session.commit()
    with pytest.raises(BaseRuleError) as error:
        services.create_site(world["manager"], world["a1"], "又一个")
    assert refused_with(error, "This organisation already has a site.")
    db.session.rollback()
    assert count(Site) == 1
    assert audits("site.create")[0].actor_id == world["manager"].id


def test_opening_a_site_over_http(world, login):
    client = login(world["manager"])
    assert client.get("/sites/manage").status_code == 200
    response = client.post("/sites/manage", data={"org_id": world["a2"].id, "name": "甲二学习站", "welcome": ""})
    assert response.status_code == 302
    assert db.session.scalar(select(Site.name).where(Site.org_id == world["a2"].id)) == "甲二学习站"
    # an organisation the supervisor does not supervise is not even a choice
    client.post("/sites/manage", data={"org_id": world["b1"].id, "name": "越权站"})
    assert count(Site, Site.org_id == world["b1"].id) == 0
    assert login(world["member_a1"]).get("/sites/manage").status_code == 403


# --- notices -----------------------------------------------------------------------------------------

def write_notice_over_http(client, site, title="关于开展主题党日活动的通知", body="请各位党员**准时**参加。"):
    response = client.post(f"/sites/{site.id}/notices", data={"notice-title": title, "notice-body": body})
    assert response.status_code == 302 and location_path(response) == f"/sites/{site.id}/manage"
    return db.session.scalar(select(Notice.id).where(Notice.title == title))


def test_notice_appears_on_the_site_home_only_after_approval(world, site, staffer, reviewer, login):
    notice_id = write_notice_over_http(login(staffer), site)
    assert notice_status(notice_id) == NoticeStatus.SUBMITTED
    member = login(world["member_a1"])
    assert "主题党日活动" not in member.get("/sites/").get_data(as_text=True)

    checker = login(reviewer)
    queue = checker.get("/sites/notices/review")
    assert queue.status_code == 200 and "主题党日活动" in queue.get_data(as_text=True)
    response = checker.post(f"/sites/notices/{notice_id}/approve")
    assert response.status_code == 302 and location_path(response) == "/sites/notices/review"
    assert notice_status(notice_id) == NoticeStatus.PUBLISHED
    notice = fresh(db.session.get(Notice, notice_id))
    assert notice.reviewer_id == reviewer.id and notice.published_at is not None

    home = member.get("/sites/").get_data(as_text=True)
    assert "主题党日活动" in home and "<strong>准时</strong>" in home
    assert "主题党日活动" not in login(world["member_b1"]).get("/sites/").get_data(as_text=True)
    assert [a.actor_id for a in audits("notice.approve")] == [reviewer.id]


def test_notice_markup_is_escaped(world, site, staffer, reviewer, login):
    notice_id = write_notice_over_http(login(staffer), site, title="通知", body="<script>alert(1)</script>正文")
    services.review_notice(reviewer, db.session.get(Notice, notice_id), True)
    db.session.commit()
    home = login(world["member_a1"]).get("/sites/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in home


def test_an_author_cannot_approve_their_own_notice(world, site, make_user, login):
    writer = make_user(world["a1"], roles=["reviewer"])
    services.appoint_staff(world["manager"], fresh(site), writer)
    db.session.commit()
    client = login(writer)
    notice_id = write_notice_over_http(client, site)
    assert notice_id not in [n.id for n in queries.notices_awaiting_review(writer)]
    with pytest.raises(BaseRuleError):
        services.review_notice(writer, db.session.get(Notice, notice_id), True)
    db.session.rollback()
    assert client.post(f"/sites/notices/{notice_id}/approve").status_code == 302
    assert notice_status(notice_id) == NoticeStatus.SUBMITTED
    assert "主题党日活动" not in login(world["member_a1"]).get("/sites/").get_data(as_text=True)


def test_rejecting_needs_a_comment_and_sends_the_notice_back(world, site, staffer, reviewer, login):
    notice_id = write_notice_over_http(login(staffer), site)
    checker = login(reviewer)
    checker.post(f"/sites/notices/{notice_id}/reject", data={"comment": "   "})
    assert notice_status(notice_id) == NoticeStatus.SUBMITTED
    with pytest.raises(BaseRuleError) as error:
        services.review_notice(reviewer, db.session.get(Notice, notice_id), False, "")
    assert refused_with(error, "Say what the author should change.")
    db.session.rollback()

    checker.post(f"/sites/notices/{notice_id}/reject", data={"comment": "时间写错了"})
    notice = fresh(db.session.get(Notice, notice_id))
    assert (notice.status, notice.review_comment, notice.published_at) == (NoticeStatus.DRAFT, "时间写错了", None)
    assert "时间写错了" in login(staffer).get(f"/sites/{site.id}/manage").get_data(as_text=True)
    # a sent-back draft is not awaiting review: it cannot be approved as it is
    with pytest.raises(BaseRuleError):
        services.review_notice(reviewer, notice, True)
    db.session.rollback()
    assert notice_status(notice_id) == NoticeStatus.DRAFT


def test_only_reviewers_review_notices(world, site, staffer, login):
    notice_id = write_notice_over_http(login(staffer), site)
    for user in (world["manager"], world["member_a1"], staffer):
        client = login(user)
        assert client.get("/sites/notices/review").status_code == 403
        assert client.post(f"/sites/notices/{notice_id}/approve").status_code == 403
    assert notice_status(notice_id) == NoticeStatus.SUBMITTED


# --- staff ------------------------------------------------------------------------------------------

def test_only_supervisors_of_the_org_appoint_staff(world, site, staffer, make_user, login):
    newcomer = make_user(world["a1"])
    with pytest.raises(BaseRuleError) as error:
        services.appoint_staff(staffer, fresh(site), newcomer)
    assert refused_with(error, "Only a supervisor of the organisation appoints its site staff.")
    db.session.rollback()
    with pytest.raises(BaseRuleError):
        services.appoint_staff(world["other_supervisor"], fresh(site), newcomer)
    db.session.rollback()

    response = login(staffer).post(f"/sites/{site.id}/staff", data={"staff-login_id": newcomer.login_id})
    assert response.status_code == 302
    assert login(world["other_supervisor"]).post(f"/sites/{site.id}/staff",
                                                 data={"staff-login_id": newcomer.login_id}).status_code == 403
    assert count(SiteStaff, SiteStaff.user_id == newcomer.id) == 0

    response = login(world["manager"]).post(f"/sites/{site.id}/staff", data={"staff-login_id": newcomer.login_id})
    assert response.status_code == 302
    staff = db.session.scalar(select(SiteStaff).where(SiteStaff.user_id == newcomer.id))
    assert staff.site_id == site.id and staff.appointed_by_id == world["manager"].id
    assert audits("site.appoint_staff")[-1].detail == {"user_id": newcomer.id}


def test_staff_must_belong_to_the_sites_subtree(world, site, make_site, make_user):
    for outsider in (world["member_b1"], make_user(), world["other_supervisor"]):
        with pytest.raises(BaseRuleError) as error:
            services.appoint_staff(world["manager"], fresh(site), outsider)
        assert refused_with(error, "Site staff must belong to the site's organisation.")
        db.session.rollback()
    branch_site = make_site(world["manager"], world["a1"])
    with pytest.raises(BaseRuleError):
        services.appoint_staff(world["manager"], branch_site, world["member_a2"])  # a sibling branch
    db.session.rollback()
    assert {s.user_id for s in db.session.scalars(select(SiteStaff))} == {fresh(site).staff[0].user_id}


def test_appointing_twice_is_refused(world, site, staffer):
    with pytest.raises(BaseRuleError):
        services.appoint_staff(world["manager"], fresh(site), staffer)
    db.session.rollback()
    assert count(SiteStaff) == 1


def test_staff_manage_the_site_without_being_supervisors(world, site, staffer, login, author, make_course):
    course = make_course(author, title="推荐课程")
    assert not staffer.manages_people
    client = login(staffer)
    assert client.get("/sites/manage").status_code == 200
    assert "第一党总支学习站" in client.get("/sites/manage").get_data(as_text=True)
    assert client.get(f"/sites/{site.id}/manage").status_code == 200
    assert client.get(f"/sites/{site.id}/studies/new").status_code == 200
    response = client.post(f"/sites/{site.id}/featured", data={"feature-course_id": course.id})
    assert response.status_code == 302
    assert count(FeaturedCourse, FeaturedCourse.site_id == site.id) == 1
    assert "推荐课程" in login(world["member_a1"]).get("/sites/").get_data(as_text=True)
    # featuring twice is refused and changes nothing
    client.post(f"/sites/{site.id}/featured", data={"feature-course_id": course.id})
    assert count(FeaturedCourse, FeaturedCourse.site_id == site.id) == 1


def test_unpublished_courses_cannot_be_featured(world, site, staffer, author, make_course):
    draft = make_course(author, title="草稿课程", publish=False)
    with pytest.raises(BaseRuleError):
        services.feature_course(staffer, fresh(site), fresh(draft))
    db.session.rollback()
    assert count(FeaturedCourse) == 0


def test_another_general_branch_supervisor_gets_403_on_manage_pages(world, site, login, author, make_course):
    course = make_course(author)
    client = login(world["other_supervisor"])
    assert client.get(f"/sites/{site.id}/manage").status_code == 403
    assert client.get(f"/sites/{site.id}/studies/new").status_code == 403
    assert client.post(f"/sites/{site.id}/notices",
                       data={"notice-title": "越权", "notice-body": "x"}).status_code == 403
    assert client.post(f"/sites/{site.id}/featured", data={"feature-course_id": course.id}).status_code == 403
    assert client.post(f"/sites/{site.id}/staff",
                       data={"staff-login_id": world["member_b1"].login_id}).status_code == 403
    assert "第一党总支学习站" not in client.get("/sites/manage").get_data(as_text=True)
    assert count(Notice) == 0 and count(FeaturedCourse) == 0
    member = login(world["member_a1"])
    assert member.get(f"/sites/{site.id}/manage").status_code == 403
    assert member.get("/sites/999999/manage").status_code == 404
