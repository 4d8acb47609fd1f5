import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_home_page_has_skip_link_landmarks_and_local_assets(client):
    page = client.get("/").content.decode()
    assert 'href="#main"' in page and 'id="main"' in page
    assert "<header" in page and "<footer" in page and "<nav" in page
    assert 'name="viewport"' in page
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "every asset is served from static/"


def test_no_template_loads_an_asset_from_another_host():
    for template in (REPO / "templates").rglob("*.html"):
        assert not re.search(r'(src|href)="(https?:)?//', template.read_text()), template


def test_vendored_bootstrap_is_found_by_staticfiles_with_its_licence():
    assert finders.find("vendor/bootstrap-5.3.9/css/bootstrap.min.css")
    assert finders.find("vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js")
    assert "MIT License" in (REPO / "static/vendor/bootstrap-5.3.9/LICENSE").read_text()


def test_unknown_page_answers_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到" in response.content.decode() or "Page not found" in response.content.decode()
