"""The attendee's recruitment profile, CV upload and consent screen (sponsors.views.attendee)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from confsite.models import ConsentRecord, ConsentText
from sponsors import access, services
from sponsors.models import AccessLogEntry, RecruitmentProfile, SponsorDecision, Tier
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory, TopicFactory
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory, TierFactory

pytestmark = pytest.mark.django_db
PROFILE_URL, SHARE_URL, ACTIVITY_URL = "/icml2026/recruitment/", "/icml2026/recruitment/share/", "/icml2026/recruitment/activity/"


def real_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def terms(conference):
    return ConsentText.objects.create(conference=conference, purpose="recruitment", version="2026-1",
                                      text="I share my profile with the sponsors named below.")


@pytest.fixture
def sponsors(conference):
    gold = TierFactory(conference=conference, name="Gold")
    bronze = TierFactory(conference=conference, name="Bronze", recruitment_access=Tier.Access.NONE)
    return {"acme": SponsorFactory(conference=conference, name="Acme", tier=gold),
            "globex": SponsorFactory(conference=conference, name="Globex", tier=gold),
            "bronzer": SponsorFactory(conference=conference, name="Bronzer", tier=bronze),
            "elsewhere": SponsorFactory(conference=ConferenceFactory(slug="icml2027"), name="Elsewhere")}


@pytest.fixture
def attendee(client, user):
    client.force_login(user)
    return user


def form_data(**overrides):
    data = {"headline": "PhD student in RL", "position": "phd", "wants_internship": "on", "locations": "Seoul",
            "scholar_url": "", "openreview_url": "", "github_url": "https://github.com/minji", "homepage_url": ""}
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [PROFILE_URL, SHARE_URL, ACTIVITY_URL, "/icml2026/recruitment/cv/"])
def test_every_page_needs_a_login(client, conference, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_another_attendees_cv_is_never_reachable(client, conference, attendee):
    other = RecruitmentProfileFactory(conference=conference)
    other.cv.save("cv.pdf", SimpleUploadedFile("cv.pdf", real_pdf()), save=True)
    assert client.get("/icml2026/recruitment/cv/").status_code == 404


# --- Profile and CV ----------------------------------------------------------------------------

def test_it_saves_the_profile_with_areas_and_a_pdf_cv(client, conference, attendee):
    topic = TopicFactory(conference=conference, name="Reinforcement learning")
    response = client.post(PROFILE_URL, {**form_data(research_areas=[topic.pk]),
                                         "cv_upload": SimpleUploadedFile("cv.pdf", real_pdf(), "application/pdf")})
    assert response.status_code == 302
    profile = RecruitmentProfile.objects.get(user=attendee, conference=conference)
    assert (profile.headline, profile.position, profile.wants_internship, profile.opted_in) == (
        "PhD student in RL", "phd", True, False)
    assert list(profile.research_areas.values_list("name", flat=True)) == ["Reinforcement learning"]
    assert profile.cv.read() == real_pdf()
    assert "reinforcement learning" in profile.search_text and "phd student in rl" in profile.search_text
    download = client.get("/icml2026/recruitment/cv/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == real_pdf()
    assert download["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xd8\xff\xe0 a JPEG named cv.pdf", "Your CV must be a PDF file."),
    (b"%PDF-1.4 but nothing else", "Your CV could not be read as a PDF. Export it again and retry."),
])
def test_a_cv_that_is_not_a_pdf_is_refused_and_nothing_changes(client, conference, attendee, content, message):
    response = client.post(PROFILE_URL, {**form_data(), "cv_upload": SimpleUploadedFile("cv.pdf", content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


def test_a_cv_over_5_mb_is_refused(client, conference, attendee):
    big = real_pdf() + b"%" * (5 * 1024 * 1024)
    response = client.post(PROFILE_URL, {**form_data(), "cv_upload": SimpleUploadedFile("cv.pdf", big)})
    assert "Your CV is larger than 5 MB; upload a smaller PDF." in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


def test_a_link_must_be_a_web_address(client, conference, attendee):
    response = client.post(PROFILE_URL, form_data(github_url="javascript:alert(1)"))
    assert response.status_code == 200
    assert RecruitmentProfile.objects.count() == 0


def test_deleting_the_cv_removes_the_file_and_stops_sharing_it(client, conference, attendee, terms, sponsors,
                                                               django_capture_on_commit_callbacks):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": SimpleUploadedFile("cv.pdf", real_pdf())})
    profile = RecruitmentProfile.objects.get()
    services.opt_in(profile, share_cv=True, share_email=False, share_links=True)
    name, storage = profile.cv.name, profile.cv.storage
    assert storage.exists(name) and access.visibility(sponsors["acme"], profile).cv is True
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/icml2026/recruitment/cv/remove/")
    profile.refresh_from_db()
    assert (bool(profile.cv), profile.share_cv) == (False, False)
    assert storage.exists(name) is False
    assert access.visibility(sponsors["acme"], profile).cv is False


def test_replacing_the_cv_deletes_the_old_file(client, conference, attendee, django_capture_on_commit_callbacks):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": SimpleUploadedFile("cv.pdf", real_pdf())})
    first = RecruitmentProfile.objects.get().cv.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE_URL, {**form_data(), "cv_upload": SimpleUploadedFile("new.pdf", real_pdf())})
    profile = RecruitmentProfile.objects.get()
    assert profile.cv.name != first and profile.cv.storage.exists(first) is False


def test_the_profile_shows_the_attendees_papers_matched_by_email_only(client, conference, attendee):
    mine = PaperFactory(conference=conference, title="Offline RL in Seoul")
    AuthorshipFactory(paper=mine, author=AuthorFactory(conference=conference, name="Someone",
                                                       openreview_id="", email=attendee.email.upper()))
    namesake = PaperFactory(conference=conference, title="A namesake's paper")
    AuthorshipFactory(paper=namesake, author=AuthorFactory(conference=conference, name=attendee.get_full_name()))
    client.post(PROFILE_URL, form_data())
    html = client.get(PROFILE_URL).content.decode()
    assert "Offline RL in Seoul" in html and "A namesake&#x27;s paper" not in html and "namesake" not in html


# --- Consent screen ----------------------------------------------------------------------------

@pytest.fixture
def profile(client, conference, attendee):
    client.post(PROFILE_URL, form_data())
    return RecruitmentProfile.objects.get(user=attendee)


def test_the_consent_screen_names_exactly_the_sponsors_with_access(client, profile, terms, sponsors):
    html = client.get(SHARE_URL).content.decode()
    assert "<td>Acme</td>" in html and "<td>Globex</td>" in html
    assert "Bronzer" not in html and "Elsewhere" not in html
    assert "Terms (version 2026-1)" in html


def test_opting_in_with_an_exclusion_is_recorded_in_the_ledger(client, profile, terms, sponsors):
    response = client.post(SHARE_URL, {"action": "opt_in", "share_links": "on", "share_email": "on",
                                       "excluded": [sponsors["globex"].pk], "new_sponsors_need_approval": "on"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.opted_in, profile.share_email, profile.share_links, profile.share_cv) == (True, True, True, False)
    record = ConsentRecord.objects.get(user=profile.user)
    assert (record.action, record.text.version) == ("granted", "2026-1")
    assert record.scope["recipients"] == [{"id": sponsors["acme"].pk, "name": "Acme"}]
    assert record.scope["excluded"] == [{"id": sponsors["globex"].pk, "name": "Globex"}]
    assert access.visibility(sponsors["globex"], profile) == access.NOTHING
    assert access.visibility(sponsors["acme"], profile).profile is True


def test_excluding_a_sponsor_without_access_is_refused(client, profile, terms, sponsors):
    response = client.post(SHARE_URL, {"action": "opt_in", "share_links": "on", "excluded": [sponsors["bronzer"].pk]})
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.opted_in is False and ConsentRecord.objects.count() == 0


def test_without_published_terms_nothing_can_be_shared(client, profile, sponsors):
    html = client.get(SHARE_URL).content.decode()
    assert "the organisers have not published its terms" in html
    client.post(SHARE_URL, {"action": "opt_in", "share_links": "on"})
    profile.refresh_from_db()
    assert profile.opted_in is False


def test_stopping_sharing_hides_the_profile_at_once(client, profile, terms, sponsors):
    client.post(SHARE_URL, {"action": "opt_in", "share_links": "on"})
    client.post(SHARE_URL, {"action": "opt_out"})
    profile.refresh_from_db()
    assert profile.opted_in is False
    assert list(ConsentRecord.objects.order_by("id").values_list("action", flat=True)) == ["granted", "withdrawn"]
    assert access.visibility(sponsors["acme"], profile) == access.NOTHING


def test_a_sponsor_gaining_access_later_waits_for_the_attendees_answer(client, profile, terms, sponsors, conference):
    client.post(SHARE_URL, {"action": "opt_in", "share_links": "on", "new_sponsors_need_approval": "on"})
    latecomer = SponsorFactory(conference=conference, name="Initech", tier=sponsors["acme"].tier)
    html = client.get(SHARE_URL).content.decode()
    assert "Sponsors that gained access since you chose" in html and "Initech" in html
    assert access.visibility(latecomer, profile) == access.NOTHING
    client.post(SHARE_URL, {"action": "accept", "sponsor": latecomer.pk})
    assert access.visibility(latecomer, profile).profile is True
    assert SponsorDecision.objects.get(profile=profile, sponsor=latecomer).decision == "accepted"


@pytest.mark.parametrize("sponsor", ["abc", "999999", ""])
def test_a_bad_sponsor_choice_gets_a_message_and_changes_nothing(client, profile, terms, sponsors, sponsor):
    client.post(SHARE_URL, {"action": "opt_in", "share_links": "on"})
    before = ConsentRecord.objects.count()
    response = client.post(SHARE_URL, {"action": "exclude", "sponsor": sponsor}, follow=True)
    assert response.status_code in (200, 404)
    assert ConsentRecord.objects.count() == before


# --- Who saw my profile ------------------------------------------------------------------------

def test_the_activity_page_names_sponsors_never_recruiters(client, profile, terms, sponsors):
    recruiter = VerifiedUserFactory(email="recruiter@acme.example", first_name="Rita")
    AccessLogEntry.objects.create(sponsor=sponsors["acme"], user=recruiter, profile=profile, action="view")
    AccessLogEntry.objects.create(sponsor=sponsors["acme"], user=recruiter, profile=profile, action="cv", channel="api")
    html = client.get(ACTIVITY_URL).content.decode()
    assert f'<h2 id="s{sponsors["acme"].pk}">Acme</h2>' in html
    assert "viewed the profile" in html and "downloaded the CV" in html and "API" in html
    assert "recruiter@acme.example" not in html and "Rita" not in html

def test_the_activity_page_takes_the_same_queries_for_few_and_many_reads(client, profile, terms, sponsors):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    recruiter = VerifiedUserFactory()
    AccessLogEntry.objects.create(sponsor=sponsors["acme"], user=recruiter, profile=profile, action="view")
    with CaptureQueriesContext(connection) as few:
        client.get(ACTIVITY_URL)
    AccessLogEntry.objects.bulk_create([AccessLogEntry(sponsor=sponsors["acme"], user=recruiter, profile=profile,
                                                       action="export") for _ in range(30)])
    with CaptureQueriesContext(connection) as many:
        client.get(ACTIVITY_URL)
    assert len(few) == len(many) == 6
