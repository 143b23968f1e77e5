"""Bulk e-mail, author attendance and cloning at conference size on PostgreSQL: wall time per operation.

Not a test: it prints numbers. In short:

    .venv/bin/python bench/bulk_mail.py                        # 10,000 recipients, 3,000 papers
    .venv/bin/python bench/bulk_mail.py --people 2000 --papers 500

What it does: creates the database `confsite_bench_bulk` (dropping a leftover one), migrates it, builds
one edition with the standard catalogue, `--people` users with active registrations (10 % in Korean,
5 % unsubscribed from announcements) and `--papers` accepted papers with three authors each (a third
of them registered). Then it times, in this process (no HTTP server; the Celery broker is kombu's
filesystem transport, so "dispatch after commit" is real work):
  - the preview (who gets it, one rendered e-mail per language) and the queueing of one mailing to
    everyone (one outbox row each, staggered), then re-queueing it (writes nothing);
  - GET /<edition>/staff/author-attendance/ as a programme chair (`--runs` times) and its query count;
  - cloning the edition.
Then it drops the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta

from _pg import django_on_fresh_database, percentile  # bench/_pg.py


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database", default="confsite_bench_bulk")
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


def fill(people: int, papers: int):
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from confsite.models import BulkMailing, Conference, ConsentRecord, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import Order, Registration
    from schedule.models import Author, Authorship, Paper

    now = timezone.now()
    edition = Conference.objects.create(
        name="Benchmark bulk", short_name="BENCHBULK", slug="benchbulk", city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=date(2026, 7, 6), end_date=date(2026, 7, 11), currency="USD",
        contact_email="bench@example.org", code_of_conduct="Be kind.", is_current=True)
    catalogue = build_standard_catalogue(edition, early_until=date(2026, 5, 1), regular_until=date(2026, 6, 1),
                                         venue_seats=people * 2, order_prefix="BB")
    unusable = make_password(None)
    users = User.objects.bulk_create([User(email=f"p{n}@bench.example.org", password=unusable,
                                           language="ko" if n % 10 == 0 else "") for n in range(people)],
                                     batch_size=2000)
    orders = Order.objects.bulk_create([Order(conference=edition, reference=f"BB-{n:06d}", buyer=u, status="paid",
                                              currency="USD", total=Decimal(950)) for n, u in enumerate(users)],
                                       batch_size=2000)
    category, product = catalogue.categories["academic"], catalogue.products["full"]
    Registration.objects.bulk_create([
        Registration(conference=edition, order=o, user=o.buyer, registered_by=o.buyer, category=category,
                     pass_product=product, badge_name=f"Person {n}", legal_name=f"Person {n}", affiliation="KAIST",
                     position="phd", country="KR", code_of_conduct_accepted_at=now,
                     openreview_id=f"~Person_{n}1" if n % 2 == 0 else "")
        for n, o in enumerate(orders)], batch_size=2000)
    ConsentRecord.objects.bulk_create([ConsentRecord(user=u, conference=edition, purpose="announcements",
                                                     action="withdrawn") for n, u in enumerate(users) if n % 20 == 0])
    def identity(i: int, k: int) -> tuple[str, str]:
        # Every third paper has a registered first author (by OpenReview id or by e-mail in another case).
        if k == 0 and i % 3 == 0:
            return (f"~Person_{i}1", "") if i % 2 == 0 else (f"~Outsider_{i}_{k}1", f"P{i}@BENCH.example.org")
        return f"~Outsider_{i}_{k}1", "" if k == 2 else f"outsider{i}.{k}@uni.example"

    authors = Author.objects.bulk_create([
        Author(conference=edition, name=f"Author {i}.{k}", code=f"A{i:07d}{k}", openreview_id=identity(i, k)[0],
               email=identity(i, k)[1])
        for i in range(papers) for k in range(3)], batch_size=2000)
    paper_rows = Paper.objects.bulk_create([Paper(conference=edition, external_id=f"b{n}", title=f"Paper {n:05d}")
                                            for n in range(papers)], batch_size=2000)
    Authorship.objects.bulk_create([Authorship(paper=p, author=authors[i * 3 + k], position=k)
                                    for i, p in enumerate(paper_rows) for k in range(3)], batch_size=5000)
    mailing = BulkMailing.objects.create(
        conference=edition, subject="Poster printing", body_text="Hello {{ name }},\nPosters are A0 portrait.",
        translations={"ko": {"subject": "포스터 인쇄", "body_text": "{{ name }}님, 포스터는 A0 세로입니다."}},
        audience="bench", recipient_ids=[u.pk for u in users], per_minute=300)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    chair = User.objects.create_superuser(email="chair@bench.example.org", password=None)
    return edition, mailing, chair


def main() -> int:
    args = parse_args()
    with django_on_fresh_database(args.database, keep=args.keep):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        from confsite import bulk_mail
        from confsite.cloning import clone_edition
        from confsite.models import OutboxEmail

        t0 = time.perf_counter()
        edition, mailing, chair = fill(args.people, args.papers)
        print(f"Set-up: {args.people} registrations, {args.papers} papers in {time.perf_counter() - t0:.1f} s "
              f"(PostgreSQL on 127.0.0.1, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")

        for _ in range(2):  # the first run also loads the translation catalogues
            t0 = time.perf_counter()
            plan = bulk_mail.plan(mailing)
            t1 = time.perf_counter()
            shown = bulk_mail.previews(mailing, plan)
            print(f"Preview: {len(plan.recipients)} recipients, {len(plan.skipped)} skipped, {len(shown)} languages:"
                  f" plan {(t1 - t0) * 1000:.0f} ms + render {(time.perf_counter() - t1) * 1000:.0f} ms")
        from confsite import outbox
        from confsite.tasks import send_outbox_email

        published = []
        publish = send_outbox_email.apply_async

        def counting(*args, **kwargs):
            published.append(args[0][0])
            return publish(*args, **kwargs)

        send_outbox_email.apply_async = counting
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = bulk_mail.queue(mailing)
        elapsed = time.perf_counter() - t0
        rows = OutboxEmail.objects.filter(purpose="bulk").order_by("next_attempt_at")
        first, last = rows.first(), rows.last()
        print(f"Queue: {result.queued} outbox rows in {elapsed:.2f} s ({result.queued / elapsed:.0f} rows/s, "
              f"{len(queries)} SQL queries), due over {(last.next_attempt_at - first.next_attempt_at)} "
              f"at {mailing.per_minute}/min; {len(published)} handed to the broker at commit")
        published.clear()
        t0 = time.perf_counter()
        swept = outbox.sweep(now=first.next_attempt_at + timedelta(seconds=60))
        print(f"A sweep 60 s after queueing hands over {swept} rows (those due 30 s ago or earlier) "
              f"in {(time.perf_counter() - t0) * 1000:.0f} ms")
        send_outbox_email.apply_async = publish
        t0 = time.perf_counter()
        again = bulk_mail.queue(mailing)
        print(f"Re-queue: {again.queued} new rows, {again.already} found, in {(time.perf_counter() - t0):.2f} s")

        client = Client()
        client.force_login(chair)
        url = reverse("staff_author_attendance", args=[edition.slug])
        client.get(url)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        listed = response.content.decode().count("<tr>") - 1
        print(f"GET {url} (status {response.status_code}): {listed} of {args.papers} papers listed; "
              f"p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 95):.0f} ms, max {max(times):.0f} ms; "
              f"{len(queries)} SQL queries; {len(response.content) // 1024} KiB")

        t0 = time.perf_counter()
        _, report = clone_edition(edition, name="Benchmark bulk 2", short_name="BENCHBULK2", slug="benchbulk2",
                                  start_date=edition.start_date + timedelta(days=364), options={"order_prefix": "BB2"})
        print(f"Clone: {sum(report.values())} rows copied in {(time.perf_counter() - t0) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
