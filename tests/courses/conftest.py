"""The courses tests keep their uploads in a temporary directory. (Authors, reviewers and `make_course`
are shared: tests/conftest.py.)"""
import pytest


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(upload_dir):
    """Every courses test, not only those that ask for `upload_dir`: a page may store an upload."""
