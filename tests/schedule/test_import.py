"""Importing accepted papers: mappings, row errors, dry runs, idempotent re-imports, the command and the admin page."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from schedule import caching, importing
from schedule.importing import FieldMapping, ImportFileError, RowError, load_mapping, read_records
from schedule.models import Author, Authorship, Paper, Topic
from tests.factories import ConferenceFactory, VerifiedUserFactory
from tests.factories.schedule import AuthorFactory, AuthorshipFactory, PaperFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def records(name, mapping=None, fmt=None):
    mapping = mapping or load_mapping()
    return read_records((DATA / name).read_bytes(), fmt or name.rsplit(".", 1)[1], mapping)


def run(conference, name="openreview.json", mapping=None, **kwargs):
    mapping = mapping or load_mapping()
    return importing.import_papers(conference, records(name, mapping), mapping, **kwargs)


def run_json(conference, items, mapping=None, **kwargs):
    mapping = mapping or load_mapping()
    return importing.import_papers(conference, read_records(json.dumps(items).encode(), "json", mapping), mapping,
                                   **kwargs)


def authors_of(conference, external_id):
    paper = Paper.objects.get(conference=conference, external_id=external_id)
    return [(a.author.name, a.author.openreview_id, a.author.email, a.affiliation)
            for a in paper.authorships.select_related("author").order_by("position")]


def sample():
    return json.loads((DATA / "openreview.json").read_text())


# --- The OpenReview-like JSON export -----------------------------------------------------------

def test_it_imports_the_good_rows_of_an_openreview_export(conference):
    report = run(conference)

    assert report.created == ["Hx4kQ1aB", "Kp9sT2cD", "Lm3vU4eF"]
    assert (report.rows, report.updated, report.unchanged) == (6, {}, [])
    assert sorted(Paper.objects.filter(conference=conference).values_list("external_id", flat=True)) == [
        "Hx4kQ1aB", "Kp9sT2cD", "Lm3vU4eF"]
    assert authors_of(conference, "Hx4kQ1aB") == [
        ("Wei Zhang", "~Wei_Zhang3", "", "Tsinghua University"),
        ("Minji Kim", "~Minji_Kim1", "", "KAIST"),
        ("José Álvarez", "", "jose.alvarez@upm.es", "Universidad Politécnica de Madrid"),
    ]
    assert authors_of(conference, "Kp9sT2cD") == [
        ("Wei Zhang", "~Wei_Zhang7", "", "Peking University"),
        ("김서연", "~Seoyeon_Kim2", "", "서울대학교"),
    ]


def test_it_reports_each_bad_row_with_its_row_id_field_and_message(conference):
    report = run(conference)

    assert report.errors == [
        RowError(4, "Nq5wV6gH", "authorids", "author 1 (Anonymous Person) has neither an OpenReview profile id "
                 "nor an e-mail address; authors are matched only by these, never by name."),
        RowError(5, "Pr7xW8iJ", "decision", "“Reject” is not an accepted paper's decision (oral, spotlight or "
                 "poster); only accepted papers are imported."),
        RowError(6, "Rs9yX0kL", "title", "no title given."),
    ]
    assert str(report.errors[2]) == "row 6 (Rs9yX0kL), title: no title given."


def test_it_merges_authors_by_openreview_id_and_never_by_name(conference):
    run(conference)

    assert Author.objects.filter(conference=conference, name="Wei Zhang").count() == 2
    assert Author.objects.filter(conference=conference).count() == 5
    wei3 = Author.objects.get(conference=conference, openreview_id="~Wei_Zhang3")
    assert sorted(wei3.papers.values_list("external_id", flat=True)) == ["Hx4kQ1aB", "Lm3vU4eF"]
    wei7 = Author.objects.get(conference=conference, openreview_id="~Wei_Zhang7")
    assert list(wei7.papers.values_list("external_id", flat=True)) == ["Kp9sT2cD"]


def test_it_sets_decision_keywords_topics_and_links(conference):
    run(conference)

    paper = Paper.objects.get(conference=conference, external_id="Hx4kQ1aB")
    assert (paper.decision, paper.keywords) == ("oral", "attention, sparsity")
    assert (paper.openreview_url, paper.arxiv_url) == ("https://openreview.net/forum?id=Hx4kQ1aB",
                                                        "https://arxiv.org/abs/2601.01234")
    assert list(paper.topics.values_list("name", "slug")) == [("Deep Learning", "deep-learning")]
    assert Paper.objects.get(external_id="Kp9sT2cD").decision == "spotlight"
    assert Paper.objects.get(external_id="Lm3vU4eF").decision == "poster"
    assert sorted(Topic.objects.filter(conference=conference).values_list("name", flat=True)) == [
        "Deep Learning", "Reinforcement Learning"]


def test_it_refreshes_the_folded_search_text(conference):
    run(conference)

    assert Paper.objects.get(external_id="Hx4kQ1aB").search_text == (
        "sparse attention at scale attention, sparsity wei zhang minji kim jose alvarez deep learning")


def test_it_bumps_the_page_cache_once_committed(conference, django_capture_on_commit_callbacks):
    before = caching.generation(conference.pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run(conference)

    assert len(callbacks) == 1
    assert caching.generation(conference.pk) > before


def test_it_does_nothing_twice_when_the_same_file_is_imported_again(conference):
    run(conference)
    authorship_ids = sorted(Authorship.objects.values_list("pk", flat=True))

    report = run(conference)

    assert (report.created, report.updated, report.unchanged) == ([], {}, ["Hx4kQ1aB", "Kp9sT2cD", "Lm3vU4eF"])
    assert (report.authors_created, report.authors_updated, report.authors_removed, report.topics_created) == (
        0, 0, 0, [])
    assert Paper.objects.count() == 3
    assert Author.objects.count() == 5
    assert sorted(Authorship.objects.values_list("pk", flat=True)) == authorship_ids


def test_it_updates_a_changed_paper_and_replaces_its_author_list(conference):
    run(conference)
    items = sample()
    items[0]["title"] = "Sparse Attention at Larger Scale"
    items[0]["authors"] = ["Minji Kim", "Wei Zhang"]
    items[0]["authorids"] = ["~Minji_Kim1", "~Wei_Zhang3"]
    items[0]["affiliations"] = ["KAIST", "Tsinghua University"]

    report = run_json(conference, items)

    assert report.updated == {"Hx4kQ1aB": ["title", "authors"]}
    assert report.unchanged == ["Kp9sT2cD", "Lm3vU4eF"]
    assert authors_of(conference, "Hx4kQ1aB") == [("Minji Kim", "~Minji_Kim1", "", "KAIST"),
                                                  ("Wei Zhang", "~Wei_Zhang3", "", "Tsinghua University")]
    # José was only on this paper: no longer anybody's author, so gone.
    assert report.authors_removed == 1
    assert not Author.objects.filter(email="jose.alvarez@upm.es").exists()
    assert Paper.objects.get(external_id="Hx4kQ1aB").search_text.startswith("sparse attention at larger scale")


def test_it_keeps_an_author_dropped_from_one_paper_who_has_another(conference):
    run(conference)
    items = sample()
    items[2]["authors"], items[2]["authorids"], items[2]["affiliations"] = ["Minji Kim"], ["~Minji_Kim1"], ["KAIST"]

    report = run_json(conference, items)

    assert report.updated == {"Lm3vU4eF": ["authors"]}
    assert report.authors_removed == 0
    assert Author.objects.filter(openreview_id="~Wei_Zhang3").exists()


def test_it_renames_an_author_everywhere_and_refreshes_their_other_papers(conference):
    run(conference)
    items = sample()[1:2]
    items[0]["authors"] = ["Wei Zhang", "Seoyeon Kim"]

    report = run_json(conference, items)

    # The author list (who, in which order, with which affiliation) is the same; the person's name changed.
    assert (report.authors_updated, report.unchanged) == (1, ["Kp9sT2cD"])
    assert Author.objects.get(openreview_id="~Seoyeon_Kim2").search_name == "seoyeon kim"
    assert "seoyeon kim" in Paper.objects.get(external_id="Kp9sT2cD").search_text


def test_it_replaces_topics_and_can_take_them_from_keywords(conference):
    mapping = load_mapping(custom={"topics_from_keywords": True})
    report = run(conference, mapping=mapping)

    assert report.topics_created == ["Deep Learning", "attention", "sparsity", "Reinforcement Learning", "bandits"]
    paper = Paper.objects.get(external_id="Hx4kQ1aB")
    assert sorted(paper.topics.values_list("slug", flat=True)) == ["attention", "deep-learning", "sparsity"]

    report = run(conference)

    assert report.updated == {"Hx4kQ1aB": ["topics"], "Kp9sT2cD": ["topics"]}
    assert list(paper.topics.values_list("slug", flat=True)) == ["deep-learning"]


def test_it_reports_an_id_that_appears_twice_in_the_file(conference):
    items = sample()[:1] * 2

    report = run_json(conference, items)

    assert report.created == ["Hx4kQ1aB"]
    assert report.errors == [RowError(2, "Hx4kQ1aB", "id", "the id “Hx4kQ1aB” appears twice in the file "
                                                           "(first in row 1); this row is skipped.")]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"affiliations": ["KAIST"]}, "affiliations",
     "1 affiliations for 3 authors; give one per author (empty for none) in the same order."),
    ({"authorids": ["~Wei_Zhang3", "~Wei_Zhang3", "x@y.org"]}, "authorids",
     "author 2 (Minji Kim) appears twice in the author list."),
    ({"authorids": ["Wei Zhang", "~Minji_Kim1", "x@y.org"]}, "authorids",
     "“Wei Zhang” (author 1, Wei Zhang) is neither an OpenReview profile id (~Name1) nor an e-mail address."),
    ({"authorids": ["~Wei_Zhang3", "~Minji_Kim1", "not@an@email"]}, "authorids",
     "“not@an@email” (author 3, José Álvarez) is not an e-mail address."),
    ({"authors": []}, "authors", "no authors given."),
    ({"title": ["a", "list"]}, "title", "must be a text, not a list or an object."),
    ({"title": "x" * 501}, "title", "is 501 characters long; at most 500 fit."),
    ({"arxiv": "ftp://example.org/paper"}, "arxiv", "“ftp://example.org/paper” is not a web address (https://…)."),
    ({"id": ""}, "id", "no id given; papers are matched on it when re-importing."),
    ({"abstract": "nul\x00byte"}, "abstract", "contains a NUL character (byte 0); remove it from the export."),
])
def test_it_rejects_a_row_with_a_bad_field(conference, change, field, message):
    item = {**sample()[0], **change}

    report = run_json(conference, [item])

    assert report.created == []
    assert [(e.field, e.message) for e in report.errors] == [(field, message)]
    assert Paper.objects.count() == 0


def test_it_reports_a_record_that_is_not_an_object(conference):
    report = run_json(conference, [sample()[0], "just a string"])

    assert report.created == ["Hx4kQ1aB"]
    assert report.errors == [RowError(2, "", "—", "is not an object with a paper's fields.")]


def test_it_is_scoped_to_the_edition(conference):
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    run(other)

    report = run(conference)

    assert len(report.created) == 3
    assert Paper.objects.filter(external_id="Hx4kQ1aB").count() == 2
    assert Author.objects.filter(openreview_id="~Wei_Zhang3").count() == 2


def test_it_matches_existing_authors_entered_by_hand(conference):
    by_id = AuthorFactory(conference=conference, name="Minji Kim", openreview_id="~Minji_Kim1")
    by_mail = AuthorFactory(conference=conference, name="José Álvarez", openreview_id="", email="Jose.Alvarez@UPM.es")

    report = run(conference)

    assert report.authors_created == 3
    assert set(Author.objects.get(pk=by_id.pk).papers.values_list("external_id", flat=True)) == {
        "Hx4kQ1aB", "Lm3vU4eF"}
    assert list(Author.objects.get(pk=by_mail.pk).papers.values_list("external_id", flat=True)) == ["Hx4kQ1aB"]


# --- CSV and other shapes ----------------------------------------------------------------------

def test_it_reads_a_spreadsheet_with_the_csv_preset(conference):
    report = run(conference, "papers.csv", mapping=load_mapping("csv"))

    assert report.created == ["csv-001", "csv-002"]
    assert report.errors == [RowError(4, "csv-003", "affiliations",
                                      "1 affiliations for 2 authors; give one per author (empty for none) in the same order.")]
    assert authors_of(conference, "csv-001") == [("Ana Müller", "~Ana_Muller1", "", "ETH Zürich"),
                                                 ("Wei Zhang", "", "wzhang@example.org", "Alibaba")]
    # The same e-mail in another case is the same author.
    assert authors_of(conference, "csv-002") == [("Wei Zhang", "", "wzhang@example.org", "Alibaba")]
    paper = Paper.objects.get(external_id="csv-001")
    assert (paper.keywords, paper.openreview_url) == ("graphs, proteins", "https://openreview.net/forum?id=csv-001")
    assert sorted(paper.topics.values_list("name", flat=True)) == ["Applications", "Deep Learning"]


def test_it_reads_a_differently_shaped_export_through_a_custom_mapping(conference):
    mapping = load_mapping("csv", custom=(DATA / "custom_mapping.json").read_text())

    report = run(conference, "custom.csv", mapping=mapping)

    assert (report.created, report.errors) == (["A17", "A18"], [])
    assert authors_of(conference, "A17") == [("Grace Hopper", "", "grace@navy.mil", "US Navy"),
                                             ("Alan Turing", "", "alan@bletchley.uk", "Bletchley Park")]
    assert authors_of(conference, "A18") == [("Alan Turing", "", "alan@bletchley.uk", "Bletchley Park")]
    paper = Paper.objects.get(external_id="A17")
    assert (paper.decision, paper.openreview_url, paper.abstract) == ("poster", "", "")
    assert list(paper.topics.values_list("name", flat=True)) == ["Optimization"]


def test_it_reads_openreview_api_notes_with_nested_keys(conference):
    report = run(conference, "openreview_api.json", mapping=load_mapping("openreview-api"))

    assert (report.created, report.errors) == (["Ab1", "Ab2"], [])
    paper = Paper.objects.get(external_id="Ab1")
    assert (paper.title, paper.decision, paper.keywords) == ("Nested Export Paper", "spotlight", "api")
    assert list(paper.topics.values_list("name", flat=True)) == ["Optimization"]
    assert authors_of(conference, "Ab2") == [("Hana Lee", "~Hana_Lee1", "", "")]


def test_it_takes_explicit_decision_texts_from_the_mapping(conference):
    mapping = load_mapping(custom={"decisions": {"Accept (Talk)": "oral"}})
    item = {**sample()[0], "decision": "accept (talk)"}

    run_json(conference, [item], mapping=mapping)

    assert Paper.objects.get().decision == "oral"


# --- Files and mappings that cannot be read ----------------------------------------------------

@pytest.mark.parametrize(("data", "fmt", "message"), [
    ("id,title\n1,Café\n".encode("latin-1"), "csv",
     "The file is not UTF-8 text (byte 0xe9 on line 2). Save it as UTF-8 (in Excel: “CSV UTF-8”) and import it again."),
    (b'[{"id": "1",}]', "json", "The file is not valid JSON (line 1, column 13: Expecting property name enclosed in double quotes)."),
    (b"id,name\n1,x\n", "csv", "The file has no column “title” (title), “authors” (authors), “authorids” (author ids). "
                              "Its columns are: id, name. Choose another mapping or name the columns in a custom mapping."),
    (b"   \n", "json", "The file is empty."),
    (b"[]", "json", "The file holds no papers."),
    (b'{"results": []}', "json", "The JSON file is an object without a list of papers under “notes” or “papers” or “submissions”."),
    (b'"text"', "json", "The JSON file must hold a list of papers (or an object with one under “notes”)."),
    (b'[{"id": "1", "name": "x"}]', "json", "No paper in the file has the key “title” (the mapping's title). "
                                           "Choose another mapping or name the keys in a custom mapping."),
    (b"id,title\n", "xml", "Unknown format “xml”: choose csv or json."),
])
def test_it_refuses_a_file_it_cannot_read(data, fmt, message):
    with pytest.raises(ImportFileError) as error:
        read_records(data, fmt, load_mapping())

    assert str(error.value) == message


def test_it_refuses_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 1024 * 1024)

    with pytest.raises(ImportFileError) as error:
        read_records(b"x" * (1024 * 1024 + 1), "csv", load_mapping())

    assert str(error.value) == "The file is 1.0 MB; an import takes at most 1.0 MB. Split it into several files."


@pytest.mark.parametrize(("preset", "custom", "message"), [
    ("nope", None, "There is no mapping preset “nope”. Presets: openreview, openreview-api, csv."),
    ("openreview", '{"titel": "x"}', "The mapping has unknown keys: titel. Known keys: " + ", ".join(
        FieldMapping().as_dict()) + "."),
    ("openreview", "{oops", "The custom mapping is not valid JSON (Expecting property name enclosed in double quotes, line 1)."),
    ("openreview", '["title"]', "A custom mapping must be a JSON object, e.g. {\"title\": \"paper_title\"}."),
    ("openreview", '{"decisions": {"Accept": "maybe"}}',
     "The mapping's “decisions” must map decision texts to oral, spotlight or poster."),
    ("openreview", '{"csv_delimiter": ";;"}', "The mapping's “csv_delimiter” must be one character, e.g. “,” or “;”."),
    ("openreview", '{"author_ids": "", "author_emails": ""}', None),
])
def test_it_refuses_a_mapping_it_cannot_use(preset, custom, message):
    if message is None:
        mapping = load_mapping(preset, custom)
        with pytest.raises(ImportFileError) as error:
            read_records(b'[{"id": "1"}]', "json", mapping)
        assert str(error.value) == ("The mapping names neither author ids nor author e-mails; authors are matched "
                                    "only by these, so one of them is needed.")
        return
    with pytest.raises(ImportFileError) as error:
        load_mapping(preset, custom)

    assert str(error.value) == message


# --- Dry run and query counts ------------------------------------------------------------------

def test_it_writes_nothing_on_a_dry_run_and_reports_what_it_would_do(conference):
    with CaptureQueriesContext(connection) as queries:
        report = run(conference, dry_run=True)

    assert (report.dry_run, report.created, report.authors_created, report.topics_created) == (
        True, ["Hx4kQ1aB", "Kp9sT2cD", "Lm3vU4eF"], 5, ["Deep Learning", "Reinforcement Learning"])
    assert (Paper.objects.count(), Author.objects.count(), Topic.objects.count()) == (0, 0, 0)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert report.summary() == (
        "6 rows: 3 papers would be created, 0 would be updated, 0 unchanged; 3 rows skipped with errors. "
        "Authors: 5 would be created, 0 updated, 0 removed. Topics would be created: 2.")


def test_it_reports_changes_on_a_dry_run_re_import_without_making_them(conference):
    run(conference)
    items = sample()
    items[0]["authors"], items[0]["authorids"], items[0]["affiliations"] = ["Minji Kim"], ["~Minji_Kim1"], ["KAIST"]
    items[1]["abstract"] = "Bandits, once more."

    report = run_json(conference, items, dry_run=True)

    assert report.updated == {"Hx4kQ1aB": ["authors"], "Kp9sT2cD": ["abstract"]}
    assert (report.authors_removed, report.authors_created) == (1, 0)
    assert len(authors_of(conference, "Hx4kQ1aB")) == 3
    assert Paper.objects.get(external_id="Kp9sT2cD").abstract == "Bandits, again."


def generated(n, start=0):
    return [{"id": f"gen{i:05d}", "title": f"Generated paper {i}", "abstract": "Text.",
             "authors": [f"Author {i}", f"Author {i + 1}"], "authorids": [f"~Author_{i}1", f"~Author_{i + 1}1"],
             "affiliations": ["KAIST", "SNU"], "keywords": ["k"], "decision": "Accept (poster)",
             "primary_area": f"Area {i % 3}"} for i in range(start, start + n)]


def test_it_imports_with_the_same_number_of_queries_for_5_and_50_papers(conference):
    other = ConferenceFactory(slug="icml2025", short_name="ICML 2025")
    with CaptureQueriesContext(connection) as small:
        run_json(other, generated(5))
    with CaptureQueriesContext(connection) as large:
        report = run_json(conference, generated(50))

    assert len(report.created) == 50
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.postgres
def test_it_imports_two_thousand_papers_and_re_imports_them_unchanged_on_postgresql(conference):
    first = run_json(conference, generated(2000))
    second = run_json(conference, generated(2000))

    assert (len(first.created), len(second.unchanged), second.updated) == (2000, 2000, {})
    assert Authorship.objects.filter(paper__conference=conference).count() == 4000
    assert Author.objects.filter(conference=conference).count() == 2001


def test_it_leaves_papers_that_are_not_in_the_file_alone(conference):
    kept = PaperFactory(conference=conference, external_id="manual1")
    AuthorshipFactory(paper=kept, position=1)

    run(conference)

    assert Paper.objects.filter(pk=kept.pk).exists()
    assert kept.authorships.count() == 1


# --- The management command --------------------------------------------------------------------

def command(*args):
    out, err = StringIO(), StringIO()
    call_command("import_papers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_and_prints_a_summary_and_the_row_errors(conference):
    out, err = command("--edition", "icml2026", str(DATA / "openreview.json"))

    assert Paper.objects.filter(conference=conference).count() == 3
    assert out.splitlines() == [
        "6 rows: 3 papers were created, 0 were updated, 0 unchanged; 3 rows skipped with errors. "
        "Authors: 5 were created, 0 updated, 0 removed. Topics were created: 2.",
        "Rows skipped:",
        "  row 4 (Nq5wV6gH), authorids: author 1 (Anonymous Person) has neither an OpenReview profile id nor an "
        "e-mail address; authors are matched only by these, never by name.",
        "  row 5 (Pr7xW8iJ), decision: “Reject” is not an accepted paper's decision (oral, spotlight or poster); "
        "only accepted papers are imported.",
        "  row 6 (Rs9yX0kL), title: no title given.",
    ]


def test_the_command_shows_progress_on_stderr(conference):
    _, err = command("--edition", "icml2026", str(DATA / "openreview.json"))

    assert err == ("\rChecking rows [" + "#" * 30 + "] 6/6\n"
                   "\rWriting [" + "-" * 30 + "] 0/3"
                   "\rWriting [" + "#" * 10 + "-" * 20 + "] 1/3"
                   "\rWriting [" + "#" * 20 + "-" * 10 + "] 2/3"
                   "\rWriting [" + "#" * 30 + "] 3/3\n")


def test_the_command_writes_nothing_on_a_dry_run(conference):
    out, _ = command("--edition", "icml2026", "--dry-run", str(DATA / "openreview.json"))

    assert Paper.objects.count() == 0
    assert out.splitlines()[0] == ("Dry run: nothing was written. 6 rows: 3 papers would be created, 0 would be "
                                   "updated, 0 unchanged; 3 rows skipped with errors. Authors: 5 would be created, "
                                   "0 updated, 0 removed. Topics would be created: 2.")
    assert "Would create: Hx4kQ1aB, Kp9sT2cD, Lm3vU4eF" in out.splitlines()


def test_the_command_re_imports_without_duplicates(conference):
    command("--edition", "icml2026", str(DATA / "papers.csv"), "--mapping", "csv")
    out, _ = command("--edition", "icml2026", str(DATA / "papers.csv"), "--mapping", "csv")

    assert out.splitlines()[0].startswith("3 rows: 0 papers were created, 0 were updated, 2 unchanged;")
    assert Paper.objects.count() == 2


def test_the_command_takes_a_mapping_file_and_an_explicit_format(conference, tmp_path):
    copy = tmp_path / "export.txt"
    copy.write_bytes((DATA / "custom.csv").read_bytes())

    command("--edition", "icml2026", str(copy), "--format", "csv", "--mapping", str(DATA / "custom_mapping.json"))

    assert sorted(Paper.objects.values_list("external_id", flat=True)) == ["A17", "A18"]


@pytest.mark.parametrize(("args", "message"), [
    (["--edition", "icml2026", "missing.json"], "Cannot read missing.json: No such file or directory."),
    (["--edition", "nope", str(DATA / "openreview.json")], "There is no edition “nope”."),
    (["--edition", "icml2026", str(DATA / "custom.csv"), "--mapping", "csv"],
     "The file has no column “id” (id), “title” (title), “authors” (authors), “author_ids” (author ids). Its columns "
     "are: Paper ID;Paper Title;Author Names;Author Emails;Institutions;Track. Choose another mapping or name the "
     "columns in a custom mapping. The columns look separated by “;”: set \"csv_delimiter\" in a custom mapping."),
    (["--edition", "icml2026", str(DATA / "custom_mapping.json"), "--format", "csv", "--mapping", "bad"],
     "There is no mapping preset “bad”. Presets: openreview, openreview-api, csv."),
])
def test_the_command_fails_only_when_it_cannot_read_the_file(conference, args, message):
    with pytest.raises(CommandError) as error:
        command(*args)

    assert str(error.value) == message
    assert Paper.objects.count() == 0


# --- The admin page ----------------------------------------------------------------------------

def staff_with(*codenames):
    user = VerifiedUserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="schedule", codename__in=codenames))
    return user


def upload(name="openreview.json", data=None):
    return SimpleUploadedFile(name, data if data is not None else (DATA / name).read_bytes())


URL = "admin:schedule_paper_import"


def test_the_import_page_sends_anonymous_visitors_to_the_login(client):
    response = client.get(reverse(URL))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_import_page_refuses_staff_without_the_add_paper_permission(client, conference):
    client.force_login(staff_with("view_paper", "change_paper"))

    assert client.get(reverse(URL)).status_code == 403
    response = client.post(reverse(URL), {"conference": conference.pk, "file": upload(), "format": "auto",
                                          "mapping": "openreview"})
    assert response.status_code == 403
    assert Paper.objects.count() == 0


def test_the_paper_list_links_to_the_import_page_for_permitted_staff(client, conference):
    client.force_login(staff_with("view_paper", "add_paper"))

    response = client.get(reverse("admin:schedule_paper_changelist"))

    assert f'href="{reverse(URL)}"' in response.content.decode()


def test_the_import_page_imports_and_shows_the_report(client, conference):
    client.force_login(staff_with("view_paper", "add_paper"))

    response = client.post(reverse(URL), {"conference": conference.pk, "file": upload(), "format": "auto",
                                          "mapping": "openreview"})

    assert response.status_code == 200
    assert Paper.objects.filter(conference=conference).count() == 3
    report = response.context["report"]
    assert (report.created, len(report.errors)) == (["Hx4kQ1aB", "Kp9sT2cD", "Lm3vU4eF"], 3)
    page = response.content.decode()
    assert "3 papers were created" in page
    assert "Rs9yX0kL" in page and "no title given." in page


def test_the_import_page_writes_nothing_on_a_dry_run(client, conference):
    client.force_login(staff_with("view_paper", "add_paper"))

    response = client.post(reverse(URL), {"conference": conference.pk, "file": upload("papers.csv"), "format": "csv",
                                          "mapping": "csv", "dry_run": "on"})

    assert response.status_code == 200
    assert response.context["report"].created == ["csv-001", "csv-002"]
    assert "Dry run: nothing was written." in response.content.decode()
    assert Paper.objects.count() == 0


@pytest.mark.parametrize(("name", "data", "fmt", "mapping", "custom", "message"), [
    ("latin.csv", "id,title\n1,Café\n".encode("latin-1"), "auto", "csv", "", "The file is not UTF-8 text"),
    ("broken.json", b"{not json", "auto", "openreview", "", "The file is not valid JSON"),
    ("papers.csv", None, "auto", "openreview", "", "The file has no column “authorids” (author ids)."),
    ("papers.txt", b"id,title", "auto", "openreview", "",
     "Choose the format: the file name ends neither in .csv nor in .json."),
    ("openreview.json", None, "auto", "openreview", "{bad", "The custom mapping is not valid JSON"),
    ("empty.json", b"", "auto", "openreview", "", "The submitted file is empty."),
])
def test_the_import_page_explains_a_bad_file_and_changes_nothing(client, conference, name, data, fmt, mapping,
                                                                  custom, message):
    client.force_login(staff_with("view_paper", "add_paper"))
    if data is None:
        data = (DATA / name).read_bytes()

    response = client.post(reverse(URL), {"conference": conference.pk, "file": upload(name, data), "format": fmt,
                                          "mapping": mapping, "custom_mapping": custom})

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert response.context["report"] is None
    assert Paper.objects.count() == 0


def test_the_import_page_refuses_a_huge_file(client, conference, monkeypatch):
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 1000)
    client.force_login(staff_with("view_paper", "add_paper"))

    response = client.post(reverse(URL), {"conference": conference.pk, "file": upload("big.json", b"[" + b" " * 2000 + b"]"),
                                          "format": "auto", "mapping": "openreview"})

    assert response.status_code == 200
    assert "The file is 2.0 kB; an import takes at most 1.0 kB. Split it into several files." in response.content.decode()
