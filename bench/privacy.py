"""Data protection on PostgreSQL: a heavy person's export and erasure, and the retention purge of an
edition with 10,000 registrations. Not a test: it prints numbers.

    .venv/bin/python bench/privacy.py                          # 10,000 registrations, 20 timed exports
    .venv/bin/python bench/privacy.py --registrations 2000 --items 200

What it does: creates the database `confsite_bench_privacy` (dropping a leftover one), migrates it,
builds one edition that ended 400 days ago with `--registrations` people in bulk, each with a visa
letter and passport data and an eligibility proof (a small file in private storage), and one sponsor
with an access-log entry per person. `--people` (5) of them are heavy: `--items` (50) stars, proofs,
letters, check-ins-worth of access-log entries and payments each. Then it times, in this process
(server time, no HTTP): `confsite.privacy.export_user_data` for a heavy person (`--runs` times after
a warm-up; p50/p95/max ms and the query count), `erase_user` for each heavy person (files deleted
after commit included), and `run_purges` for the edition (passport data, proofs with their files,
access log), then drops the database.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _pg import create_database, django_env, drop_database  # bench/_pg.py

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n% bench\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=5, help="heavy people to export and erase (default 5)")
    parser.add_argument("--items", type=int, default=50, help="items of each kind per heavy person (default 50)")
    parser.add_argument("--runs", type=int, default=20, help="timed exports (default 20)")
    parser.add_argument("--database", default="confsite_bench_privacy")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def fill(count: int, people: int, items: int):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from confsite.models import Conference, User
    from registration.catalogue import build_standard_catalogue
    from registration.models import EligibilityProof, Order, PassportData, Payment, Registration, VisaLetter
    from schedule.models import Room, Session, Star
    from sponsors.models import AccessLogEntry, RecruitmentProfile, Sponsor, Tier

    now = timezone.now()
    end = timezone.localdate() - timedelta(days=400)
    edition = Conference.objects.create(
        name="Benchmark privacy", short_name="BENCHPRIV", slug="benchpriv", city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=end - timedelta(days=5), end_date=end, currency="USD",
        contact_email="bench@example.org", code_of_conduct="Be kind.")
    catalogue = build_standard_catalogue(edition, early_until=date.today() + timedelta(days=30),
                                         regular_until=date.today() + timedelta(days=60), venue_seats=count * 2,
                                         social_seats=count, order_prefix="BP")
    category = next(iter(catalogue.categories.values()))
    full = catalogue.products["full"]
    users = User.objects.bulk_create([User(email=f"p{n}@bench.example.org", first_name="P", last_name=str(n))
                                      for n in range(count)], batch_size=2000)
    orders = Order.objects.bulk_create([Order(conference=edition, reference=f"BP-{n:06d}", buyer=u, status="paid",
                                              currency="USD", total=Decimal(950), paid_at=now)
                                        for n, u in enumerate(users)], batch_size=2000)
    registrations = Registration.objects.bulk_create([
        Registration(conference=edition, order=o, user=o.buyer, registered_by=o.buyer, category=category,
                     pass_product=full, badge_name=f"Person {n}", legal_name=f"Person {n}", affiliation="KAIST",
                     position="phd", country="KR", code_of_conduct_accepted_at=now)
        for n, o in enumerate(orders)], batch_size=2000)
    Payment.objects.bulk_create([Payment(order=o, provider="bank", status="confirmed", amount=o.total, currency="USD",
                                         confirmed_at=now) for o in orders], batch_size=2000)
    letters = VisaLetter.objects.bulk_create([VisaLetter(registration=r, name_on_letter=r.legal_name,
                                                         reference=f"L{r.pk:010d}") for r in registrations],
                                             batch_size=2000)
    PassportData.objects.bulk_create([PassportData(letter=letter, passport_name="P", nationality="KR",
                                                   passport_number="M1234567", date_of_birth=date(1995, 3, 14))
                                      for letter in letters], batch_size=2000)
    storage = EligibilityProof._meta.get_field("file").storage
    proofs = []
    for r in registrations:
        name = storage.save(f"eligibility/bench/{r.pk}.pdf", ContentFile(PDF))
        proofs.append(EligibilityProof(registration=r, file=name, original_name="id.pdf",
                                       content_type="application/pdf", size=len(PDF)))
    EligibilityProof.objects.bulk_create(proofs, batch_size=2000)
    tier = Tier.objects.create(conference=edition, name="Gold", recruitment_access="cvs")
    sponsor = Sponsor.objects.create(conference=edition, tier=tier, name="Acme", slug="acme")
    profiles = RecruitmentProfile.objects.bulk_create([RecruitmentProfile(user=u, conference=edition, opted_in=True)
                                                       for u in users], batch_size=2000)
    AccessLogEntry.objects.bulk_create([AccessLogEntry(sponsor=sponsor, profile=p, action="view") for p in profiles],
                                       batch_size=2000)
    room = Room.objects.create(conference=edition, name="Hall")
    sessions = Session.objects.bulk_create([Session(conference=edition, room=room, kind="oral", title=f"S{i}")
                                            for i in range(items)])
    heavy = users[:people]
    for user, registration, order, profile in zip(heavy, registrations, orders, profiles, strict=False):
        Star.objects.bulk_create([Star(user=user, conference=edition, session=s) for s in sessions])
        Payment.objects.bulk_create([Payment(order=order, provider="bank", status="failed", amount=Decimal(1),
                                             currency="USD") for _ in range(items)])
        more = VisaLetter.objects.bulk_create([VisaLetter(registration=registration, name_on_letter="P",
                                                          reference=f"H{registration.pk:06d}{i:04d}")
                                               for i in range(items)])
        PassportData.objects.bulk_create([PassportData(letter=letter, passport_name="P", nationality="KR",
                                                       passport_number="M1", date_of_birth=date(1995, 3, 14))
                                          for letter in more])
        AccessLogEntry.objects.bulk_create([AccessLogEntry(sponsor=sponsor, profile=profile, action="cv")
                                            for _ in range(items)])
    return edition, heavy


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="confsite-bench-privacy-"))
    env = django_env(args.database, var_dir)
    create_database(args.database)
    try:
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v", "0"],  # noqa: S603 - fixed program
                       cwd=ROOT, env=env, check=True)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from confsite import privacy

        started = time.perf_counter()
        edition, heavy = fill(args.registrations, args.people, args.items)
        print(f"filled {args.registrations} registrations in {time.perf_counter() - started:.1f} s")

        person = heavy[0]
        privacy.export_user_data(person)
        timings = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            privacy.export_user_data(person)
            timings.append((time.perf_counter() - t0) * 1000)
        with CaptureQueriesContext(connection) as queries:
            data = privacy.export_user_data(person)
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
        print("slowest export queries: " + "; ".join(f'{float(q["time"]) * 1000:.1f} ms {q["sql"][:80]}' for q in slowest))
        print(f"export of a person with {args.items} stars, letters, payments, access-log entries: "
              f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f} ms, "
              f"max {max(timings):.1f} ms, {len(queries)} queries, {len(str(data)) // 1024} KiB")

        erasures = []
        for user in heavy:
            t0 = time.perf_counter()
            with transaction.atomic():
                privacy.erase_user(user)
            erasures.append((time.perf_counter() - t0) * 1000)
        print(f"erasure of {len(heavy)} heavy people: p50 {statistics.median(erasures):.1f} ms, "
              f"max {max(erasures):.1f} ms")

        t0 = time.perf_counter()
        with transaction.atomic():
            results = privacy.run_purges(edition)
        elapsed = time.perf_counter() - t0
        summary = ", ".join(f"{r.kind} {r.count} rows/{r.files} files" for r in results)
        print(f"retention purge of the edition ({summary}): {elapsed:.2f} s")
        t0 = time.perf_counter()
        privacy.run_purges(edition)
        print(f"second purge run (nothing to do): {(time.perf_counter() - t0) * 1000:.1f} ms")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database)
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
