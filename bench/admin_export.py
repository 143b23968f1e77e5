"""The organisers' console at 10,000 registrations: changelists and the CSV/XLSX exports.

    .venv/bin/python bench/admin_export.py [--registrations 10000] [--repeat 5] [--profile] [--keep]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Creates the database confsite_bench_admin
(dropping a leftover one), migrates it with production settings (bench/_pg.py: DEBUG off, no mail or
broker), bulk-creates one edition's orders and registrations, then, in process through Django's test
client as a superuser, times the order and registration changelists and the CSV and XLSX exports of
every registration ("select all"). Prints the median and the worst of --repeat runs in milliseconds,
the CPU time of this process per run, the queries each needs and the export's size; `--profile` adds
a cProfile (own time) of one export of each format. Drops the database at the end unless --keep.
Prints numbers; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from _pg import django_on_fresh_database  # bench/_pg.py


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="confsite_bench_admin")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one export of each format")
    return parser.parse_args()


def fill(n: int):
    from django.utils import timezone

    from confsite.models import Conference, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import Order, Registration

    conference = Conference.objects.create(
        name="ICML 2026", short_name="ICML 2026", slug="icml2026", city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=timezone.now().date() + timedelta(days=100),
        end_date=timezone.now().date() + timedelta(days=105), contact_email="info@example.org",
        code_of_conduct="Be kind.", is_current=True)
    today = timezone.now().date()
    catalogue = build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                         regular_until=today + timedelta(days=60), venue_seats=n * 2,
                                         social_seats=10, order_prefix="ICML26")
    users = User.objects.bulk_create((User(email=f"person{i}@example.org", first_name="Min-ji", last_name=f"Kim {i}")
                                      for i in range(n)), batch_size=2000)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        (Order(conference=conference, reference=f"ICML26-{i:06d}", buyer=user, currency="USD",
               total=Decimal("950.00"), status="paid" if i % 3 else "pending", paid_at=now if i % 3 else None)
         for i, user in enumerate(users)), batch_size=2000)
    category, product = catalogue.categories["academic"], catalogue.products["full"]
    Registration.objects.bulk_create(
        (Registration(conference=conference, order=order, user=order.buyer, category=category, pass_product=product,
                      registered_by=order.buyer, badge_name=f"=Kim {i}" if i % 100 == 0 else f"김민지 {i}",
                      legal_name=f"Kim Minji {i}", affiliation="KAIST", position="phd", country="KR",
                      code_of_conduct_accepted_at=now, checkin_token=f"token-{i:06d}")
         for i, order in enumerate(orders)), batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return User.objects.create_superuser(email="admin@example.org", password=None)


def run(args) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registration.models import Order, Registration

    started = time.perf_counter()
    admin = fill(args.registrations)
    print(f"Set-up: {args.registrations} registrations and orders in {time.perf_counter() - started:.1f} s "
          f"(database {args.database}, PostgreSQL on 127.0.0.1)")
    client = Client()
    client.force_login(admin)
    n = args.registrations

    def fetch(call):
        response = call()
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, response.status_code  # noqa: S101 - a benchmark's sanity check
        return body

    def measure(label, call):
        times, cpu, queries, size = [], [], 0, 0
        fetch(call)  # warm-up: translation catalogues, templates, the first connection
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                start, cpu_start = time.perf_counter(), time.process_time()
                body = fetch(call)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - cpu_start) * 1000)
            queries, size = len(captured), len(body)
        print(f"{label:52s} median {statistics.median(times):7.0f} ms  max {max(times):7.0f} ms  "
              f"cpu {statistics.median(cpu):7.0f} ms  {queries:2d} queries  {size / 1024:6.0f} KiB")

    def select_all(path, model):
        first = model.objects.order_by("pk").values_list("pk", flat=True).first()
        return lambda action: client.post(path, {"action": action, "select_across": "1", "index": "0",
                                                 "_selected_action": [first]})

    registrations = select_all("/admin/registration/registration/", Registration)
    orders = select_all("/admin/registration/order/", Order)
    print(f"{n} registrations and orders on PostgreSQL, {args.repeat} runs each after one warm-up")
    measure("GET order changelist (100 per page)", lambda: client.get("/admin/registration/order/"))
    measure("GET registration changelist (100 per page)", lambda: client.get("/admin/registration/registration/"))
    measure("GET registration changelist, search 'KAIST'",
            lambda: client.get("/admin/registration/registration/", {"q": "KAIST"}))
    for action in ("export_csv", "export_xlsx"):
        measure(f"{action} of all {n} registrations (select all)", lambda action=action: registrations(action))
    measure(f"export_csv of all {n} orders (select all)", lambda: orders("export_csv"))
    measure(f"export_xlsx of all {n} orders (select all)", lambda: orders("export_xlsx"))
    if args.profile:
        import cProfile
        import pstats

        for action in ("export_csv", "export_xlsx"):
            print(f"\ncProfile of one {action} of all {n} registrations (own time):")
            profiler = cProfile.Profile()
            profiler.runcall(fetch, lambda action=action: registrations(action))
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    print(f"machine: {os.cpu_count()} CPUs, /proc/loadavg {Path('/proc/loadavg').read_text().strip()}")


def main() -> int:
    args = parse_args()
    with django_on_fresh_database(args.database, keep=args.keep):
        run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
