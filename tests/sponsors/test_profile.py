"""The attendee's recruitment profile and own CV (sponsors.views.attendee.profile, own_cv, remove_cv)."""

from __future__ import annotations

import pytest

from sponsors import access, services
from sponsors.models import RecruitmentProfile
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory, TopicFactory
from tests.factories.sponsors import RecruitmentProfileFactory

from .attendee_fixtures import *  # noqa: F403 - fixtures
from .attendee_fixtures import (
    ACTIVITY_URL,
    CV_URL,
    PROFILE_URL,
    REMOVE_CV_URL,
    SHARE_URL,
    form_data,
    real_pdf,
    upload,
)

pytestmark = pytest.mark.django_db

# --- Access ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [PROFILE_URL, SHARE_URL, ACTIVITY_URL, CV_URL])
def test_every_page_needs_a_login(client, conference, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_removing_a_cv_needs_a_login_and_a_post(client, conference, attendee):
    assert client.get(REMOVE_CV_URL).status_code == 405
    client.logout()
    response = client.post(REMOVE_CV_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_unknown_edition_is_404(client, attendee):
    assert client.get("/nope2099/recruitment/").status_code == 404


def test_another_attendees_cv_is_never_reachable(client, conference, attendee):
    other = RecruitmentProfileFactory(conference=conference)
    other.cv.save("cv.pdf", upload(real_pdf(2)), save=True)
    assert client.get(CV_URL).status_code == 404
    # Once the attendee has a CV of their own, the same URL serves theirs, never the other one.
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf(1))})
    response = client.get(CV_URL)
    assert b"".join(response.streaming_content) == real_pdf(1)


def test_another_attendees_profile_is_never_shown_or_changed(client, conference, attendee):
    other = RecruitmentProfileFactory(conference=conference, headline="Someone else's headline")
    html = client.get(PROFILE_URL).content.decode()
    assert "Someone else&#x27;s headline" not in html
    client.post(REMOVE_CV_URL)
    client.post(PROFILE_URL, form_data(headline="Mine"))
    other.refresh_from_db()
    assert other.headline == "Someone else's headline"
    assert RecruitmentProfile.objects.get(user=attendee).headline == "Mine"


def test_the_cv_of_another_edition_is_not_served_here(client, conference, attendee):
    later = RecruitmentProfileFactory(conference=ConferenceFactory(slug="icml2027"), user=attendee)
    later.cv.save("cv.pdf", upload(real_pdf()), save=True)
    assert client.get(CV_URL).status_code == 404
    assert client.get("/icml2027/recruitment/cv/").status_code == 200


# --- Profile and CV ----------------------------------------------------------------------------

def test_it_saves_the_profile_with_areas_and_a_pdf_cv(client, conference, attendee):
    topic = TopicFactory(conference=conference, name="Reinforcement learning")
    response = client.post(PROFILE_URL, {**form_data(research_areas=[topic.pk], graduation_date="2027-06-30"),
                                         "cv_upload": upload(real_pdf())})
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    profile = RecruitmentProfile.objects.get(user=attendee, conference=conference)
    assert (profile.headline, profile.position, profile.wants_internship, profile.opted_in) == (
        "PhD student in RL", "phd", True, False)
    assert str(profile.graduation_date) == "2027-06-30"
    assert list(profile.research_areas.values_list("name", flat=True)) == ["Reinforcement learning"]
    assert profile.cv.read() == real_pdf()
    assert profile.search_text == "phd student in rl phd student seoul reinforcement learning"
    download = client.get(CV_URL)
    assert download.status_code == 200 and b"".join(download.streaming_content) == real_pdf()
    assert (download["Content-Type"], download["Cache-Control"]) == ("application/pdf", "private, no-store")
    assert download["Content-Disposition"] == 'attachment; filename="cv.pdf"'


def test_the_cv_file_lives_in_private_storage_without_a_url(client, conference, attendee):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    profile = RecruitmentProfile.objects.get()
    with pytest.raises(ValueError, match="no public URL"):
        profile.cv.url  # noqa: B018


@pytest.mark.parametrize("value", ["foreign", "abc", "9" * 30, "-1"])
def test_a_research_area_not_of_this_edition_is_refused(client, conference, attendee, value):
    foreign = TopicFactory(conference=ConferenceFactory(slug="icml2027"))
    response = client.post(PROFILE_URL, form_data(research_areas=[foreign.pk if value == "foreign" else value]))
    assert response.status_code == 200
    assert "Please correct the highlighted fields; nothing was saved." in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


@pytest.mark.parametrize(("content", "message"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00 a JPEG named cv.pdf", "Your CV must be a PDF file."),
    (b"%PDF-1.4 but nothing else", "Your CV could not be read as a PDF. Export it again and retry."),
    (b"", "The submitted file is empty."),
])
def test_a_cv_that_is_not_a_pdf_is_refused_and_nothing_changes(client, conference, attendee, content, message):
    response = client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


def test_a_cv_over_5_mb_is_refused(client, conference, attendee):
    big = real_pdf() + b"%" * (5 * 1024 * 1024)
    response = client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(big)})
    assert "Your CV is larger than 5 MB; upload a smaller PDF." in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


def test_a_refused_cv_leaves_the_existing_profile_and_cv_as_they_were(client, conference, attendee):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    before = RecruitmentProfile.objects.get()
    response = client.post(PROFILE_URL, {**form_data(headline="Changed"), "cv_upload": upload(b"GIF89a not a pdf")})
    assert response.status_code == 200
    after = RecruitmentProfile.objects.get()
    assert (after.headline, after.cv.name) == ("PhD student in RL", before.cv.name)
    assert after.cv.read() == real_pdf()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("github_url", "javascript:alert(1)", "Enter a valid URL."),
    ("homepage_url", "ftp://example.org/me", "Enter a web address starting with https://."),
    ("homepage_url", "https://user:secret@example.org/", "Enter the web address without a user name or password."),
    ("scholar_url", "https://evil.example/scholar.google.com", "Enter your Google Scholar address"),
    ("scholar_url", "https://scholar.google.com.evil.example/x", "Enter your Google Scholar address"),
    ("openreview_url", "https://openreview.net.evil.example/profile?id=~A1", "Enter your OpenReview address"),
    ("github_url", "https://gitlab.com/minji", "Enter your GitHub address"),
])
def test_a_link_must_be_a_web_address_of_its_service(client, conference, attendee, field, value, message):
    response = client.post(PROFILE_URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert RecruitmentProfile.objects.count() == 0


def test_links_on_the_services_own_hosts_are_accepted(client, conference, attendee):
    client.post(PROFILE_URL, form_data(scholar_url="https://scholar.google.co.kr/citations?user=abc",
                                       openreview_url="https://openreview.net/profile?id=~Minji_Kim1",
                                       github_url="http://github.com/minji",
                                       homepage_url="https://minji.example.ac.kr/"))
    profile = RecruitmentProfile.objects.get()
    assert (profile.scholar_url, profile.openreview_url, profile.github_url, profile.homepage_url) == (
        "https://scholar.google.co.kr/citations?user=abc", "https://openreview.net/profile?id=~Minji_Kim1",
        "http://github.com/minji", "https://minji.example.ac.kr/")


def test_deleting_the_cv_removes_the_file_and_stops_sharing_it(client, conference, attendee, terms, sponsors,
                                                               django_capture_on_commit_callbacks):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    profile = RecruitmentProfile.objects.get()
    services.opt_in(profile, share_cv=True, share_email=False, share_links=True)
    name, storage = profile.cv.name, profile.cv.storage
    assert storage.exists(name) and access.visibility(sponsors["acme"], profile).cv is True
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REMOVE_CV_URL)
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    profile.refresh_from_db()
    assert (bool(profile.cv), profile.share_cv, profile.opted_in) == (False, False, True)
    assert storage.exists(name) is False
    assert access.visibility(sponsors["acme"], profile) == access.Visibility(True, False, False, True)
    assert client.get(CV_URL).status_code == 404


def test_replacing_the_cv_deletes_the_old_file(client, conference, attendee, django_capture_on_commit_callbacks):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    first = RecruitmentProfile.objects.get().cv.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf(2), "new.pdf")})
    profile = RecruitmentProfile.objects.get()
    assert profile.cv.name != first and profile.cv.storage.exists(first) is False
    assert profile.cv.read() == real_pdf(2)


def test_saving_without_a_new_file_keeps_the_cv(client, conference, attendee):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    name = RecruitmentProfile.objects.get().cv.name
    client.post(PROFILE_URL, form_data(headline="Graduating soon"))
    profile = RecruitmentProfile.objects.get()
    assert (profile.headline, profile.cv.name) == ("Graduating soon", name)


def test_the_profile_shows_the_attendees_papers_matched_by_email_only(client, conference, attendee):
    mine = PaperFactory(conference=conference, title="Offline RL in Seoul")
    AuthorshipFactory(paper=mine, author=AuthorFactory(conference=conference, name="Someone",
                                                       openreview_id="", email=attendee.email.upper()))
    namesake = PaperFactory(conference=conference, title="A namesake's paper")
    AuthorshipFactory(paper=namesake, author=AuthorFactory(conference=conference, name=attendee.get_full_name()))
    client.post(PROFILE_URL, form_data())
    html = client.get(PROFILE_URL).content.decode()
    assert f'<li><a href="/icml2026/programme/papers/{mine.pk}/">Offline RL in Seoul</a></li>' in html
    assert "namesake" not in html
    assert "offline rl in seoul" in RecruitmentProfile.objects.get().search_text


# --- A profile kept from an earlier edition ----------------------------------------------------

@pytest.fixture
def kept(attendee):
    earlier = ConferenceFactory(slug="icml2025", short_name="ICML 2025", start_date="2025-07-13",
                                end_date="2025-07-19")
    rl = TopicFactory(conference=earlier, name="Reinforcement learning", slug="reinforcement-learning")
    old = RecruitmentProfileFactory(conference=earlier, user=attendee, keep_for_next_edition=True,
                                    headline="PhD student in offline RL", position="phd", wants_postdoc=True,
                                    locations="Seoul, remote", github_url="https://github.com/minji")
    old.research_areas.set([rl])
    old.cv.save("cv.pdf", upload(real_pdf(3)), save=True)
    return old


def test_a_kept_profile_pre_fills_the_next_editions_form(client, conference, kept):
    rl = TopicFactory(conference=conference, name="Reinforcement learning", slug="reinforcement-learning")
    TopicFactory(conference=conference, name="Optimisation")
    html = client.get(PROFILE_URL).content.decode()
    assert "This form starts from the profile you kept from ICML 2025." in html
    assert 'value="PhD student in offline RL"' in html
    assert f'name="research_areas" value="{rl.pk}" id="id_research_areas_1" checked>' in html
    assert 'id="id_research_areas_0" checked' not in html  # Optimisation was not among the kept areas
    assert '<input type="checkbox" name="wants_postdoc" id="id_wants_postdoc" checked>' in html
    assert '<input type="checkbox" name="copy_cv" id="id_copy_cv" checked>' in html
    assert "Use the CV from my ICML 2025 profile" in html
    assert RecruitmentProfile.objects.filter(conference=conference).count() == 0


def test_saving_the_pre_filled_form_copies_the_cv_but_not_the_consent(client, conference, kept, terms, sponsors,
                                                                       django_capture_on_commit_callbacks):
    kept.share_cv = kept.share_email = kept.new_sponsors_need_approval = True
    kept.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE_URL, form_data(headline="PhD student in offline RL", copy_cv="on"))
    new = RecruitmentProfile.objects.get(conference=conference)
    assert new.cv.read() == real_pdf(3) and new.cv.name != kept.cv.name
    assert (new.opted_in, new.share_cv, new.share_email, new.keep_for_next_edition) == (False, False, False, False)
    kept.refresh_from_db()
    assert kept.cv.storage.exists(kept.cv.name) is True


def test_unticking_the_copy_leaves_the_new_profile_without_a_cv(client, conference, kept):
    client.post(PROFILE_URL, form_data())
    assert bool(RecruitmentProfile.objects.get(conference=conference).cv) is False


def test_an_uploaded_cv_wins_over_the_kept_one(client, conference, kept):
    client.post(PROFILE_URL, {**form_data(copy_cv="on"), "cv_upload": upload(real_pdf(1))})
    assert RecruitmentProfile.objects.get(conference=conference).cv.read() == real_pdf(1)


def test_a_profile_not_kept_is_not_carried_over(client, conference, kept):
    kept.keep_for_next_edition = False
    kept.save()
    html = client.get(PROFILE_URL).content.decode()
    assert "This form starts from the profile you kept" not in html and "PhD student in offline RL" not in html


def test_someone_elses_kept_profile_is_never_carried_over(client, conference, kept):
    client.force_login(VerifiedUserFactory())
    html = client.get(PROFILE_URL).content.decode()
    assert "PhD student in offline RL" not in html and "Use the CV from" not in html
