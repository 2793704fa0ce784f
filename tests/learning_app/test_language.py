from learning_app.extensions import db


def test_pages_are_chinese_by_default(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert "登录" in page


def test_anonymous_visitor_can_switch_to_english(client):
    response = client.post("/language", data={"language": "en", "next": "/auth/login"})
    assert response.location == "/auth/login"
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log in" in page and "登录" not in page.split("<footer")[0].split("</nav>")[1]


def test_logged_in_choice_is_remembered_on_the_account(tree, make_user, auth, client, app):
    member = make_user(tree["a1"])
    auth.login(member)
    client.post("/language", data={"language": "en", "next": "/"})
    db.session.expire_all()
    assert db.session.get(type(member), member.id).locale == "en"
    other_device = app.test_client()
    other_device.post("/auth/login", data={"login_id": member.login_id, "password": "Passw0rd!"})
    assert 'lang="en"' in other_device.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"language": "xx", "next": "/auth/login"})
    assert 'lang="zh-Hans"' in client.get("/auth/login").get_data(as_text=True)


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/language", data={"language": "en", "next": "//evil.example/"})
    assert response.location == "/"


def test_error_pages_are_translated(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert "不存在" in page
    client.post("/language", data={"language": "en", "next": "/"})
    assert "does not exist" in client.get("/no-such-page").get_data(as_text=True)


def _menu(page: str) -> str:
    return page.split('<ul class="navbar-nav me-auto">')[1].split("</ul>")[0]


def test_the_menu_follows_each_members_language_and_current_page(tree, make_user, app):
    # The menu's markup is rendered once and reused: one member's language or page must not leak
    # into another's menu.
    chinese, english = make_user(tree["a1"]), make_user(tree["a1"])
    first, second = app.test_client(), app.test_client()
    for client, member in ((first, chinese), (second, english)):
        client.post("/auth/login", data={"login_id": member.login_id, "password": "Passw0rd!"})
    second.post("/language", data={"language": "en", "next": "/"})
    english_menu = _menu(second.get("/courses/my").get_data(as_text=True))
    chinese_menu = _menu(first.get("/courses/my").get_data(as_text=True))
    assert "My learning" in english_menu and "我的学习" not in english_menu
    assert "我的学习" in chinese_menu and "My learning" not in chinese_menu
    assert 'aria-current="page" href="/courses/my"' in chinese_menu
    home_menu = _menu(first.get("/").get_data(as_text=True))
    assert 'aria-current="page" href="/"' in home_menu and 'aria-current="page" href="/courses/my"' not in home_menu
