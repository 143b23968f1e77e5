"""The organisers' console at 10,000 registrations: changelists and the CSV/XLSX exports.

    .venv/bin/python bench/admin_export.py [--registrations 10000] [--repeat 5]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust). Creates the database confsite_bench_admin
(dropping a leftover one), migrates it, bulk-creates one edition's orders and registrations, then, in
process through Django's test client as a superuser, times the order and registration changelists
and the CSV and XLSX exports of every registration ("select all"). Prints the median and the
worst of --repeat runs in milliseconds, the queries each needs and the export's size; drops the
database at the end. Prints numbers; passes or fails nothing.
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

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "confsite_bench_admin"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "confsite.test_settings"
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")


def run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from confsite.models import Conference, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import Order, Registration

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    conference = Conference.objects.create(
        name="ICML 2026", short_name="ICML 2026", slug="icml2026", city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=timezone.now().date() + timedelta(days=100),
        end_date=timezone.now().date() + timedelta(days=105), contact_email="info@example.org",
        code_of_conduct="Be kind.", is_current=True)
    today = timezone.now().date()
    catalogue = build_standard_catalogue(conference, early_until=today + timedelta(days=30),
                                         regular_until=today + timedelta(days=60), venue_seats=20_000,
                                         social_seats=10, order_prefix="ICML26")
    n = args.registrations
    users = User.objects.bulk_create(User(email=f"person{i}@example.org", first_name="Min-ji", last_name=f"Kim {i}")
                                     for i in range(n))
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(conference=conference, reference=f"ICML26-{i:06d}", buyer=user, currency="USD",
              total=Decimal("950.00"), status="paid" if i % 3 else "pending", paid_at=now if i % 3 else None)
        for i, user in enumerate(users))
    category, product = catalogue.categories["academic"], catalogue.products["full"]
    Registration.objects.bulk_create(
        Registration(conference=conference, order=order, user=order.buyer, category=category, pass_product=product,
                     registered_by=order.buyer, badge_name=f"=Kim {i}" if i % 100 == 0 else f"김민지 {i}",
                     legal_name=f"Kim Minji {i}", affiliation="KAIST", position="phd", country="KR",
                     code_of_conduct_accepted_at=now, checkin_token=f"token-{i:06d}")
        for i, order in enumerate(orders))
    admin = User.objects.create_superuser(email="admin@example.org", password="x")  # noqa: S106
    client = Client()
    client.force_login(admin)

    def measure(label, call):
        times, queries, size = [], 0, 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = call()
                body = b"".join(response.streaming_content) if response.streaming else response.content
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (label, response.status_code)
            queries, size = len(captured), len(body)
        print(f"{label:52s} median {statistics.median(times):8.1f} ms   max {max(times):8.1f} ms   "
              f"{queries:3d} queries   {size / 1024:8.0f} KiB")

    first = Registration.objects.order_by("pk").first().pk
    print(f"{n} registrations and orders on PostgreSQL, {args.repeat} runs each")
    measure("GET order changelist (100 per page)", lambda: client.get("/admin/registration/order/"))
    measure("GET registration changelist (100 per page)", lambda: client.get("/admin/registration/registration/"))
    measure("GET registration changelist, search 'KAIST'",
            lambda: client.get("/admin/registration/registration/", {"q": "KAIST"}))
    for action in ("export_csv", "export_xlsx"):
        measure(f"{action} of all {n} registrations (select all)",
                lambda action=action: client.post("/admin/registration/registration/", {
                    "action": action, "select_across": "1", "index": "0", "_selected_action": [first]}))
    measure(f"export_csv of all {n} orders (select all)",
            lambda: client.post("/admin/registration/order/", {
                "action": "export_csv", "select_across": "1", "index": "0",
                "_selected_action": [Order.objects.order_by("pk").first().pk]}))


if __name__ == "__main__":
    main()
