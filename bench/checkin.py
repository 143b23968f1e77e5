"""Check-in lookup by token with 10,000 registrations on PostgreSQL: server time of the service call and
of a full POST to the check-in page through Django's test client.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/checkin.py                     # about a minute on 2 CPUs
    .venv/bin/python bench/checkin.py --registrations 10000 --scans 500

What it does:

1. creates the database `--database` (dropping a leftover one) on PostgreSQL at 127.0.0.1:5432 and
   migrates it;
2. builds an edition with the standard catalogue, today as a main-conference day, and
   `--registrations` paid registrations (users, orders, order lines, registrations in bulk);
3. measures, for `--scans` different attendees each (after 20 warm-up scans):
   - `checkin.check_in()` that admits (lookup, day, lines, insert, audit-trail entry),
   - the same call for a second scan (the warning path),
   - an unknown code,
   - `POST /<edition>/staff/check-in/` through `django.test.Client` as a desk user (session,
     permissions, the service, the template);
   and prints p50/p95/max of wall time and p50/p95 of this process's CPU time, in milliseconds (no
   network; on a machine shared with other work, wall time includes waiting for a CPU and for
   PostgreSQL's commit to reach the disk);
4. drops the database.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _pg import create_database, django_env, drop_database  # bench/_pg.py

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=500, help="attendees scanned per measurement (default 500)")
    parser.add_argument("--database", default="confsite_bench_checkin", help="database to create and drop")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    return parser.parse_args()


def percentiles(samples: list[tuple[float, float]]) -> str:
    """Wall time p50/p95/max, and this process's CPU time p50/p95 (less sensitive to a busy machine)."""
    wall = sorted(w for w, _cpu in samples)
    cpu = sorted(c for _w, c in samples)

    def rank(ordered: list[float], p: float) -> float:  # nearest rank
        return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))] * 1000

    return (f"wall p50 {rank(wall, 50):6.2f}  p95 {rank(wall, 95):6.2f}  max {wall[-1] * 1000:6.2f} ms | "
            f"cpu p50 {rank(cpu, 50):5.2f}  p95 {rank(cpu, 95):5.2f} ms | mean wall {statistics.fmean(wall) * 1000:6.2f}"
            f" ms (n={len(wall)})")


def build(registrations: int):
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.models import Permission
    from django.utils import timezone

    from confsite.models import Conference, User
    from registration import checkin
    from registration.catalogue import build_standard_catalogue
    from registration.models import ConferenceDay, Order, OrderLine, Product, Registration

    today = timezone.now().date()
    conference = Conference.objects.create(
        name="Bench Conference 2026", short_name="BENCH 2026", slug="bench2026", city="Seoul", country="KR",
        venue="COEX", time_zone="Asia/Seoul", start_date=today - timedelta(days=2), end_date=today + timedelta(days=3),
        currency="USD", contact_email="bench@example.org", code_of_conduct="Be kind.")
    cat = build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                   regular_until=today + timedelta(days=60), venue_seats=registrations + 10,
                                   order_prefix="BENCH")
    ConferenceDay.objects.create(conference=conference, date=checkin.local_today(conference),
                                 part=ConferenceDay.Part.MAIN)
    category, full = cat.categories["non_academic"], cat.products[Product.Kind.FULL]
    period = cat.periods["early"]
    now = timezone.now()
    users = User.objects.bulk_create(
        [User(email=f"attendee{i}@bench.example", password="!") for i in range(registrations)], batch_size=2000)
    orders = Order.objects.bulk_create(
        [Order(conference=conference, reference=f"BENCH-{i:06d}", buyer=u, status=Order.Status.PAID, currency="USD",
               total=Decimal("1250"), paid_at=now) for i, u in enumerate(users)], batch_size=2000)
    regs = Registration.objects.bulk_create(
        [Registration(conference=conference, order=o, user=u, category=category, pass_product=full, registered_by=u,
                      badge_name=f"Attendee {i}", legal_name=f"Attendee {i}", affiliation="KAIST", position="engineer",
                      country="KR", code_of_conduct_accepted_at=now)
         for i, (o, u) in enumerate(zip(orders, users, strict=True))], batch_size=2000)
    OrderLine.objects.bulk_create(
        [OrderLine(order=o, registration=r, product=full, category=category, period=period, price=Decimal("1250"))
         for o, r in zip(orders, regs, strict=True)], batch_size=2000)
    desk = User.objects.create_user(email="desk@bench.example", password="bench-desk-password", is_staff=True)
    desk.user_permissions.add(Permission.objects.get(codename="add_checkin"))
    return conference, [r.checkin_token for r in regs], desk


def main() -> None:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-checkin-var-"))
    env = django_env(args.database, var_dir)
    env["CELERY_QUEUE"] = "bench-checkin-unconsumed"
    os.environ.update(env)
    for name in ("EMAIL_URL", "REDIS_URL"):  # no mail, no broker (django_env leaves them out)
        os.environ.pop(name, None)
    create_database(args.database)
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)  # noqa: S603 - this interpreter, fixed arguments
        # The page links its CSS through the hashed-name manifest, as in production.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, check=True)  # noqa: S603
        print(f"migrated in {time.perf_counter() - started:.1f} s")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection
        from django.test import Client

        from registration import checkin

        started = time.perf_counter()
        conference, tokens, desk = build(args.registrations)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{args.registrations} paid registrations built in {time.perf_counter() - started:.1f} s")
        needed = 20 + 2 * args.scans
        if needed > len(tokens):
            raise SystemExit(f"--scans {args.scans} needs {needed} registrations")
        warm, first, page = tokens[:20], tokens[20:20 + args.scans], tokens[20 + args.scans:needed]
        for token in warm:
            checkin.check_in(conference, token, by=desk)

        def timed(call, items) -> list[float]:
            samples = []
            for item in items:
                t0, c0 = time.perf_counter(), time.process_time()
                call(item)
                samples.append((time.perf_counter() - t0, time.process_time() - c0))
            return samples

        def admit(token):
            assert checkin.check_in(conference, token, by=desk).admitted

        def again(token):
            assert checkin.check_in(conference, token, by=desk).outcome == checkin.Outcome.ALREADY

        def unknown(i):
            assert checkin.check_in(conference, f"unknown-{i:026d}", by=desk).outcome == checkin.Outcome.UNKNOWN

        client = Client()
        client.force_login(desk)
        url = f"/{conference.slug}/staff/check-in/"

        def post(token):
            response = client.post(url, {"code": token, "desk": "bench"})
            verdict = re.search(rb'class="checkin-result (checkin-[a-z_]+)', response.content)
            assert response.status_code == 200 and verdict and verdict[1] == b"checkin-admitted", (
                response.status_code, verdict and verdict[1], response.content[:300])

        print(f"PostgreSQL, {args.registrations} registrations, {args.scans} scans each "
              f"(load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
        print(f"  service, admitted        {percentiles(timed(admit, first))}")
        print(f"  service, second scan     {percentiles(timed(again, first))}")
        print(f"  service, unknown code    {percentiles(timed(unknown, range(args.scans)))}")
        print(f"  POST /staff/check-in/    {percentiles(timed(post, page))}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        connection.close()
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    main()
