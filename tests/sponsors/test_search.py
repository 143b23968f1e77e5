"""The portal's recruitment search: sponsors.queries.search_profiles (filters, keyword, ranking) and
the search page (results, access rules at request time, query counts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F, Value
from django.utils import timezone

from sponsors import queries, services
from sponsors.models import RecruitmentProfile, SponsorDecision
from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, TierFactory

from .recruitment_fixtures import *  # noqa: F403 (the shared fixtures)
from .recruitment_fixtures import mfa_member, paper_by, portal_url, profile_url, share

pytestmark = pytest.mark.django_db


def names(profiles) -> list[str]:
    return [p.user.get_full_name() for p in profiles]


@pytest.fixture
def people(conference, acme, globex, topics):
    """Three attendees with different positions, years, places, job types and areas."""
    return {
        "kim": share(conference, first="Min-ji", last="Kim", headline="PhD student, Müller lab",
                     position=RecruitmentProfile.Position.PHD, graduation_date=date(2027, 6, 1),
                     locations="München, remote", wants_internship=True, areas=[topics["rl"]]),
        "osei": share(conference, first="Kofi", last="Osei", headline="Postdoc in NLP",
                      position=RecruitmentProfile.Position.POSTDOC, graduation_date=date(2024, 9, 1),
                      locations="Accra", wants_internship=False, wants_full_time=True, areas=[topics["nlp"]]),
        "lee": share(conference, first="Ji-ho", last="Lee", headline="Master's student",
                     position=RecruitmentProfile.Position.MASTER, graduation_date=date(2026, 8, 1),
                     locations="Seoul", wants_internship=False, wants_postdoc=True,
                     areas=[topics["rl"], topics["nlp"]]),
    }


def search(sponsor, **filters):
    return names(queries.search_profiles(sponsor, **filters))


# --- search_profiles ------------------------------------------------------------------------

def test_it_filters_by_research_area(acme, people, topics):
    assert sorted(search(acme, areas=[topics["nlp"]])) == ["Ji-ho Lee", "Kofi Osei"]
    assert sorted(search(acme, areas=[topics["rl"].pk])) == ["Ji-ho Lee", "Min-ji Kim"]


def test_it_filters_by_position(acme, people):
    assert search(acme, positions=["postdoc"]) == ["Kofi Osei"]
    assert sorted(search(acme, positions=["postdoc", "master"])) == ["Ji-ho Lee", "Kofi Osei"]


def test_it_filters_by_graduation_year(acme, people):
    assert search(acme, graduation_years=[2027]) == ["Min-ji Kim"]
    assert sorted(search(acme, graduation_years=[2024, 2026])) == ["Ji-ho Lee", "Kofi Osei"]


def test_it_filters_by_location_without_accents_or_capitals(acme, people):
    assert search(acme, locations="munchen") == ["Min-ji Kim"]
    assert search(acme, locations="SEOUL") == ["Ji-ho Lee"]


def test_a_location_filter_does_not_match_other_profile_text(acme, people):
    # "lab" is in Kim's headline (and so in her search text) but not in anyone's locations.
    assert search(acme, locations="lab") == []


def test_it_filters_by_job_type(acme, people):
    assert search(acme, job_types=["internship"]) == ["Min-ji Kim"]
    assert sorted(search(acme, job_types=["full-time", "postdoc"])) == ["Ji-ho Lee", "Kofi Osei"]


def test_filters_combine(acme, people, topics):
    assert search(acme, areas=[topics["rl"]], job_types=["postdoc"]) == ["Ji-ho Lee"]
    assert search(acme, areas=[topics["nlp"]], positions=["phd"]) == []


def test_a_keyword_without_accents_finds_accented_text(acme, people):
    assert search(acme, q="muller") == ["Min-ji Kim"]
    assert search(acme, q="MÜLLER LAB") == ["Min-ji Kim"]


def test_a_word_of_a_paper_title_finds_its_authors_profile(acme, people):
    paper_by(people["osei"], "Tokenizers for Twi and Ewe")
    services.refresh_search_text(people["osei"])
    assert search(acme, q="ewe") == ["Kofi Osei"]


def test_every_keyword_must_match(acme, people):
    assert search(acme, q="postdoc nlp") == ["Kofi Osei"]
    assert search(acme, q="postdoc seoul") == []


def test_without_a_keyword_the_newest_profiles_come_first(acme, people):
    RecruitmentProfile.objects.filter(pk=people["osei"].pk).update(updated_at=timezone.now() + timedelta(hours=1))
    assert search(acme)[0] == "Kofi Osei"
    assert len(search(acme)) == 3


def test_search_sees_only_what_access_allows(conference, acme, globex, initrode, people):
    services.opt_out(people["lee"])
    assert sorted(search(acme)) == ["Kofi Osei", "Min-ji Kim"]
    assert search(initrode) == []
    outside = acme.tier.access_until + timedelta(seconds=1)
    assert names(queries.search_profiles(acme, at=outside)) == []


def test_an_excluded_sponsor_and_an_unapproved_latecomer_find_nothing(conference, acme, globex):
    share(conference, first="Ana", last="Silva", excluded=[globex])
    latecomer = SponsorFactory(conference=conference, tier=acme.tier, name="Latecomer")
    assert search(acme) == ["Ana Silva"]
    assert search(globex) == []
    assert search(latecomer) == []


def test_another_editions_profiles_are_never_found(conference, acme):
    other = ConferenceFactory(slug="icml2027")
    from confsite.models import ConsentText

    ConsentText.objects.create(conference=other, purpose="recruitment", version="1", text="Share.")
    other_sponsor = SponsorFactory(conference=other, tier=TierFactory(conference=other), name="Acme 2027")
    share(other, first="Next", last="Year")
    assert search(acme) == []
    assert search(other_sponsor) == ["Next Year"]


@pytest.mark.postgres
def test_on_postgresql_keywords_are_ranked_and_use_the_full_text_index(conference, acme):
    share(conference, first="Once", last="Mentioned", headline="graph networks")
    share(conference, first="Twice", last="Mentioned", headline="graph networks for graph data")
    share(conference, first="Not", last="Matching", headline="vision")
    found = list(queries.search_profiles(acme, q="Graph"))
    assert names(found) == ["Twice Mentioned", "Once Mentioned"]
    assert found[0].rank > found[1].rank
    # The condition alone (as search_profiles writes it) can be answered from the GIN index of migration 0002.
    condition = queries.TextMatches(queries.ProfileVector(F("search_text")), queries.PlainQuery(Value("graph")))
    sql, params = RecruitmentProfile.objects.filter(condition).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "sponsors_profile_search_fts" in plan


@pytest.mark.postgres
def test_on_postgresql_whole_words_match_accent_insensitively(conference, acme):
    share(conference, first="Jürgen", last="Schmidt", headline="Étude des réseaux")
    assert search(acme, q="etude reseaux") == ["Jürgen Schmidt"]
    assert search(acme, q="etu") == []


# --- the search page -------------------------------------------------------------------------

def test_the_page_lists_what_the_list_shows(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    response = client.get(portal_url("sponsor_portal_search", acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 profile" in html
    # No name and no address in the list: a list read is not logged; the profile view is.
    assert "Min-ji" not in html
    assert "PhD student in probabilistic ML" in html
    assert "Seoul, München" in html
    assert "graduating 2027" in html
    assert "looking for internship" in html
    assert "Reinforcement learning" in html
    assert "1 paper here" in html
    assert profile_url(acme, minji) in html
    assert "minji@kaist.example" not in html


def test_the_page_applies_the_filters(client, acme, recruiter, people):
    client.force_login(recruiter.user)
    response = client.get(portal_url("sponsor_portal_search", acme), {"q": "muller", "job_type": "internship",
                                                                      "area": "rl", "graduation_year": "2027"})
    assert [p.user.get_full_name() for p in response.context["page"].object_list] == ["Min-ji Kim"]


def test_invalid_filters_say_so_and_show_no_results(client, acme, recruiter, people):
    client.force_login(recruiter.user)
    response = client.get(portal_url("sponsor_portal_search", acme), {"area": "no-such-area", "graduation_year": "x"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Correct the filters marked above" in response.content.decode()


def test_the_page_refuses_anonymous_visitors(client, acme):
    response = client.get(portal_url("sponsor_portal_search", acme))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_attendee_or_another_sponsors_member_gets_404(client, acme, globex_recruiter, user):
    client.force_login(user)
    assert client.get(portal_url("sponsor_portal_search", acme)).status_code == 404
    client.force_login(globex_recruiter.user)
    assert client.get(portal_url("sponsor_portal_search", acme)).status_code == 404


def test_a_tier_without_recruitment_access_sees_a_clear_page_and_no_data(client, initrode, initrode_recruiter, minji):
    client.force_login(initrode_recruiter.user)
    response = client.get(portal_url("sponsor_portal_search", initrode))
    assert response.status_code == 403
    html = response.content.decode()
    assert "does not include access to the recruitment database" in html
    assert "Min-ji" not in html


def test_outside_the_window_the_page_says_when_and_shows_no_data(client, acme, recruiter, minji):
    acme.tier.access_from = timezone.now() + timedelta(days=2)
    acme.tier.access_until = timezone.now() + timedelta(days=30)
    acme.tier.save()
    client.force_login(recruiter.user)
    response = client.get(portal_url("sponsor_portal_search", acme))
    assert response.status_code == 403
    assert "opens on" in response.content.decode()
    assert "Min-ji" not in response.content.decode()
    acme.tier.access_from = timezone.now() - timedelta(days=30)
    acme.tier.access_until = timezone.now() - timedelta(days=1)
    acme.tier.save()
    response = client.get(portal_url("sponsor_portal_search", acme))
    assert response.status_code == 403
    assert "closed on" in response.content.decode()


def test_an_attendee_who_opts_out_is_gone_from_the_next_request(client, acme, recruiter, minji):
    client.force_login(recruiter.user)
    assert client.get(portal_url("sponsor_portal_search", acme)).context["page"].paginator.count == 1
    services.opt_out(minji)
    response = client.get(portal_url("sponsor_portal_search", acme))
    assert response.context["page"].paginator.count == 0
    assert "Min-ji" not in response.content.decode()


def test_an_excluded_sponsor_and_an_unapproved_latecomer_see_nothing_on_the_page(client, conference, acme, globex,
                                                                                 globex_recruiter):
    ana = share(conference, first="Ana", last="Silva", excluded=[globex])
    latecomer = SponsorFactory(conference=conference, tier=acme.tier, name="Latecomer", slug="latecomer")
    late_recruiter = mfa_member(latecomer)
    client.force_login(globex_recruiter.user)
    assert profile_url(globex, ana) not in client.get(portal_url("sponsor_portal_search", globex)).content.decode()
    client.force_login(late_recruiter.user)
    page = portal_url("sponsor_portal_search", latecomer)
    assert profile_url(latecomer, ana) not in client.get(page).content.decode()
    services.decide(RecruitmentProfile.objects.get(user__last_name="Silva"), latecomer,
                    SponsorDecision.Decision.ACCEPTED)
    assert profile_url(latecomer, ana) in client.get(page).content.decode()


def _many(conference, topics, count, start=0):
    for n in range(start, start + count):
        profile = share(conference, first=f"Person{n}", last="Test", cv=False, areas=list(topics.values()),
                        email=f"person-{n}@uni.example")
        paper_by(profile, f"Paper {n} on graphs")
        services.refresh_search_text(profile)


def test_the_page_costs_the_same_queries_for_3_and_20_profiles(client, conference, acme, recruiter, topics,
                                                               django_assert_num_queries):
    client.force_login(recruiter.user)
    url = portal_url("sponsor_portal_search", acme)
    params = {"q": "graphs", "area": ["rl", "nlp"], "location": "", "job_type": "internship"}
    _many(conference, topics, 3)
    client.get(url, params)  # warm the session and the content types
    with django_assert_num_queries(14) as small:
        response = client.get(url, params)
    assert response.context["page"].paginator.count == 3
    _many(conference, topics, 17, start=3)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert response.context["page"].paginator.count == 20
    assert "1 paper here" in response.content.decode()
