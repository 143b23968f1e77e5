"""The programme chairs' author-attendance page on PostgreSQL: server time of the page and of the reminders.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/author_attendance.py                  # 3,300 papers, 10,000 registrations, 30 runs
    .venv/bin/python bench/author_attendance.py --papers 10000 --registrations 30000 --explain

What it does: creates the database `confsite_bench_author_attendance` (dropping a leftover one),
migrates it, builds one edition with the standard catalogue and fills it in bulk: `--papers` accepted
papers with 2 to 6 authors each (4 on average; 85 % with an OpenReview id, 92 % with an e-mail, some in
capitals), and `--registrations` registrations (a few dozen of them cancelled). About half the papers get
a registered author, matched by OpenReview id (the registration under another address) or by e-mail in
another case; the others' authors are not registered, or only through a cancelled registration. Then,
through Django's test client as a staff user with exactly the page's two view permissions:

- GET the page (first page, no filter), `--warmup` untimed and `--runs` timed: p50/p95/mean/max;
- the same for page 3 and for one track (`decision=oral`), p50/p95;
- POST the reminders over every listed paper, timed once: the request only counts the papers and hands
  the task to the broker (the filesystem broker under the temporary directory; no worker runs it);
- the reminder task itself, called directly in this process with the arguments the POST gave it,
  timed once on a fresh day (every reachable author queued) and once again (all queued earlier today).

It prints the SQL queries of each, the load average, and checks the listed count against a
Python-side match of the same data (it stops if they differ). The time is server-side (the whole Django
request/response cycle in this process, database round trips included), no HTTP server in between.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

from _pg import cpu_seconds, django_on_fresh_database, percentile  # bench/_pg.py


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=3_300)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests of the first page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--database", default="confsite_bench_author_attendance")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the page's queries")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more page request")
    parser.add_argument("--no-post", action="store_true", help="skip the reminder POSTs")
    return parser.parse_args()


def shout(email: str, rng: random.Random) -> str:
    """The same address as someone might type it: capitals here and there."""
    local, domain = email.split("@")
    return rng.choice([local.capitalize(), local.upper(), local]) + "@" + rng.choice([domain.upper(), domain.title()])


def fill(paper_count: int, registration_count: int):
    """One edition with papers, authors and registrations, about half the papers with a registered author.

    Returns the edition, the staff user, and the number of papers with no registered author by a
    Python-side match (OpenReview id, or e-mail trimmed and in any case; active registrations only)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from django.db import connection
    from django.utils import timezone

    from confsite.models import Conference, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import Order, Registration
    from schedule.models import Author, Authorship, Paper

    rng = random.Random(2026)  # noqa: S311 - test data, not secrets
    now = timezone.now()
    today = now.date()
    edition = Conference.objects.create(
        name="Benchmark author attendance", short_name="BENCHAA", slug="benchaa", city="Seoul", country="KR",
        venue="COEX", time_zone="Asia/Seoul", start_date=today + timedelta(days=60), end_date=today + timedelta(days=65),
        currency="USD", contact_email="bench@example.org", code_of_conduct="Be kind.", is_current=True,
    )
    catalogue = build_standard_catalogue(edition, early_until=today + timedelta(days=30),
                                         regular_until=today + timedelta(days=50),
                                         venue_seats=registration_count * 2, social_seats=registration_count,
                                         order_prefix="AA")
    categories = list(catalogue.categories.values())
    passes = [p for kind, p in catalogue.products.items() if kind != "social"]

    decisions = [Paper.Decision.POSTER] * 7 + [Paper.Decision.SPOTLIGHT] * 2 + [Paper.Decision.ORAL]
    papers = Paper.objects.bulk_create([
        Paper(conference=edition, external_id=f"forum{n:06d}", title=f"{rng.choice(['On', 'Towards', 'Scaling', 'Learning'])} "
              f"problem {n:05d}", decision=rng.choice(decisions))
        for n in range(paper_count)], batch_size=2000)
    authors, authorships = [], []
    for paper in papers:
        for position in range(rng.choice([2, 3, 4, 4, 5, 6])):
            n = len(authors)
            has_id = rng.random() < 0.85
            email = f"author{n}@uni{n % 97}.example.org" if (not has_id or rng.random() < 0.92) else ""
            authors.append(Author(conference=edition, name=f"Author {n}", openreview_id=f"~Author_{n}1" if has_id else "",
                                  email=shout(email, rng) if email and rng.random() < 0.2 else email,
                                  search_name=f"author {n}"))
            authorships.append((paper, position, n))
    authors = Author.objects.bulk_create(authors, batch_size=2000)
    Authorship.objects.bulk_create([Authorship(paper=paper, author=authors[n], position=position)
                                    for paper, position, n in authorships], batch_size=2000)

    # Who registers: one author of about half the papers, then people who wrote nothing.
    by_paper: dict[int, list[Author]] = {}
    for paper, _position, n in authorships:
        by_paper.setdefault(paper.pk, []).append(authors[n])
    people = []  # (user e-mail, OpenReview id, active)
    for paper in papers:
        roll = rng.random()
        author = rng.choice(by_paper[paper.pk])
        if roll < 0.5:
            if author.openreview_id and rng.random() < 0.6:
                people.append((f"reg-{author.pk}@home.example.org", author.openreview_id, True))
            elif author.email:
                people.append((author.email.lower(), "", True))
            elif author.openreview_id:
                people.append((f"reg-{author.pk}@home.example.org", author.openreview_id, True))
        elif roll < 0.52:  # registered, then cancelled: does not count
            people.append((f"reg-{author.pk}@home.example.org", author.openreview_id, False))
    people += [(f"p{n}@bench.example.org", "", True) for n in range(max(0, registration_count - len(people)))]

    unusable = make_password(None)
    users = User.objects.bulk_create([User(email=email, password=unusable) for email, _, _ in people], batch_size=2000)
    orders = Order.objects.bulk_create([
        Order(conference=edition, reference=f"AA-{n:06d}", buyer=user, currency="USD", total=Decimal(950),
              status=Order.Status.PAID if active else Order.Status.REFUNDED)
        for n, (user, (_, _, active)) in enumerate(zip(users, people, strict=True))], batch_size=2000)
    Registration.objects.bulk_create([
        Registration(conference=edition, order=order, user=order.buyer, registered_by=order.buyer,
                     category=rng.choice(categories), pass_product=rng.choice(passes), openreview_id=openreview_id,
                     status=Registration.Status.ACTIVE if active else Registration.Status.CANCELLED,
                     badge_name=f"Person {n}", legal_name=f"Person {n}", affiliation="KAIST", position="phd",
                     country="KR", code_of_conduct_accepted_at=now)
        for n, (order, (_, openreview_id, active)) in enumerate(zip(orders, people, strict=True))], batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    ids = {oid.strip() for _, oid, active in people if active and oid.strip()}
    emails = {email.strip().lower() for email, _, active in people if active and email.strip()}
    unmatched = sum(
        1 for paper in papers
        if not any((a.openreview_id.strip() and a.openreview_id.strip() in ids)
                   or (a.email.strip() and a.email.strip().lower() in emails) for a in by_paper[paper.pk]))

    staff = User.objects.create_user(email="chair@bench.example.org", password=None, is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_paper", "view_registration"],
                                                          content_type__app_label__in=["schedule", "registration"]))
    return edition, staff, len(people), unmatched






def time_gets(client, url: str, data: dict, runs: int, warmup: int, backend: int) -> tuple[list[float], float, float]:
    """Wall times in ms of `runs` GETs, and the CPU ms per request of this process and of the PostgreSQL backend."""
    for _ in range(warmup):
        assert client.get(url, data).status_code == 200  # noqa: S101 - a benchmark's sanity check
    times = []
    cpu_django, cpu_pg = time.process_time(), cpu_seconds(backend)
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url, data)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200  # noqa: S101
    cpu_django = (time.process_time() - cpu_django) * 1000 / runs
    cpu_pg = (cpu_seconds(backend) - cpu_pg) * 1000 / runs
    return times, cpu_django, cpu_pg


def kinds_of(queries) -> str:
    """'3 INSERT, 12 SELECT …': the captured queries counted by their first keyword."""
    kinds: dict[str, int] = {}
    for q in queries.captured_queries:
        kind = q["sql"].split(None, 1)[0].upper()
        kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))


def main() -> int:
    args = parse_args()
    with django_on_fresh_database(args.database, keep=args.keep):
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse
        from django.utils import timezone

        from confsite.models import OutboxEmail
        from registration import author_attendance
        from registration.author_attendance import REMINDER_PURPOSE
        from schedule.models import Authorship

        started = time.perf_counter()
        edition, staff, registrations, unmatched = fill(args.papers, args.registrations)
        print(f"Set-up: {args.papers} papers, {Authorship.objects.count()} authorships, {registrations} registrations "
              f"in {time.perf_counter() - started:.1f} s (database {args.database}, PostgreSQL on 127.0.0.1); "
              f"{unmatched} papers have no registered author (Python-side match)")
        print(f"  machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
              "(before the timed requests)")

        client = Client()
        client.force_login(staff)
        url = reverse("staff_author_attendance", args=[edition.slug])
        response = client.get(url)
        assert response.status_code == 200  # noqa: S101
        totals = author_attendance.totals(author_attendance.papers_without_registered_author(edition))
        listed, reachable = totals.papers, totals.reachable
        print(f"The page lists {listed} papers, {reachable} authors with an e-mail, {totals.unreachable} without; "
              f"{len(response.content) // 1024} KiB of HTML for the first page")
        if listed != unmatched:
            print(f"MISMATCH: the page lists {listed} papers, the Python-side match {unmatched}")
            return 1

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        for label, data, runs in [("first page", {}, args.runs), ("page 3", {"page": "3"}, max(10, args.runs // 2)),
                                  ("oral track", {"decision": "oral"}, max(10, args.runs // 2))]:
            times, cpu_django, cpu_pg = time_gets(client, url, data, runs, args.warmup, backend)
            with CaptureQueriesContext(connection) as queries:
                client.get(url, data)
            sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            print(f"GET {url} ({label}), {runs} requests after {args.warmup} warm-up:")
            print(f"  p50 {statistics.median(times):.1f} ms   p95 {percentile(times, 95):.1f} ms   "
                  f"mean {statistics.mean(times):.1f} ms   max {max(times):.1f} ms")
            # CPU time hardly depends on what else runs on the machine; wall time does.
            print(f"  CPU per request: Django {cpu_django:.1f} ms + PostgreSQL backend {cpu_pg:.1f} ms "
                  f"= {cpu_django + cpu_pg:.1f} ms")
            print(f"  {len(queries)} SQL queries per request, {sql_ms:.0f} ms of it waiting for PostgreSQL (one request)")
            if label == "first page":
                for q in sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:3]:
                    print(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:100]}")
                if args.explain:
                    with connection.cursor() as cursor:
                        for q in sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:2]:
                            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + q["sql"])
                            print("\n".join(row[0] for row in cursor.fetchall()))

        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(client.get, url)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        if not args.no_post:
            from registration import tasks

            dispatched = []
            delay = tasks.send_author_reminders.delay

            def recording_delay(*task_args):
                dispatched.append(task_args)
                return delay(*task_args)

            tasks.send_author_reminders.delay = recording_delay
            with CaptureQueriesContext(connection) as queries:
                t0 = time.perf_counter()
                response = client.post(url, {"confirm": "yes"})
                elapsed = time.perf_counter() - t0
            tasks.send_author_reminders.delay = delay
            assert response.status_code == 302 and len(dispatched) == 1  # noqa: S101, PT018
            print(f"POST reminders over all {listed} papers (the request: count, hand the task over): "
                  f"{elapsed * 1000:.0f} ms, {len(queries)} SQL queries ({kinds_of(queries)})")
            for label in ("a fresh day: every reachable author queued", "again the same day: all queued earlier"):
                with CaptureQueriesContext(connection) as queries:
                    t0 = time.perf_counter()
                    result = tasks.send_author_reminders(*dispatched[0])
                    elapsed = time.perf_counter() - t0
                print(f"Task send_author_reminders called directly, {label}: {elapsed * 1000:.0f} ms, "
                      f"{len(queries)} SQL queries ({kinds_of(queries)}); {result}")
        reminders = OutboxEmail.objects.filter(purpose=REMINDER_PURPOSE)
        today = author_attendance.reminders_queued_on(edition, timezone.localdate(timezone=edition.tzinfo))
        shown = f"{today} reminders of this edition queued today" in client.get(url).content.decode()
        print(f"  {today} reminders of this edition queued today ({'shown' if shown else 'NOT shown'} on the page)")
        print(f"  outbox: {reminders.count()} reminders for {reminders.values('object_key').distinct().count()} papers "
              f"(the page counted {reachable} authorships with an e-mail)")
        print(f"  machine: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
