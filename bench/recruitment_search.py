"""Sponsor recruitment search over 10,000 opted-in profiles on PostgreSQL, through gunicorn.

Not a test: it prints numbers. See bench/README.md. In short:

    .venv/bin/python bench/recruitment_search.py               # about a minute
    .venv/bin/python bench/recruitment_search.py --profiles 20000 --repeat 50

Builds a fresh database (`confsite_bench_recruitment`, dropped at the end) with one edition, 20
research areas, `--profiles` opted-in recruitment profiles (generated headlines, positions, areas,
locations, graduation dates; the search text as `sponsors.services.refresh_search_text` writes it)
and a Gold sponsor with a recruiter and an API token. Starts gunicorn (3 sync workers, production
settings) and sends `--repeat` sequential requests per query to the sponsor API's search
(`GET /api/<edition>/sponsor/profiles/?…`, the same `sponsors.queries.search_profiles` as the
portal page), one at a time, so the latency is the server's time plus loopback. Prints p50/p95 per
query, the number of matches and the first page's size.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "confsite_bench_recruitment"
WORDS = ["reinforcement", "learning", "diffusion", "transformers", "causal", "inference", "bayesian", "optimization",
         "graph", "robotics", "vision", "language", "models", "privacy", "fairness", "kernels", "bandits", "théorie",
         "müller", "seoul", "protein", "design", "speech", "recognition", "federated", "systems", "compression"]
AREAS = ["Deep learning", "Reinforcement learning", "Optimization", "Probabilistic methods", "Learning theory",
         "Large language models", "Computer vision", "Graph neural networks", "Causality", "Fairness",
         "Robustness", "Generative models", "Kernel methods", "Bandits", "Federated learning", "Time series",
         "Healthcare", "Neuroscience", "Compression", "Evaluation"]
LOCATIONS = ["Seoul", "Tokyo", "Zürich", "London", "Montréal", "San Francisco", "remote", "Europe", "Singapore"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per query (default 30)")
    return parser.parse_args()


def psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],  # noqa: S603,S607
                   check=True, capture_output=True)


def build(count: int) -> tuple[str, list[tuple[str, str]]]:
    """Create the data; returns the API key and the queries to time (label, query string)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from confsite.models import Conference, User
    from schedule.models import Topic, normalize
    from sponsors.models import APIToken, RecruitmentProfile, Sponsor, SponsorMember, Tier

    rng = random.Random(10000)
    conference = Conference.objects.create(
        name="Bench", short_name="Bench", slug="bench", city="Seoul", country="KR", venue="COEX",
        time_zone="Asia/Seoul", start_date=date(2026, 7, 6), end_date=date(2026, 7, 11), currency="USD",
        contact_email="bench@example.org", code_of_conduct="Be kind.")
    topics = [Topic.objects.create(conference=conference, name=n, slug=f"t{i}") for i, n in enumerate(AREAS)]
    password = make_password(None)
    users = User.objects.bulk_create([User(email=f"p{i}@bench.example", password=password) for i in range(count)],
                                     batch_size=2000)
    positions = [p for p, _ in RecruitmentProfile.Position.choices]
    now = timezone.now()
    rows, chosen = [], []
    for user in users:
        headline = " ".join(rng.sample(WORDS, 5))
        areas = rng.sample(topics, rng.randint(1, 3))
        location = ", ".join(rng.sample(LOCATIONS, 2))
        position = rng.choice(positions)
        rows.append(RecruitmentProfile(
            user=user, conference=conference, headline=headline, position=position, locations=location,
            wants_internship=rng.random() < 0.5, wants_full_time=rng.random() < 0.5, wants_postdoc=rng.random() < 0.2,
            graduation_date=date(2026 + rng.randint(0, 3), rng.randint(1, 12), 1),
            opted_in=True, opted_in_at=now, share_links=True, new_sponsors_need_approval=False,
            search_text=normalize(" ".join([headline, position, location, *(a.name for a in areas),
                                            " ".join(rng.sample(WORDS, 8))]))))
        chosen.append(areas)
    profiles = RecruitmentProfile.objects.bulk_create(rows, batch_size=2000)
    through = RecruitmentProfile.research_areas.through
    through.objects.bulk_create([through(recruitmentprofile_id=p.pk, topic_id=t.pk)
                                 for p, areas in zip(profiles, chosen, strict=True) for t in areas], batch_size=5000)
    tier = Tier.objects.create(conference=conference, name="Gold", recruitment_access=Tier.Access.CVS,
                               access_from=now - timedelta(days=1), access_until=now + timedelta(days=30))
    sponsor = Sponsor.objects.create(conference=conference, tier=tier, name="Acme", slug="acme")
    member = SponsorMember.objects.create(sponsor=sponsor, user=User.objects.create(email="r@acme.example"),
                                          role=SponsorMember.Role.ADMIN)
    _token, key = APIToken.issue(member, "bench")
    rl = topics[1].slug
    queries = [
        ("keyword 'reinforcement'", urlencode({"q": "reinforcement"})),
        ("keyword + area + job type", urlencode({"q": "diffusion", "area": rl, "job_type": "internship"})),
        ("accented 'muller zurich'", urlencode({"q": "muller"})),
        ("area + position + year", urlencode({"area": rl, "position": "phd", "graduation_year": 2027})),
        ("no filter (all profiles)", ""),
    ]
    return key, queries


def main() -> int:
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="confsite-bench-recruitment-"))
    (var_dir / "static").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "REDIS_URL")}
    env.update({"DJANGO_SETTINGS_MODULE": "confsite.settings", "DEBUG": "false",
                "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789abcdef",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}", "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "false", "CONFSITE_VAR_DIR": str(var_dir),
                "STATIC_ROOT": str(var_dir / "static")})
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    gunicorn = None
    try:
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,  # noqa: S603
                       check=True, stdout=subprocess.DEVNULL)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        started = time.perf_counter()
        key, queries = build(args.profiles)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        connection.close()
        print(f"{args.profiles} opted-in profiles built in {time.perf_counter() - started:.1f} s")
        port = 18000 + os.getpid() % 1000
        gunicorn = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "confsite.wsgi", "-w", "3",  # noqa: S603
                                     "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env)
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {key}"}
        for label, query in queries:
            times, body = [], {}
            for i in range(args.repeat + 3):
                begun = time.perf_counter()
                conn.request("GET", f"/api/bench/sponsor/profiles/?{query}", headers=headers)
                response = conn.getresponse()
                raw = response.read()
                if i >= 3:  # the first requests warm each worker's caches
                    times.append(time.perf_counter() - begun)
                if response.status != 200:
                    raise RuntimeError(f"{label}: HTTP {response.status} {raw[:200]!r}")
                body = json.loads(raw)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))] * 1000
            print(f"  {label:28} matches {body.get('count', '?'):>6}  first page {len(body.get('results', [])):>3}  "
                  f"p50 {statistics.median(times) * 1000:6.1f} ms  p95 {p95:6.1f} ms")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
