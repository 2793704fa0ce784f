"""The message centre (站内信): each member's own messages, read and unread, and the count in the navbar."""
import re

import pytest
from sqlalchemy import event, select

from courses import page_cache
from learning_app.extensions import db
from learning_app.messages import services
from learning_app.messages.models import Message, MessageKind

UNREAD = re.compile(r"(\d+) 条未读消息")


def send(member, key, subject="课程指派：党章学习", body="请在月底前学完。\n第二行", link="/courses/my"):
    services.notify([member.id], MessageKind.COURSE_ASSIGNED, key, lambda: (subject, body), link)
    db.session.commit()
    return db.session.scalar(select(Message).where(Message.recipient_id == member.id, Message.dedupe_key == key))


def unread_in(html: str) -> int:
    """The count the navbar's badge announces (0 when it shows none)."""
    found = UNREAD.findall(html)
    assert len(found) <= 1, found
    return int(found[0]) if found else 0


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"], real_name="收信党员")


@pytest.fixture
def other(tree, make_user):
    return make_user(tree["a1"], real_name="另一党员")


def test_the_list_shows_the_members_messages_newest_first_and_marks_unread(client, auth, member, other):
    send(member, "a", subject="第一条消息")
    read = send(member, "b", subject="第二条消息")
    send(other, "c", subject="别人的消息")
    with client.application.app_context():
        services.mark_read(member, db.session.get(Message, read.id))
        db.session.commit()
    auth.login(member)
    html = client.get("/messages/").get_data(as_text=True)
    assert html.index("第二条消息") < html.index("第一条消息")
    assert "别人的消息" not in html
    assert html.count("未读</span>") == 1  # the first message only
    assert unread_in(html) == 1


def test_another_members_message_is_not_found(client, auth, member, other):
    message = send(other, "a", subject="别人的消息")
    auth.login(member)
    response = client.get(f"/messages/{message.id}")
    assert response.status_code == 404 and "别人的消息" not in response.get_data(as_text=True)
    assert client.get("/messages/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client, member):
    message = send(member, "a")
    response = client.get(f"/messages/{message.id}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_opening_a_message_marks_it_read_and_links_into_the_platform(client, auth, member):
    message = send(member, "a", link="/courses/my")
    send(member, "b")
    auth.login(member)
    assert unread_in(client.get("/").get_data(as_text=True)) == 2
    html = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "请在月底前学完。" in html and 'href="/courses/my"' in html and "前往查看" in html
    assert unread_in(html) == 1  # the count already leaves out the message being read
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                  "javascript:alert(1)"])
def test_a_link_to_another_site_is_never_shown(client, auth, member, link):
    message = send(member, "a", link=link)
    auth.login(member)
    html = client.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "evil.example" not in html and "javascript:" not in html and "前往查看" not in html


def test_mark_all_read_reads_only_the_members_own(client, auth, member, other):
    send(member, "a")
    send(member, "b")
    send(other, "c")
    auth.login(member)
    response = client.post("/messages/read-all", follow_redirects=True)
    assert "全部消息已标为已读。" in response.get_data(as_text=True)
    assert unread_in(response.get_data(as_text=True)) == 0
    unread = db.session.scalars(select(Message.recipient_id).where(Message.read_at.is_(None))).all()
    assert unread == [other.id]


def test_a_new_message_shows_on_the_kept_learning_page_in_its_one_statement(client, auth, member, count_queries):
    auth.login(member)
    assert unread_in(client.get("/courses/my").get_data(as_text=True)) == 0
    assert client.application.extensions[page_cache.STORE], "the page is kept"
    send(member, "a")
    with count_queries() as counted:
        html = client.get("/courses/my").get_data(as_text=True)
    assert unread_in(html) == 1
    assert counted["n"] == 1  # served again: the count came with the member's row and the counters
    send(member, "b")
    assert unread_in(client.get("/courses/my").get_data(as_text=True)) == 2
    client.post("/messages/read-all")
    assert unread_in(client.get("/courses/my").get_data(as_text=True)) == 0


def test_the_count_shows_in_english_too(client, auth, tree, make_user):
    member = make_user(tree["a1"], locale="en")
    send(member, "a")
    auth.login(member)
    for url in ("/", "/courses/my", "/messages/"):
        assert "1 unread message<" in client.get(url).get_data(as_text=True), url


@pytest.mark.query_budget
def test_the_list_costs_the_same_statements_for_one_or_many_messages(client, auth, member, count_queries):
    def statements():
        client.get("/messages/")
        with count_queries() as counted:
            assert client.get("/messages/").status_code == 200
        return counted["n"]
    send(member, "first")
    auth.login(member)
    one = statements()
    for index in range(30):
        send(member, f"more-{index}")
    assert statements() == one


def statements_of(client, url):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


def counts_unread(statement: str) -> bool:
    return "FROM message" in statement and "count(" in statement.lower()


@pytest.mark.query_budget
def test_a_page_counts_the_unread_messages_with_the_users_row(client, auth, member):
    send(member, "a")
    auth.login(member)
    statements = statements_of(client, "/auth/password")
    counting = [statement for statement in statements if counts_unread(statement)]
    assert len(counting) == 1 and "FROM user_account" in counting[0]  # no statement of its own


@pytest.mark.query_budget
def test_the_message_being_read_is_left_out_without_counting_again(client, auth, member):
    message = send(member, "a")
    send(member, "b")
    auth.login(member)
    statements = statements_of(client, f"/messages/{message.id}")
    assert sum(counts_unread(statement) for statement in statements) == 1
    html = client.get(f"/messages/{message.id}").get_data(as_text=True)  # read already: nothing to leave out
    assert unread_in(html) == 1
