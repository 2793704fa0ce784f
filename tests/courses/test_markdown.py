"""Lesson Markdown: rendered, then sanitised; images only from the course's own uploads."""
import re

import pytest

from courses.markdown import render_markdown
from learning_app.extensions import db
from tests.courses.helpers import fresh


def file_url(file_id):
    return f"/courses/files/{file_id}"


def render(source, allowed=()):
    return render_markdown(source, file_url, set(allowed))


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "Hello <script>alert(1)</script> world",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">点我</a>',
    '<div onmouseover="alert(1)">悬停</div>',
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)></svg>",
    "<style>body{display:none}</style>",
])
def test_raw_html_is_inert(source):
    html = render(source)
    assert "<script" not in html and "<iframe" not in html and "<svg" not in html and "<style" not in html
    assert not re.search(r"<[^>]+\son\w+\s*=", html)
    assert not re.search(r"<(img|div|a)\b", html)


@pytest.mark.parametrize("source", [
    "[点我](javascript:alert(1))",
    "[点我](JavaScript:alert(1))",
    "[点我](  javascript:alert(1) )",
    "[点我](java\tscript:alert(1))",
    "[点我](vbscript:msgbox(1))",
    "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    '[点我](javascript&#58;alert(1))',
    "![x](javascript:alert(1))",
])
def test_dangerous_links_are_dropped(source):
    html = render(source)
    # At most the text stays visible; no link or image carries the address.
    assert not re.search(r'(href|src)\s*=\s*"?\s*(java|vb)?script|(href|src)\s*=\s*"?\s*data:', html, re.I)
    assert "<a" not in html or not re.search(r'href="(?!https?:|mailto:)', html)
    assert "<img" not in html or "src=" not in html


def test_safe_markdown_survives():
    html = render("# 标题\n\n**重点** _强调_ `代码`\n\n- 一\n- 二\n\n> 引用\n\n[官网](https://www.12371.cn)\n\n"
                  "| 列 | 值 |\n|---|---|\n| a | b |")
    for fragment in ("<h1>标题</h1>", "<strong>重点</strong>", "<em>强调</em>", "<code>代码</code>", "<li>一</li>",
                     "<blockquote>", "<table>", "<td>a</td>"):
        assert fragment in html
    assert 'href="https://www.12371.cn"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_images_only_from_allowed_uploads():
    html = render("![自己的](upload:5)\n\n![路径](/courses/files/5)\n\n![别人的](upload:6)\n\n"
                  "![外链](https://evil.example/track.png)\n\n![相对](/static/x.png)", allowed={5})
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources == ["/courses/files/5", "/courses/files/5"]
    assert "evil.example" not in html and "upload:6" not in html and "/static/x.png" not in html
    assert 'alt="别人的"' in html  # the picture is dropped, its description stays


def test_html_image_tags_cannot_smuggle_sources():
    html = render('<img src="/courses/files/5">', allowed={5})
    assert "<img" not in html


# --- in lesson pages ------------------------------------------------------------------------------

@pytest.fixture
def two_courses(author, make_course, store_file, tree, make_user):
    """Course A with its own image; course B whose article points at A's image and at its own."""
    first = make_course(author, lessons=["article"], title="甲课", publish=False)
    own_a = store_file(first, author, "image.png")
    second = make_course(author, lessons=["article"], title="乙课", publish=False)
    own_b = store_file(second, author, "image.jpg")
    return first, own_a, second, own_b


def test_lesson_page_drops_other_courses_images(client, auth, author, two_courses, publish, tree, make_user):
    from courses.services import authoring
    first, own_a, second, own_b = two_courses
    key = fresh(second).working.lessons[0].key
    authoring.update_lesson(second, author, key,
                          body=f"![别人的](upload:{own_a.id})\n\n![自己的](upload:{own_b.id})\n\n"
                                                  "<script>alert(1)</script>[坏](javascript:alert(1))")
    db.session.commit()
    publish(first)
    publish(second)
    auth.login(make_user(tree["a1"]))
    page = client.get(f"/courses/{second.id}/lessons/{key}").get_data(as_text=True)
    body = page.split('class="lesson-text', 1)[1].split("</div>", 1)[0]
    assert f'src="/courses/files/{own_b.id}"' in body
    assert f"/courses/files/{own_a.id}" not in body
    assert "<script>" not in body and 'href="javascript:' not in body


def test_review_preview_drops_other_courses_images(client, auth, author, reviewer, two_courses):
    from courses.services import authoring, review
    first, own_a, second, own_b = two_courses
    key = fresh(second).working.lessons[0].key
    authoring.update_lesson(second, author, key, body=f"![别人的](upload:{own_a.id})\n\n![自己的](upload:{own_b.id})")
    review.submit_for_review(second, author)
    db.session.commit()
    auth.login(reviewer)
    page = client.get(f"/courses/review/{second.id}").get_data(as_text=True)
    assert f'src="/courses/files/{own_b.id}"' in page
    assert f'src="/courses/files/{own_a.id}"' not in page
