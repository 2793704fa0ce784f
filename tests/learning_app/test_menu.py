"""The main menu: grouped by what people do, following each role's permissions, usable without JavaScript."""
import re

import pytest

GROUP_HEADING = re.compile(r'<a class="nav-link dropdown-toggle[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>')
LINK = re.compile(r'<a class="(?:nav-link|dropdown-item)[^"]*"(?: aria-current="page")? href="([^"]+)">([^<]+)</a>')


def navbar(page: str) -> str:
    return page.split('<ul class="navbar-nav me-auto">')[1].split('<div class="d-flex flex-wrap')[0]


def role_holders(tree, make_user):
    return {
        "member": make_user(tree["a1"]),
        "author": make_user(tree["a1"], roles=["author"]),
        "reviewer": make_user(tree["a1"], roles=["reviewer"]),
        "supervisor": make_user(tree["a2"], supervises=tree["general_a"]),
        "admin": make_user(tree["a1"], roles=["admin"]),
    }


def signed_in(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"login_id": user.login_id, "password": "Passw0rd!"})
    return client


EXPECTED_GROUPS = {
    "member": ["学习", "组织生活"],
    "author": ["学习", "组织生活", "管理"],
    "reviewer": ["学习", "组织生活", "管理"],
    "supervisor": ["学习", "组织生活", "管理", "统计"],
    "admin": ["学习", "组织生活", "管理", "统计"],
}


@pytest.mark.parametrize("role", list(EXPECTED_GROUPS))
def test_the_menu_is_grouped_and_each_entry_opens_for_its_role(app, tree, make_user, role):
    """学习 / 组织生活 / 管理 / 统计, only the groups the role has entries in, and every entry shown opens
    (a menu entry that answered 403 would be a permission the menu got wrong)."""
    client = signed_in(app, role_holders(tree, make_user)[role])
    menu = navbar(client.get("/").get_data(as_text=True))
    assert [label for _, label in GROUP_HEADING.findall(menu)] == EXPECTED_GROUPS[role]
    links = LINK.findall(menu)
    assert links
    for href, label in links:
        assert client.get(href).status_code == 200, f"{role}: menu entry {label} ({href})"


def test_a_member_is_not_offered_management_or_statistics(app, tree, make_user):
    menu = navbar(signed_in(app, make_user(tree["a1"])).get("/").get_data(as_text=True))
    for href in ("/dashboard/", "/people/", "/orgs/", "/audit/", "/courses/authoring", "/quizzes/banks"):
        assert f'href="{href}"' not in menu


@pytest.mark.parametrize("role", list(EXPECTED_GROUPS))
def test_without_javascript_every_entry_is_on_the_menu_page(app, tree, make_user, role):
    """Dropdowns need JavaScript: a group heading leads to its part of the menu page, which lists every
    entry of the navbar (and the phone's menu button leads to the same page)."""
    client = signed_in(app, role_holders(tree, make_user)[role])
    home = client.get("/").get_data(as_text=True)
    menu_page = client.get("/menu").get_data(as_text=True)
    assert 'class="navbar-toggler" href="/menu"' in home
    for href, _label in GROUP_HEADING.findall(navbar(home)):
        assert href.startswith("/menu#menu-")
        assert f'id="{href.split("#")[1]}"' in menu_page
    content = menu_page.split('<main id="content"')[1]
    for href, label in LINK.findall(navbar(home)):
        assert f'href="{href}"' in content and label in content, f"{role}: {label} missing from /menu"
    assert "退出登录" in content


def test_the_menu_page_offers_a_visitor_the_language_and_the_login(client):
    page = client.get("/menu")
    assert page.status_code == 200
    content = page.get_data(as_text=True).split('<main id="content"')[1]
    assert 'name="language" value="en"' in content and 'href="/auth/login"' in content
