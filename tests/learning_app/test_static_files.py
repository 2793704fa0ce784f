"""Light pages on a slow link: responses compressed by the app itself, static files under URLs that
carry their content hash and are cached a year, older or bare URLs still served with a short cache."""
import gzip
import hashlib
import re
from pathlib import Path

import brotli

STATIC = Path(__file__).resolve().parents[2] / "static"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_every_static_url_on_a_page_carries_its_files_content_hash(client):
    html = client.get("/auth/login").get_data(as_text=True)
    urls = static_urls(html)
    assert len(urls) >= 4
    for url in urls:
        path, _, query = url.partition("?")
        expected = hashlib.sha256((STATIC / path.removeprefix("/static/")).read_bytes()).hexdigest()[:16]
        assert query == f"v={expected}", url


def test_a_fingerprinted_file_is_cached_a_year_and_an_old_or_bare_url_briefly(client):
    url = next(u for u in static_urls(client.get("/auth/login").get_data(as_text=True)) if "app.css" in u)
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for other in ("/static/css/app.css", "/static/css/app.css?v=0123456789abcdef"):
        response = client.get(other)
        assert response.status_code == 200 and response.get_data() == (STATIC / "css/app.css").read_bytes()
        assert response.headers["Cache-Control"] == "public, max-age=600", other


def test_pages_and_static_files_are_compressed_for_a_browser_that_accepts_it(client):
    plain = client.get("/auth/login").get_data()
    response = client.get("/auth/login", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    page = brotli.decompress(response.get_data())
    assert len(response.get_data()) < len(page) / 2
    # The same page but for the per-request CSRF token.
    token = re.compile(rb'name="csrf_token"[^>]*>')
    assert token.sub(b"", page) == token.sub(b"", plain)

    response = client.get("/auth/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()).startswith(b"<!doctype html>")

    bootstrap = (STATIC / "vendor/bootstrap/bootstrap.min.css").read_bytes()
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css", headers={"Accept-Encoding": "br"})
    assert response.headers["Content-Encoding"] == "br"
    sent = response.get_data()
    assert brotli.decompress(sent) == bootstrap and len(sent) < len(bootstrap) / 4
