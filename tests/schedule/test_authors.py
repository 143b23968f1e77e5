"""Which papers belong to a person: by OpenReview id or e-mail, never by name, within one edition."""

from pathlib import Path

import pytest

from schedule.importing import import_papers, load_mapping, read_records
from schedule.models import Author
from schedule.queries import authors_matching, papers_for_person
from tests.factories import ConferenceFactory
from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory

pytestmark = pytest.mark.django_db


def paper_by(conference, title, *authors):
    paper = PaperFactory(conference=conference, title=title)
    for position, author in enumerate(authors, start=1):
        AuthorshipFactory(paper=paper, author=author, position=position)
    return paper


@pytest.fixture
def two_wei_zhangs(conference):
    first = AuthorFactory(conference=conference, name="Wei Zhang", openreview_id="~Wei_Zhang3",
                          email="wei.zhang@tsinghua.edu.cn")
    second = AuthorFactory(conference=conference, name="Wei Zhang", openreview_id="~Wei_Zhang7")
    paper_by(conference, "Bandits", second)
    paper_by(conference, "Attention", first)
    paper_by(conference, "Diffusion", AuthorFactory(conference=conference, name="Minji Kim"), first)
    return first, second


def titles(papers):
    return [p.title for p in papers]


def test_it_finds_a_persons_papers_by_openreview_id(conference, two_wei_zhangs):
    assert titles(papers_for_person(conference, openreview_ids=["~Wei_Zhang3"])) == ["Attention", "Diffusion"]
    assert titles(papers_for_person(conference, openreview_ids=["~Wei_Zhang7"])) == ["Bandits"]


def test_it_finds_a_persons_papers_by_email_in_any_case(conference, two_wei_zhangs):
    papers = papers_for_person(conference, emails=["  Wei.Zhang@TSINGHUA.edu.cn "])

    assert titles(papers) == ["Attention", "Diffusion"]


def test_it_never_matches_on_a_name(conference, two_wei_zhangs):
    assert list(authors_matching(conference, openreview_ids=["Wei Zhang"], emails=["Wei Zhang"])) == []
    assert list(papers_for_person(conference, openreview_ids=["Wei Zhang"])) == []
    # Same name, different ids: two people.
    assert Author.objects.filter(conference=conference, name="Wei Zhang").count() == 2
    assert list(authors_matching(conference, openreview_ids=["~Wei_Zhang7"])) == [two_wei_zhangs[1]]


def test_it_finds_nothing_without_identifiers(conference, two_wei_zhangs):
    assert list(papers_for_person(conference)) == []
    assert list(papers_for_person(conference, openreview_ids=["", "  "], emails=[""])) == []


def test_it_joins_a_persons_id_and_email_identities_without_duplicates(conference):
    by_id = AuthorFactory(conference=conference, name="Hana Lee", openreview_id="~Hana_Lee1")
    by_mail = AuthorFactory(conference=conference, name="Hana Lee", openreview_id="", email="hana@kaist.ac.kr")
    paper_by(conference, "One", by_id)
    paper_by(conference, "Two", by_mail)
    paper_by(conference, "Both", by_id, by_mail)

    papers = papers_for_person(conference, openreview_ids=["~Hana_Lee1"], emails=["HANA@kaist.ac.kr"])

    assert titles(papers) == ["Both", "One", "Two"]


def test_it_is_scoped_to_the_edition(conference, two_wei_zhangs):
    last_year = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    paper_by(last_year, "Old paper", AuthorFactory(conference=last_year, name="Wei Zhang", openreview_id="~Wei_Zhang3"))

    assert titles(papers_for_person(conference, openreview_ids=["~Wei_Zhang3"])) == ["Attention", "Diffusion"]
    assert titles(papers_for_person(last_year, openreview_ids=["~Wei_Zhang3"])) == ["Old paper"]


@pytest.mark.parametrize("extra", [1, 10])
def test_it_reads_papers_with_their_authors_in_two_queries(conference, django_assert_num_queries, extra):
    person = AuthorFactory(conference=conference, openreview_id="~Person_1")
    for n in range(extra):
        paper_by(conference, f"Paper {n:02d}", AuthorFactory(conference=conference), person)

    with django_assert_num_queries(2):
        listing = [(p.title, [a.author.openreview_id for a in p.authorships.all()])
                   for p in papers_for_person(conference, openreview_ids=["~Person_1"])]

    assert len(listing) == extra
    assert listing[0][1][1] == "~Person_1"  # in author order


def test_it_finds_the_papers_of_an_imported_author(conference):
    mapping = load_mapping()
    data = (Path(__file__).parent / "data" / "openreview.json").read_bytes()
    import_papers(conference, read_records(data, "json", mapping), mapping)

    assert titles(papers_for_person(conference, openreview_ids=["~Wei_Zhang3"])) == [
        "Poster on Diffusion", "Sparse Attention at Scale"]
    assert titles(papers_for_person(conference, emails=["JOSE.ALVAREZ@upm.es"])) == ["Sparse Attention at Scale"]


def test_an_authors_public_face_carries_neither_identifier(conference, two_wei_zhangs):
    author = two_wei_zhangs[0]

    # Public pages show `str(author)` and link by `code`; neither is derived from the private identifiers.
    assert str(author) == "Wei Zhang"
    assert len(author.code) == 10
    for secret in ("~Wei_Zhang3", "Wei_Zhang3", "wei.zhang@tsinghua.edu.cn", "tsinghua"):
        assert secret.lower() not in f"{author} {author.code}".lower()
