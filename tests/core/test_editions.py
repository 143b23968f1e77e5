"""Editions are data: URLs scoped by slug, one current edition, the demo loader."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse

from confsite.editions import make_current
from confsite.models import Conference, User
from tests.factories import ConferenceFactory


@pytest.mark.django_db
def test_the_root_redirects_to_the_current_edition(client, conference):
    ConferenceFactory(slug="icml2025", is_current=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/icml2026/"


@pytest.mark.django_db
def test_the_root_explains_when_no_edition_is_current(client):
    ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    response = client.get("/")
    assert response.status_code == 200
    assert "No edition is marked as current." in response.content.decode()
    assert 'href="/icml2025/"' in response.content.decode()


@pytest.mark.django_db
def test_an_edition_home_page_shows_its_dates_and_city(client, conference):
    html = client.get("/icml2026/").content.decode()
    assert "<title>ICML 2026 · Seoul</title>" in html
    assert '<time datetime="2026-07-06">6 July</time>' in html
    assert '<time datetime="2026-07-11">11 July 2026</time>' in html
    assert "times in Asia/Seoul" in html


@pytest.mark.django_db
def test_an_unknown_edition_is_a_404(client, conference):
    assert client.get("/icml1999/").status_code == 404
    assert client.get("/icml1999/programme/").status_code == 404


@pytest.mark.django_db
def test_edition_pages_are_scoped_by_slug(client, conference):
    ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    assert "ICML 2025" in client.get("/icml2025/programme/").content.decode()
    assert client.get("/icml2026/code-of-conduct/").status_code == 200


@pytest.mark.django_db
def test_only_one_edition_can_be_current(conference):
    with pytest.raises(IntegrityError):
        ConferenceFactory(slug="icml2027", is_current=True)


@pytest.mark.django_db
def test_make_current_moves_the_flag(conference):
    other = ConferenceFactory(slug="icml2027")
    make_current(other)
    assert list(Conference.objects.filter(is_current=True).values_list("slug", flat=True)) == ["icml2027"]


@pytest.mark.django_db
def test_it_rejects_slugs_the_site_uses_and_unknown_time_zones():
    conference = ConferenceFactory.build(slug="admin", time_zone="Asia/Gangnam", currency="usd")
    with pytest.raises(ValidationError) as excinfo:
        conference.full_clean()
    assert set(excinfo.value.message_dict) == {"slug", "time_zone", "currency"}


@pytest.mark.django_db
def test_it_rejects_an_edition_that_ends_before_it_starts():
    from datetime import date

    conference = ConferenceFactory.build(start_date=date(2026, 7, 6), end_date=date(2026, 7, 5))
    with pytest.raises(ValidationError) as excinfo:
        conference.full_clean()
    assert excinfo.value.message_dict["end_date"] == ["The last day cannot be before the first day."]


@pytest.mark.django_db(transaction=True)
def test_the_demo_loads_icml_2026_in_seoul_and_can_run_twice(client):
    from django.contrib.auth.models import Group

    from confsite import roles
    from registration.models import EligibilityProof, Order, Registration, WaitingListEntry

    Group.objects.all().delete()  # as after another transactional test flushed the migration's groups
    call_command("load_demo", stdout=open("/dev/null", "w"))
    counts = (User.objects.count(), Order.objects.count(), Registration.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert (User.objects.count(), Order.objects.count(), Registration.objects.count()) == counts
    assert Conference.objects.count() == 2
    icml = Conference.objects.get(is_current=True)
    assert (icml.slug, icml.city, icml.time_zone, icml.currency) == ("icml2026", "Seoul", "Asia/Seoul", "USD")
    assert [str(d) for d in (icml.start_date, icml.end_date)] == ["2026-07-06", "2026-07-11"]
    # Registrations in every state, a group order for three, proofs pending and rejected, a waiting list.
    assert set(Order.objects.values_list("status", flat=True)) == {"pending", "paid", "refunded", "expired"}
    from registration.models import Invoice

    assert set(Invoice.objects.values_list("kind", flat=True)) == {"proforma", "invoice", "credit_note"}
    verify = client.get("/icml2026/documents/verify/DEMO2026VISA/").content.decode()
    assert "This letter is genuine" in verify and "KIM MINJI" in verify and "M12345678" not in verify
    assert max(o.registrations.count() for o in Order.objects.all()) == 3
    assert set(EligibilityProof.objects.values_list("status", flat=True)) == {"pending", "rejected"}
    assert WaitingListEntry.objects.filter(status="waiting").count() == 1
    organiser = User.objects.get(email="organiser@confsite.example")
    assert organiser.is_staff and organiser.emailaddress_set.get().verified
    assert client.login(email="organiser@confsite.example", password="demo-organiser-2026")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.login(email="attendee@confsite.example", password="demo-attendee-2026")
    assert "Paid" in client.get("/icml2026/my-registration/").content.decode()
    assert client.login(email="sponsor@confsite.example", password="demo-sponsor-2026")
    # ICML 2026's days for the check-in desk: tutorials, main conference, workshops.
    from registration.models import ConferenceDay

    days = [(str(d.date), d.part) for d in ConferenceDay.objects.filter(conference=icml).order_by("date")]
    assert days == [("2026-07-06", "tutorials"), ("2026-07-07", "main"), ("2026-07-08", "main"), ("2026-07-09", "main"),
                    ("2026-07-10", "workshops"), ("2026-07-11", "workshops")]
    # One staff login per role (confsite/roles.py), and the organiser as the only superuser.
    staff = {u.email: u for u in User.objects.filter(is_staff=True).prefetch_related("groups")}
    assert sorted(staff) == ["catering@confsite.example", "desk@confsite.example", "finance@confsite.example",
                             "organiser@confsite.example", "programme@confsite.example",
                             "sponsorship@confsite.example"]
    assert [u.email for u in staff.values() if u.is_superuser] == ["organiser@confsite.example"]
    desk = staff["desk@confsite.example"]
    assert [g.name for g in desk.groups.all()] == [roles.REGISTRATION_DESK]
    assert desk.check_password("demo-desk-2026")
    assert desk.get_all_permissions() == set(roles.ROLES[roles.REGISTRATION_DESK])
    assert not desk.has_perm("registration.view_passportdata")
    assert staff["catering@confsite.example"].get_all_permissions() == set(roles.ROLES[roles.CATERING])


@pytest.mark.django_db
def test_the_editions_api_lists_public_fields(client, conference):
    response = client.get("/api/editions/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "slug": "icml2026", "name": conference.name, "short_name": "ICML 2026", "city": "Seoul",
            "country": "KR", "venue": "COEX Convention & Exhibition Center", "time_zone": "Asia/Seoul",
            "start_date": "2026-07-06", "end_date": "2026-07-11", "currency": "USD", "is_current": True,
        }
    ]
    assert client.post("/api/editions/", {}).status_code == 405

