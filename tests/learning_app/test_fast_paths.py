"""The fast paths stay fenced: only the views learning_app.fast_paths names take one, and what they
assume of Flask-Login still holds."""
from flask_login import current_user, login_required

from learning_app import fast_paths

# The views whose throughput target the plain way misses (the figures are in fast_paths' note).
FAST_VIEWS = {"courses.my_learning", "quizzes.autosave_answer"}


def test_only_the_views_named_in_the_note_take_a_fast_path(app):
    marked = {endpoint for endpoint, view in app.view_functions.items() if hasattr(view, "load_signed_in_user")}
    assert marked == FAST_VIEWS


def test_every_fast_view_is_named_in_the_modules_note():
    for endpoint in FAST_VIEWS:
        assert endpoint in fast_paths.__doc__


def test_after_signed_in_user_current_user_is_the_members_row(app, tree, make_user, auth, client):
    """signed_in_user() swaps Flask-Login's request user through a private function: if a Flask-Login
    release renames or changes it, this fails."""
    seen = {}

    @app.route("/test-fast-path", methods=["POST"])
    @login_required
    @fast_paths.checks_user_in_statement
    def fast_view():
        seen["before"] = type(current_user._get_current_object()).__name__
        row = fast_paths.signed_in_user()
        seen["after"] = current_user._get_current_object() is row
        seen["name"] = current_user.real_name
        return "", 204

    member = make_user(tree["a1"], real_name="快路党员")
    auth.login(member)
    assert client.post("/test-fast-path").status_code == 204
    assert seen == {"before": "SessionUser", "after": True, "name": "快路党员"}


def test_a_fast_view_refuses_a_visitor_who_is_not_signed_in(client):
    response = client.get("/courses/my")
    assert response.status_code == 302 and response.location.startswith("/auth/login")
