"""Real-browser journeys: the app served by a live server in a thread, driven by Chromium through Playwright."""
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@contextmanager
def serving(app):
    """Serve `app` on 127.0.0.1:<free port> in a thread (app.config["LIVE_URL"]) while the block runs."""
    from werkzeug.serving import make_server

    from learning_app.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def live_config(tmp):
    """The settings of an app served to the browser: CSRF on, a database and uploads of its own."""
    plotly = ROOT / "static" / "vendor" / "plotly" / "plotly-dashboard.min.js"
    assert plotly.is_file(), "the vendored plotly.js bundle is missing (static/vendor/plotly/README.md)"
    return dict(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/db.sqlite", WTF_CSRF_ENABLED=True,
                UPLOAD_DIR=str(tmp / "uploads"), CREDENTIALS_DIR=str(tmp / "credentials"),
                RATELIMIT_ENABLED=False, HEARTBEAT_SECONDS=2)


@pytest.fixture(scope="module")
def live_app(tmp_path_factory):
    """The app with CSRF on, seeded with the demo organisation, served on 127.0.0.1:<free port>."""
    from learning_app import create_app
    from learning_app.extensions import db

    app = create_app("testing", **live_config(tmp_path_factory.mktemp("live")))
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with serving(app):
        yield app


@pytest.fixture(scope="module")
def base_url(live_app):
    return live_app.config["LIVE_URL"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")  # a new, empty profile
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env={**os.environ, "HOME": str(profile)})
        try:
            yield browser
        finally:
            browser.close()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(page, login_id, password):
    """Sign in through the login form, as a person would; fails with the page's words if refused."""
    page.goto("/auth/login")
    page.fill("input[name=login_id]", login_id)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state()
    assert "/auth/login" not in page.url, f"{login_id} cannot sign in: {page.inner_text('body')[:500]}"


class Visitor:
    """One browser context (one person): blocks every host but the live server and records what it blocked."""

    def __init__(self, browser, base_url, viewport):
        self.base_url = base_url
        self.blocked = []
        self.errors = []
        self.context = browser.new_context(viewport=viewport, base_url=base_url, locale="zh-CN",
                                           timezone_id="Asia/Shanghai")
        self.context.set_default_timeout(10_000)
        allowed = urlsplit(base_url).netloc
        self.context.route("**/*", self._route(allowed))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, allowed):
        def handle(route):
            url = route.request.url
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc == allowed:
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort("blockedbyclient")
        return handle

    def log_in(self, login_id, password):
        sign_in(self.page, login_id, password)

    def navigate(self, label):
        """Follow a main-menu link: open the collapsed menu on a narrow screen, then the entry's group."""
        toggler = self.page.locator(".navbar-toggler")
        if toggler.is_visible():
            toggler.click()
        entry = self.page.get_by_role("link", name=label, exact=True)
        link = self.page.locator("#main-nav").locator(entry)
        if not link.is_visible():
            # A closed dropdown's entries are hidden, which role locators skip unless told.
            hidden_entry = self.page.get_by_role("link", name=label, exact=True, include_hidden=True)
            group = self.page.locator("#main-nav .dropdown").filter(has=hidden_entry)
            group.locator("[data-bs-toggle=dropdown]").click()
        link.wait_for(state="visible")
        link.click()
        self.page.wait_for_load_state()

    def finish(self, name):
        """Screenshot the last page, then check nothing from another host was needed."""
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"

    def close(self):
        self.context.close()


@pytest.fixture
def visitors(browser, base_url):
    """visitors(viewport=PHONE) -> a new Visitor; every context is closed after the test."""
    made = []

    def make(viewport=None):
        visitor = Visitor(browser, base_url, viewport or {"width": 390, "height": 844})
        made.append(visitor)
        return visitor
    yield make
    for visitor in made:
        visitor.close()
