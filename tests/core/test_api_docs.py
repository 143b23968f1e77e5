"""OpenAPI 3 at /api/schema/ and offline interactive docs at /api/docs/."""

import pytest
import yaml
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_the_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    spec = yaml.safe_load(response.content)
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "/api/editions/" in spec["paths"]
    assert "/api/editions/{slug}/" in spec["paths"]


@pytest.mark.django_db
def test_the_docs_are_served_from_this_site_without_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    scripts = html.split("<script")[1:]
    assert len(scripts) == 3
    assert all(tag.lstrip().startswith("src=") for tag in scripts)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "//cdn" not in html and "https://" not in html
    init = client.get("/api/docs/?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in init.content.decode()
