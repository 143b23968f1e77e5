"""The consent screen (sponsors.views.attendee.share): the named recipients, the terms, the choices, the
ledger, stopping, and sponsors that gain access later."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from confsite.models import ConsentRecord, ConsentText
from sponsors import access, services
from sponsors.models import RecruitmentProfile, SponsorDecision
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.sponsors import RecruitmentProfileFactory, SponsorFactory, TierFactory

from .attendee_fixtures import *  # noqa: F403 - fixtures
from .attendee_fixtures import PROFILE_URL, SHARE_URL, form_data, real_pdf, upload

pytestmark = pytest.mark.django_db


def opt_in(client, **choices):
    return client.post(SHARE_URL, {"action": "opt_in", "share_links": "on", **choices})


def last_message(response) -> str:
    """The message this request added (earlier ones from unfollowed redirects come first)."""
    return [str(m) for m in response.context["messages"]][-1]


# --- Access ------------------------------------------------------------------------------------

def test_it_sends_an_attendee_without_a_profile_to_fill_it_first(client, conference, attendee, terms):
    response = client.get(SHARE_URL, follow=True)
    assert response.redirect_chain == [(PROFILE_URL, 302)]
    assert last_message(response) == "Fill in your recruitment profile first; then choose what to share."


def test_a_post_from_an_attendee_without_a_profile_changes_nothing(client, conference, attendee, terms, sponsors):
    response = opt_in(client)
    assert response.status_code == 302 and response["Location"] == PROFILE_URL
    assert (RecruitmentProfile.objects.count(), ConsentRecord.objects.count()) == (0, 0)


def test_it_shows_only_the_attendees_own_choices(client, profile, terms, sponsors):
    other = RecruitmentProfileFactory(conference=profile.conference)
    services.opt_in(other, share_cv=False, share_email=True, share_links=True, excluded=[sponsors["globex"]])
    html = client.get(SHARE_URL).content.decode()
    assert "Your profile is not shared." in html and "Your choices so far" not in html
    assert f'<input type="checkbox" name="excluded" value="{sponsors["globex"].pk}" id="id_excluded_1">' in html
    assert '<input type="checkbox" name="share_email" id="id_share_email">' in html


# --- The recipients and the terms --------------------------------------------------------------

def test_the_consent_screen_names_exactly_the_sponsors_with_access(client, profile, terms, sponsors):
    acme_tier = sponsors["acme"].tier
    acme_tier.access_from = datetime(2036, 6, 1, 0, 0, tzinfo=UTC)
    acme_tier.access_until = datetime(2036, 9, 30, 14, 59, tzinfo=UTC)
    acme_tier.save()
    html = client.get(SHARE_URL).content.decode()
    # The access window in the edition's zone (Asia/Seoul, UTC+9).
    assert ("<tr><td>Acme</td><td>Gold</td><td>profiles and CVs</td>\n"
            "        <td>1 Jun 2036 09:00 – 30 Sep 2036 23:59 (Asia/Seoul)</td>\n        </tr>") in html
    assert "<tr><td>Globex</td><td>Silver</td><td>profiles</td>" in html
    assert "Bronzer" not in html and "Elsewhere" not in html
    assert "Terms (version 2026-1)" in html and "I share my profile with the sponsors named below." in html
    assert [s.name for s in client.get(SHARE_URL).context["recipients"]] == ["Acme", "Globex"]


def test_a_sponsor_whose_window_has_ended_is_not_named(client, profile, terms, sponsors):
    ended = TierFactory(conference=profile.conference, name="Past", access_from=datetime(2025, 1, 1, tzinfo=UTC),
                        access_until=datetime(2025, 2, 1, tzinfo=UTC))
    SponsorFactory(conference=profile.conference, name="Oldco", tier=ended)
    assert "Oldco" not in client.get(SHARE_URL).content.decode()


def test_the_cv_choice_is_offered_only_with_a_cv(client, profile, terms, sponsors):
    html = client.get(SHARE_URL).content.decode()
    assert '<input type="checkbox" name="share_cv" disabled' in html
    assert "Upload a CV on your profile first." in html
    opt_in(client, share_cv="on")
    profile.refresh_from_db()
    assert (profile.opted_in, profile.share_cv) == (True, False)


def test_the_newest_terms_are_shown_and_recorded(client, profile, terms, sponsors):
    newer = ConsentText.objects.create(conference=profile.conference, purpose="recruitment", version="2026-2",
                                       text="Revised terms.")
    assert "Terms (version 2026-2)" in client.get(SHARE_URL).content.decode()
    opt_in(client)
    assert ConsentRecord.objects.get().text == newer


def test_without_published_terms_nothing_can_be_shared(client, profile, sponsors):
    html = client.get(SHARE_URL).content.decode()
    assert "Sharing with sponsors is not open yet: the organisers have not published its terms." in html
    assert "Share my profile with these sponsors" not in html
    response = opt_in(client)
    assert last_message(response) == "Sharing with sponsors is not open yet: the organisers have not published its terms."
    profile.refresh_from_db()
    assert profile.opted_in is False and ConsentRecord.objects.count() == 0


# --- Opting in -------------------------------------------------------------------------------

def test_opting_in_with_an_exclusion_is_recorded_in_the_ledger(client, profile, terms, sponsors):
    client.post(PROFILE_URL, {**form_data(), "cv_upload": upload(real_pdf())})
    response = opt_in(client, share_email="on", share_cv="on", excluded=[sponsors["globex"].pk],
                      new_sponsors_need_approval="on")
    assert response.status_code == 302 and response["Location"] == SHARE_URL
    profile.refresh_from_db()
    assert (profile.opted_in, profile.share_email, profile.share_links, profile.share_cv) == (True, True, True, True)
    record = ConsentRecord.objects.get(user=profile.user)
    assert (record.action, record.purpose, record.conference, record.text.version) == (
        "granted", "recruitment", profile.conference, "2026-1")
    assert record.scope == {"recipients": [{"id": sponsors["acme"].pk, "name": "Acme"}],
                            "excluded": [{"id": sponsors["globex"].pk, "name": "Globex"}],
                            "share": {"cv": True, "email": True, "links": True},
                            "new_sponsors_need_approval": True}
    assert access.visibility(sponsors["globex"], profile) == access.NOTHING
    assert access.visibility(sponsors["acme"], profile) == access.Visibility(True, True, True, True)


def test_the_screen_shows_each_recipients_state_after_opting_in(client, profile, terms, sponsors):
    opt_in(client, excluded=[sponsors["globex"].pk])
    html = client.get(SHARE_URL).content.decode()
    assert "Your profile is shared." in html
    assert "<td>Acme</td>" in html and "<td>can see your profile</td>" in html and "<td>excluded</td>" in html
    assert f'<input type="checkbox" name="excluded" value="{sponsors["globex"].pk}" id="id_excluded_1" checked>' \
        in html


def test_choosing_again_replaces_the_exclusions(client, profile, terms, sponsors):
    opt_in(client, excluded=[sponsors["globex"].pk])
    opt_in(client, excluded=[sponsors["acme"].pk])
    assert dict(SponsorDecision.objects.values_list("sponsor__name", "decision")) == {
        "Acme": "excluded", "Globex": "accepted"}
    assert access.visibility(sponsors["acme"], profile) == access.NOTHING
    assert access.visibility(sponsors["globex"], profile).profile is True
    assert ConsentRecord.objects.filter(action="granted").count() == 2


@pytest.mark.parametrize("who", ["bronzer", "elsewhere", "abc", "9" * 30])
def test_excluding_a_sponsor_that_is_not_named_is_refused(client, profile, terms, sponsors, who):
    response = opt_in(client, excluded=[sponsors[who].pk if who in sponsors else who])
    assert response.status_code == 200
    assert last_message(response) == "Please correct your choices below; nothing was shared."
    profile.refresh_from_db()
    assert profile.opted_in is False and ConsentRecord.objects.count() == 0


# --- Stopping ----------------------------------------------------------------------------------

def test_stopping_sharing_hides_the_profile_at_once(client, profile, terms, sponsors):
    opt_in(client)
    response = client.post(SHARE_URL, {"action": "opt_out"}, follow=True)
    assert last_message(response) == ("You stopped sharing. Sponsors can no longer see your profile or CV; you can "
                                      "share again at any time.")
    profile.refresh_from_db()
    assert profile.opted_in is False
    assert list(ConsentRecord.objects.order_by("id").values_list("action", flat=True)) == ["granted", "withdrawn"]
    assert access.visibility(sponsors["acme"], profile) == access.NOTHING
    assert "Stop sharing" not in response.content.decode()


def test_stopping_when_not_sharing_records_nothing(client, profile, terms, sponsors):
    response = client.post(SHARE_URL, {"action": "opt_out"}, follow=True)
    assert last_message(response) == "Your profile is not shared; there is nothing to stop."
    assert ConsentRecord.objects.count() == 0


def test_stopping_needs_a_post(client, profile, terms, sponsors):
    opt_in(client)
    client.get(SHARE_URL + "?action=opt_out")
    profile.refresh_from_db()
    assert profile.opted_in is True


# --- Sponsors that gain access later -----------------------------------------------------------

@pytest.fixture
def latecomer(sponsors):
    def add():
        return SponsorFactory(conference=sponsors["acme"].conference, name="Initech", tier=sponsors["acme"].tier)
    return add


def test_a_sponsor_gaining_access_later_waits_for_the_attendees_answer(client, profile, terms, sponsors,
                                                                        latecomer):
    opt_in(client, new_sponsors_need_approval="on")
    initech = latecomer()
    html = client.get(SHARE_URL).content.decode()
    assert "Sponsors that gained access since you chose" in html
    assert "Initech (Gold) ·\n  cannot see your profile until you accept" in html
    assert html.count('name="action" value="accept"') == 1
    assert access.visibility(initech, profile) == access.NOTHING
    response = client.post(SHARE_URL, {"action": "accept", "sponsor": initech.pk}, follow=True)
    assert last_message(response) == "Your choice for Initech is saved."
    assert access.visibility(initech, profile).profile is True
    assert SponsorDecision.objects.get(profile=profile, sponsor=initech).decision == "accepted"
    record = ConsentRecord.objects.order_by("-id").first()
    assert (record.action, record.text.version) == ("granted", "2026-1")
    assert [r["name"] for r in record.scope["recipients"]] == ["Acme", "Globex", "Initech"]
    assert "Sponsors that gained access since you chose" not in response.content.decode()


def test_a_latecomer_can_be_excluded(client, profile, terms, sponsors, latecomer):
    opt_in(client, new_sponsors_need_approval="on")
    initech = latecomer()
    client.post(SHARE_URL, {"action": "exclude", "sponsor": initech.pk})
    assert access.visibility(initech, profile) == access.NOTHING
    assert ConsentRecord.objects.order_by("-id").first().scope["excluded"] == [{"id": initech.pk, "name": "Initech"}]


def test_without_approval_a_latecomer_sees_the_profile_until_excluded(client, profile, terms, sponsors, latecomer):
    opt_in(client)  # approval unticked
    initech = latecomer()
    html = client.get(SHARE_URL).content.decode()
    assert "Initech (Gold) ·\n  can see your profile" in html
    assert 'value="accept"' not in html and html.count('name="action" value="exclude"') == 1
    assert access.visibility(initech, profile).profile is True
    client.post(SHARE_URL, {"action": "exclude", "sponsor": initech.pk})
    assert access.visibility(initech, profile) == access.NOTHING


@pytest.mark.parametrize(("sponsor", "message"), [
    ("abc", "Choose a sponsor from the list."),
    ("999999", "Choose a sponsor from the list."),
    ("", "Choose a sponsor from the list."),
    ("9" * 40, "Choose a sponsor from the list."),
    ("elsewhere", "Choose a sponsor from the list."),
    ("bronzer", "That sponsor has no recruitment access at this edition."),
])
def test_a_bad_sponsor_choice_gets_a_message_and_changes_nothing(client, profile, terms, sponsors, sponsor, message):
    opt_in(client)
    before = list(SponsorDecision.objects.values_list("sponsor_id", "decision"))
    value = sponsors[sponsor].pk if sponsor in sponsors else sponsor
    response = client.post(SHARE_URL, {"action": "exclude", "sponsor": value})
    assert response.status_code == 200
    assert last_message(response) == message
    assert ConsentRecord.objects.count() == 1
    assert list(SponsorDecision.objects.values_list("sponsor_id", "decision")) == before


def test_deciding_before_sharing_is_refused(client, profile, terms, sponsors):
    response = client.post(SHARE_URL, {"action": "accept", "sponsor": sponsors["acme"].pk})
    assert last_message(response) == "Share your profile first; then you can choose sponsor by sponsor."
    assert (SponsorDecision.objects.count(), ConsentRecord.objects.count()) == (0, 0)


def test_an_unknown_action_is_refused(client, profile, terms, sponsors):
    response = client.post(SHARE_URL, {"action": "delete_everything"})
    assert last_message(response) == "That action is not available."
    assert ConsentRecord.objects.count() == 0


# --- The record --------------------------------------------------------------------------------

def test_the_history_lists_the_attendees_records_for_this_purpose(client, profile, terms, sponsors):
    opt_in(client, excluded=[sponsors["globex"].pk])
    ConsentRecord.objects.filter(action="granted").update(recorded_at=datetime(2026, 5, 1, 3, 30, tzinfo=UTC))
    client.post(SHARE_URL, {"action": "opt_out"})
    ConsentRecord.objects.filter(action="withdrawn").update(recorded_at=datetime(2026, 5, 2, 3, 30, tzinfo=UTC))
    other_text = ConsentText.objects.create(conference=profile.conference, purpose="photos", version="p1", text="x")
    ConsentRecord.objects.create(user=profile.user, conference=profile.conference, purpose="photos",
                                 action="granted", text=other_text)
    elsewhere = ConferenceFactory(slug="icml2027")
    ConsentRecord.objects.create(user=profile.user, conference=elsewhere, purpose="recruitment", action="withdrawn")
    ConsentRecord.objects.create(user=VerifiedUserFactory(), conference=profile.conference, purpose="recruitment",
                                 action="withdrawn")
    response = client.get(SHARE_URL)
    assert [r.pk for r in response.context["history"]] == list(
        ConsentRecord.objects.filter(user=profile.user, conference=profile.conference, purpose="recruitment")
        .order_by("-recorded_at").values_list("pk", flat=True))
    html = response.content.decode()
    assert "<li>2 May 2026 12:30 · withdrawn</li>" in html
    assert ("<li>1 May 2026 12:30 · granted · terms version 2026-1 · recipients: Acme · excluded: Globex</li>"
            in html)


def test_the_screen_takes_the_same_queries_for_few_and_many_sponsors(client, profile, terms, sponsors,
                                                                       django_assert_num_queries):
    opt_in(client)
    with django_assert_num_queries(11):
        client.get(SHARE_URL)
    for n in range(10):
        SponsorFactory(conference=profile.conference, name=f"Late {n}", tier=sponsors["acme"].tier)
    opt_in(client, excluded=[sponsors["globex"].pk])
    client.post(SHARE_URL, {"action": "opt_out"})
    with django_assert_num_queries(11):
        response = client.get(SHARE_URL)
    assert len(response.context["recipients"]) == 12 and len(response.context["history"]) == 3
