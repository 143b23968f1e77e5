"""/healthz reports the database and the broker as JSON."""

import pytest

from tests.conftest import free_port


@pytest.mark.django_db
def test_it_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_it_is_503_when_the_broker_is_down(client, celery_broker):
    celery_broker(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["broker"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_it_needs_no_login_and_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405



@pytest.mark.django_db
def test_the_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
