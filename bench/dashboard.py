"""The staff dashboard with 10,000 registrations on PostgreSQL: server time per request.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/dashboard.py                       # 10,000 registrations, 30 timed requests
    .venv/bin/python bench/dashboard.py --registrations 50000 --runs 50

What it does: creates the database `confsite_bench_dashboard` (dropping a leftover one), migrates it,
builds one edition with the standard catalogue and fills it in bulk: `--registrations` people over
120 days across categories and passes, 70 % paid (a few in KRW), 2 % cancelled with a refund, 20 %
with dietary or accessibility needs in assorted spellings, 3 % with a proof awaiting review, 30 %
checked in today, and an outbox of as many e-mails (some pending, some failed). Then it requests
/<edition>/staff/dashboard/ through Django's test client as an organiser who sees every section
(revenue and needs included), twice: cold, with ?fresh=1 so that every section is counted, and
warm, as any visit within DASHBOARD_CACHE_SECONDS of the last count, with the history (per day,
category × pass, revenue, needs) read from the Redis cache (`--redis`, a spare db number) and the
rest counted. Each: `--warmup` requests untimed, `--runs` timed. Prints p50/p95/mean/max in
milliseconds, CPU per request and the number of SQL queries, then drops the database. The database
is VACUUM ANALYZEd after the bulk load, as autovacuum would have done in production.

The time is server-side (the whole Django request/response cycle in this process, database round
trips included), no HTTP server or network in between.
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
from zoneinfo import ZoneInfo

from _pg import cpu_seconds, django_on_fresh_database, percentile  # bench/_pg.py

DIETARY = ["Vegan", "vegan", " Vegan. ", "Vegetarian", "vegetarian", "Halal", "Kosher", "Gluten-free",
           "gluten-free", "No nuts", "Lactose intolerant"]
ACCESSIBILITY = ["Wheelchair access", "wheelchair access", "Step-free route", "Sign language interpreter",
                 "Large print", "Quiet room"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30, help="timed requests (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--database", default="confsite_bench_dashboard")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="Redis for the cache (a spare db number)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more request")
    return parser.parse_args()


def fill(count: int):
    """One edition with `count` registrations and everything the dashboard counts, in bulk."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from confsite.models import Conference, OutboxEmail, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import (
        CheckIn,
        EligibilityProof,
        Order,
        Payment,
        Quota,
        Refund,
        Registration,
        SensitiveNeeds,
    )

    rng = random.Random(2026)  # noqa: S311 - test data, not secrets
    now = timezone.now()
    today = timezone.localdate(now, timezone=ZoneInfo("Asia/Seoul"))  # the edition's day, as the dashboard sees it
    edition = Conference.objects.create(
        name="Benchmark dashboard", short_name="BENCHDASH", slug="benchdash", city="Seoul", country="KR",
        venue="COEX", time_zone="Asia/Seoul", start_date=today, end_date=today + timedelta(days=5),
        currency="USD", contact_email="bench@example.org", code_of_conduct="Be kind.", is_current=True,
    )
    catalogue = build_standard_catalogue(edition, early_until=today + timedelta(days=30),
                                         regular_until=today + timedelta(days=60), venue_seats=count * 2,
                                         social_seats=count, order_prefix="BD")
    categories = list(catalogue.categories.values())
    passes = [p for kind, p in catalogue.products.items() if kind != "social"]
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(email=f"p{n}@bench.example.org", password=unusable) for n in range(count)], batch_size=2000)
    statuses = []
    orders = []
    for n, user in enumerate(users):
        roll = rng.random()
        status = Order.Status.PAID if roll < 0.70 else Order.Status.REFUNDED if roll < 0.72 else Order.Status.PENDING
        statuses.append(status)
        currency = "KRW" if n % 50 == 0 else "USD"
        orders.append(Order(conference=edition, reference=f"BD-{n:06d}", buyer=user, status=status,
                            currency=currency, total=Decimal(rng.choice([450, 950, 1250, 1400]))))
    orders = Order.objects.bulk_create(orders, batch_size=2000)
    registrations = Registration.objects.bulk_create([
        Registration(conference=edition, order=order, user=order.buyer, registered_by=order.buyer,
                     category=rng.choice(categories), pass_product=rng.choice(passes),
                     status=Registration.Status.CANCELLED if order.status == Order.Status.REFUNDED
                     else Registration.Status.ACTIVE,
                     badge_name=f"Person {n}", legal_name=f"Person {n}", affiliation="KAIST", position="phd",
                     country="KR", code_of_conduct_accepted_at=now)
        for n, order in enumerate(orders)], batch_size=2000)
    with connection.cursor() as cursor:
        # Spread over 120 days (auto_now_add set them all to now).
        cursor.execute("UPDATE registration_registration SET created_at = created_at - (id %% 120) * interval '1 day' "
                       "WHERE conference_id = %s", [edition.pk])
    payments = Payment.objects.bulk_create([
        Payment(order=order, provider="bank", status=Payment.Status.CONFIRMED, amount=order.total,
                currency=order.currency, confirmed_at=now)
        for order in orders if order.status != Order.Status.PENDING], batch_size=2000)
    Refund.objects.bulk_create([
        Refund(order=payment.order, payment=payment, amount=payment.amount, currency=payment.currency,
               reason="bench") for payment in payments if payment.order.status == Order.Status.REFUNDED])
    SensitiveNeeds.objects.bulk_create([
        SensitiveNeeds(registration=r, dietary=rng.choice(DIETARY) if rng.random() < 0.8 else "",
                       accessibility=rng.choice(ACCESSIBILITY) if rng.random() < 0.3 else "")
        for r in registrations if rng.random() < 0.2], batch_size=2000)
    EligibilityProof.objects.bulk_create([
        EligibilityProof(registration=r, file=f"eligibility/bench/{r.pk}.pdf", original_name="card.pdf",
                         content_type="application/pdf", size=1000, uploaded_at=now - timedelta(hours=r.pk % 300))
        for r in registrations if r.pk % 33 == 0], batch_size=2000)
    CheckIn.objects.bulk_create([
        CheckIn(registration=r, date=today, part=rng.choice(["tutorials", "main", "workshops"]))
        for r in registrations if r.status == Registration.Status.ACTIVE and rng.random() < 0.3], batch_size=2000)
    OutboxEmail.objects.bulk_create([
        OutboxEmail(purpose="bench", object_key=f"o:{n}", recipient=f"p{n}@bench.example.org", subject="Hi",
                    body_text="Hi", conference=edition,
                    status="pending" if n % 200 == 0 else "failed" if n % 997 == 0 else "sent")
        for n in range(count)], batch_size=2000)
    in_person = sum(1 for r in registrations if r.status == Registration.Status.ACTIVE and r.pass_product.in_person)
    Quota.objects.filter(conference=edition, name="Venue (in person)").update(held=in_person)
    with connection.cursor() as cursor:
        # As autovacuum would have by now: statistics, and the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")
    staff = User.objects.create_superuser(email="organiser@bench.example.org", password=None)
    return edition, staff






def main() -> int:
    args = parse_args()
    with django_on_fresh_database(args.database, keep=args.keep, env={"REDIS_URL": args.redis}) as env:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        started = time.perf_counter()
        edition, staff = fill(args.registrations)
        print(f"Set-up: {args.registrations} registrations in {time.perf_counter() - started:.1f} s "
              f"(database {args.database}, PostgreSQL on 127.0.0.1)")

        client = Client()
        client.force_login(staff)
        url = reverse("staff_dashboard", args=[edition.slug])
        for _ in range(args.warmup):
            assert client.get(url + "?fresh=1").status_code == 200  # noqa: S101 - a benchmark's sanity check
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        print(f"GET {url} as an organiser with every section, {args.runs} requests each after {args.warmup} warm-up "
              f"(cache: Redis at {env['REDIS_URL']}):")
        # Cold: "Count again now" counts every section. Warm: the history is reused from the cache
        # (as for every visit within DASHBOARD_CACHE_SECONDS of the last count).
        for label, target in (("cold (?fresh=1, everything counted)", url + "?fresh=1"),
                              ("warm (history from the cache)", url)):
            times = []
            cpu_django, cpu_pg = time.process_time(), cpu_seconds(backend)
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(target)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200  # noqa: S101
            cpu_django = (time.process_time() - cpu_django) * 1000 / args.runs
            cpu_pg = (cpu_seconds(backend) - cpu_pg) * 1000 / args.runs
            with CaptureQueriesContext(connection) as queries:
                client.get(target)
            print(f"  {label}:")
            print(f"    p50 {statistics.median(times):.1f} ms   p95 {percentile(times, 95):.1f} ms   "
                  f"mean {statistics.mean(times):.1f} ms   max {max(times):.1f} ms")
            # CPU time hardly depends on what else runs on the machine; wall time does.
            print(f"    CPU per request: Django {cpu_django:.1f} ms + PostgreSQL backend {cpu_pg:.1f} ms "
                  f"= {cpu_django + cpu_pg:.1f} ms")
            sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            print(f"    {len(queries)} SQL queries per request, {sql_ms:.0f} ms of it waiting for PostgreSQL "
                  f"(one request); {len(response.content) // 1024} KiB of HTML")
            slowest = sorted(queries.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:3]
            for q in slowest:
                print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql'][:106]}")
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(client.get, url)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
