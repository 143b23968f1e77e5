"""Public pages stay light on a phone: HTML plus everything it loads, uncompressed, under 200 KiB."""

import re

import pytest
from django.contrib.staticfiles import finders

LIMIT = 200 * 1024


def weight(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    sizes = {asset: len(open(finders.find(asset), "rb").read()) for asset in assets}
    return len(response.content) + sum(sizes.values()), sorted(sizes)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/icml2026/", "/icml2026/programme/", "/accounts/login/", "/accounts/signup/"])
def test_a_public_page_weighs_under_200_kib(client, conference, path):
    total, assets = weight(client, path)
    assert assets == ["css/site.css", "favicon.svg", "js/site.js"]
    assert total < LIMIT, f"{path} weighs {total} bytes"


@pytest.mark.django_db
def test_the_pages_load_one_stylesheet_and_no_render_blocking_script(client, conference):
    html = client.get("/icml2026/").content.decode()
    assert len(re.findall(r'<link rel="stylesheet"', html)) == 1
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/site.js" defer>']
    assert "fonts.googleapis" not in html and "@import" not in open(finders.find("css/site.css")).read()
