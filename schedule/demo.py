"""An ICML-sized demo programme for ICML 2026: 3,300 papers, six poster sessions, orals, tutorials, workshops.

Called by `manage.py load_demo` (which finds each app's `demo.load`). Everything is generated from a
fixed random seed, so two loads give the same programme; a second load finds the programme and
leaves it alone. Names include accents, Hangul and several different "Wei Zhang"s (different
OpenReview ids), because search and author identity must cope with them.

Two releases are published: release 2 moves poster session 3 to another day and hall, so the
changelog and the digest e-mail (to the demo attendee, who starred it) have something to show.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils.text import slugify

from confsite.models import Conference, User

from . import boards, caching, services
from .models import Author, Authorship, Paper, Presentation, Room, Session, Speaker, Star, Topic, normalize

SEED = 2026
PAPERS = 3300
POSTER_SESSION_SIZES = [600, 550, 550, 550, 550, 500]
ORAL_ROOMS = ["Hall D1", "Hall D2", "Room 401", "Room 402"]

TOPICS = [
    "Deep learning", "Reinforcement learning", "Optimization", "Probabilistic methods", "Learning theory",
    "Large language models", "Computer vision", "Graph neural networks", "Causality", "Fairness and ethics",
    "Robustness and safety", "Generative models", "Kernel methods", "Bandits", "Federated learning",
    "Time series", "Healthcare and biology", "Neuroscience and cognitive science", "Sparsity and compression",
    "Evaluation and benchmarks",
]
FIRST = ["Wei", "Yuki", "Ana", "Jürgen", "Zoë", "Étienne", "Priya", "Olusegun", "María", "Søren", "Chloé",
         "Hao", "Fatima", "Lukas", "Ngozi", "Mateo", "Aylin", "Dmitri", "Leïla", "Kenji", "Björn", "Aoife",
         "Rahul", "Sofía", "Tomás", "Mei", "Youssef", "Ines", "Jiho", "Seo-yeon", "Minjun", "Haruto"]
LAST = ["Zhang", "Wang", "Li", "Müller", "García", "Kowalski", "Nguyen", "Okafor", "Sato", "Dubois",
        "Andersen", "Ó Briain", "Rossi", "Khan", "Silva", "Novák", "Yılmaz", "Ivanova", "Schäfer", "Chen",
        "Park", "Lee", "Choi", "Tanaka", "Haddad", "Fernández", "Lefèvre", "Costa", "Jensen", "Kumar"]
HANGUL = ["김민준", "이서연", "박지호", "최유진", "정하은", "강도윤", "조서준", "윤지우"]
AFFILIATIONS = ["KAIST", "Seoul National University", "POSTECH", "Yonsei University", "Korea University",
                "University of Tokyo", "Tsinghua University", "Peking University", "MIT", "Stanford University",
                "Carnegie Mellon University", "UC Berkeley", "ETH Zürich", "EPFL", "University of Oxford",
                "University of Cambridge", "Mila – Université de Montréal", "University of Toronto",
                "Max Planck Institute for Intelligent Systems", "INRIA", "Technische Universität München",
                "Google DeepMind", "Meta AI", "Microsoft Research", "NAVER AI Lab", "Samsung AI Center",
                "LG AI Research", "Kakao Brain", "Universidad de Buenos Aires", "IIT Bombay"]
ADJECTIVES = ["Scalable", "Provable", "Efficient", "Robust", "Sparse", "Adaptive", "Causal", "Differentiable",
              "Federated", "Hierarchical", "Contrastive", "Bayesian", "Equivariant", "Implicit", "Stochastic"]
METHODS = ["Transformers", "Diffusion Models", "Policy Gradients", "Gaussian Processes", "Graph Networks",
           "Mixture of Experts", "State-Space Models", "Kernel Machines", "Normalizing Flows", "Bandit Algorithms",
           "Score Matching", "Attention", "Autoencoders", "Boosting", "Language Models"]
TASKS = ["Long-Context Reasoning", "Offline Reinforcement Learning", "Protein Design", "Time-Series Forecasting",
         "Few-Shot Classification", "Causal Discovery", "Robust Optimization", "Molecular Generation",
         "Video Understanding", "Private Learning", "Weather Prediction", "Neural Decoding",
         "Code Generation", "Active Learning", "Fair Ranking", "Korean Speech Recognition"]

KEYNOTES = [
    ("Learning from Humans at Scale", "Yejin Park", "Seoul National University"),
    ("The Geometry of Generalisation", "Élodie Marchand", "INRIA"),
    ("Machine Learning for the Physical Sciences", "Kwame Mensah", "University of Toronto"),
]
TUTORIALS = ["Diffusion Models from Scratch", "Causal Inference for ML Practitioners", "Efficient LLM Serving",
             "Reinforcement Learning from Human Feedback", "Probabilistic Programming", "Graph Learning in Practice"]
WORKSHOPS = ["Foundation Models for Science", "Trustworthy ML", "ML for Korean and Low-Resource Languages",
             "Efficient Systems for Foundation Models", "Geometric Deep Learning", "Causal Representation Learning",
             "AI for Climate", "Theory of Deep Learning", "Data-centric ML", "Agents and Tool Use",
             "Healthcare ML", "Open-Source ML Software", "Continual Learning", "Privacy in ML",
             "Multimodal Learning", "ML for Code", "Safety of Frontier Models", "Interpretability",
             "Embodied AI", "Uncertainty Quantification"]


def load(conference: Conference, stdout=None) -> None:
    if conference.slug != "icml2026" or Session.objects.filter(conference=conference).exists():
        return
    with transaction.atomic():
        programme = _Builder(conference).build()
    if stdout is not None:
        stdout.write(f"  schedule: {programme['papers']} papers, {programme['authors']} authors, "
                     f"{programme['sessions']} sessions, releases 1 and 2 published")


class _Builder:
    def __init__(self, conference: Conference):
        self.conference = conference
        self.rng = random.Random(SEED)
        self.tz = conference.tzinfo

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.conference.start_date + timedelta(days=day), time(hour, minute), tzinfo=self.tz)

    def build(self) -> dict:
        c = self.conference
        rooms = {}
        for position, (name, hall, capacity, prefix, start) in enumerate([
            ("Hall A", "COEX Hall A", 6000, "", 1), ("Hall D1", "COEX Hall D", 1500, "", 1),
            ("Hall D2", "COEX Hall D", 1500, "", 1), ("Room 401", "COEX 4F", 600, "", 1),
            ("Room 402", "COEX 4F", 600, "", 1), ("Hall E", "COEX Hall E", 5000, "E", 1001),
            ("Hall C", "COEX Hall C", 4000, "C", 1001), ("Grand Ballroom", "COEX 1F", 3000, "", 1),
            *[(f"Room {300 + i}", "COEX 3F", 300, "", 1) for i in range(1, 11)],
        ]):
            rooms[name] = Room.objects.create(conference=c, name=name, hall=hall, capacity=capacity,
                                              position=position, board_prefix=prefix, board_start=start)
        topics = [Topic.objects.create(conference=c, name=n, slug=slugify(n)) for n in TOPICS]

        authors = self._authors()
        papers = self._papers(topics, authors)
        sessions = self._sessions(rooms, topics, papers)
        for session in sessions:
            if session.kind == Session.Kind.POSTER:
                boards.assign_boards(session)
        # The demo attendee (Minji Kim) wrote one paper, so her visa letter can name it.
        minji = User.objects.filter(email="attendee@confsite.example").first()
        if minji is not None:
            author = Author.objects.create(conference=c, name="Minji Kim", email=minji.email)
            first = papers[7]
            Authorship.objects.filter(paper=first, position=0).update(position=99)
            Authorship.objects.create(paper=first, author=author, position=0, affiliation="KAIST")
            services.refresh_search_text([first])

        services.publish_release(c, comment="First programme.")
        poster3 = next(s for s in sessions if s.title == "Poster Session 3")
        if minji is not None:
            Star.objects.bulk_create([Star(user=minji, conference=c, session=poster3),
                                      Star(user=minji, conference=c, session=sessions[0]),
                                      Star(user=minji, conference=c, paper=papers[7])])
        # Release 2: poster session 3 swaps with poster session 4's hall and moves a day later.
        poster3.start, poster3.end, poster3.room = self.at(2, 16, 30), self.at(2, 19), rooms["Hall C"]
        poster3.save()
        services.publish_release(c, comment="Poster session 3 moved to Wednesday afternoon, Hall C.")
        caching.bump(c.pk)
        return {"papers": len(papers), "authors": len(authors), "sessions": len(sessions)}

    def _authors(self) -> list[Author]:
        rng = self.rng
        rows = []
        # Several different people called Wei Zhang: never merged, because their ids differ.
        for n in range(1, 6):
            rows.append(Author(conference=self.conference, name="Wei Zhang", openreview_id=f"~Wei_Zhang{n}"))
        for i in range(9000):
            if rng.random() < 0.08:
                name = rng.choice(HANGUL)
            else:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            openreview_id = "~" + name.replace(" ", "_") + str(i + 1)
            rows.append(Author(conference=self.conference, name=name, openreview_id=openreview_id))
        for row in rows:
            row.search_name = normalize(row.name)
        return Author.objects.bulk_create(rows, batch_size=1000)

    def _papers(self, topics: list[Topic], authors: list[Author]) -> list[Paper]:
        rng = self.rng
        decisions = [Paper.Decision.ORAL] * 120 + [Paper.Decision.SPOTLIGHT] * 240
        decisions += [Paper.Decision.POSTER] * (PAPERS - len(decisions))
        rng.shuffle(decisions)
        rows, lineups, paper_topics = [], [], []
        for i in range(PAPERS):
            title = f"{rng.choice(ADJECTIVES)} {rng.choice(METHODS)} for {rng.choice(TASKS)}"
            if i % 7 == 0:
                title += f" ({i})"
            lineup = rng.sample(authors, rng.randint(2, 7))
            chosen = rng.sample(topics, rng.randint(1, 3))
            forum = f"demo{i:05d}"
            rows.append(Paper(
                conference=self.conference, external_id=forum, title=title, decision=decisions[i],
                abstract=(f"We propose {title.lower()}. Experiments on standard benchmarks show consistent "
                          f"gains over strong baselines, and we release code and data."),
                keywords=", ".join(t.name for t in chosen),
                openreview_url=f"https://openreview.net/forum?id={forum}",
                arxiv_url=f"https://arxiv.org/abs/2602.{10000 + i:05d}" if i % 3 == 0 else "",
                search_text=normalize(" ".join([title, *(t.name for t in chosen), *(a.name for a in lineup)])),
            ))
            lineups.append(lineup)
            paper_topics.append(chosen)
        papers = Paper.objects.bulk_create(rows, batch_size=500)
        Authorship.objects.bulk_create([
            Authorship(paper=paper, author=author, position=position, affiliation=rng.choice(AFFILIATIONS))
            for paper, lineup in zip(papers, lineups, strict=True) for position, author in enumerate(lineup)
        ], batch_size=2000)
        through = Paper.topics.through
        through.objects.bulk_create([through(paper_id=p.pk, topic_id=t.pk)
                                     for p, chosen in zip(papers, paper_topics, strict=True) for t in chosen],
                                    batch_size=2000)
        return papers

    def _sessions(self, rooms: dict, topics: list[Topic], papers: list[Paper]) -> list[Session]:
        c, K = self.conference, Session.Kind
        sessions: list[Session] = []

        def add(kind, title, room, start, end, description="", speakers=()):
            session = Session.objects.create(conference=c, kind=kind, title=title, room=room, start=start,
                                             end=end, description=description)
            if speakers:
                session.speakers.set(speakers)
            sessions.append(session)
            return session

        # Day 0 (Mon 6 Jul): tutorials and the expo.
        for i, title in enumerate(TUTORIALS):
            speaker = Speaker.objects.create(conference=c, name=f"{FIRST[i + 3]} {LAST[i + 5]}",
                                             affiliation=AFFILIATIONS[i], biography="Tutorial speaker.")
            start = self.at(0, 9, 30) if i < 3 else self.at(0, 13, 30)
            add(K.TUTORIAL, title, rooms[f"Room {301 + i % 3}"], start, start + timedelta(hours=2, minutes=30),
                "A hands-on tutorial.", [speaker])
        for i in range(4):
            add(K.EXPO, f"Expo talk: {METHODS[i]} in production", rooms["Room 310"], self.at(0, 10 + i * 2),
                self.at(0, 11 + i * 2), "An industry talk from a sponsor.")
        add(K.SOCIAL, "Welcome reception", rooms["Grand Ballroom"], self.at(0, 18), self.at(0, 20, 30))

        # Days 1–3 (Tue–Thu): keynote, orals, two poster sessions a day, breaks.
        orals = [p for p in papers if p.decision == Paper.Decision.ORAL]
        by_decision = [p for p in papers if p.decision != Paper.Decision.ORAL]
        poster_order = orals + by_decision
        oral_index, poster_index, poster_number = 0, 0, 0
        for day in (1, 2, 3):
            title, name, affiliation = KEYNOTES[day - 1]
            speaker = Speaker.objects.create(conference=c, name=name, affiliation=affiliation,
                                             biography="Keynote speaker.")
            add(K.KEYNOTE, title, rooms["Hall A"], self.at(day, 9), self.at(day, 10), "Keynote.", [speaker])
            add(K.BREAK, "Coffee break", None, self.at(day, 10), self.at(day, 10, 30))
            for block, (hour, minute) in enumerate(((13, 0), (14, 45))):
                for r, room_name in enumerate(ORAL_ROOMS):
                    topic = topics[(day * 8 + block * 4 + r) % len(topics)]
                    start = self.at(day, hour, minute)
                    label = f"{day}{chr(65 + block * 4 + r)}"
                    session = add(K.ORAL, f"Oral {label} · {topic.name}", rooms[room_name], start,
                                  start + timedelta(minutes=75))
                    session.topics.add(topic)
                    talks = orals[oral_index:oral_index + 5]
                    oral_index += 5
                    Presentation.objects.bulk_create([
                        Presentation(session=session, paper=p, position=k, start=start + timedelta(minutes=15 * k),
                                     end=start + timedelta(minutes=15 * k + 12)) for k, p in enumerate(talks)])
            for start, end, hall in ((self.at(day, 10, 30), self.at(day, 13), "Hall E"),
                                     (self.at(day, 16, 30), self.at(day, 19), "Hall E")):
                size = POSTER_SESSION_SIZES[poster_number]
                poster_number += 1
                session = add(K.POSTER, f"Poster Session {poster_number}", rooms[hall], start, end,
                              "Posters of the main conference; oral and spotlight papers present here too.")
                chunk = poster_order[poster_index:poster_index + size]
                poster_index += size
                Presentation.objects.bulk_create([Presentation(session=session, paper=p, position=k)
                                                  for k, p in enumerate(chunk)], batch_size=1000)
        add(K.SOCIAL, "Conference party", rooms["Grand Ballroom"], self.at(2, 19, 30), self.at(2, 22))

        # Days 4–5 (Fri–Sat): workshops.
        for day in (4, 5):
            for i in range(10):
                title = WORKSHOPS[(day - 4) * 10 + i]
                add(K.WORKSHOP, title, rooms[f"Room {301 + i}"], self.at(day, 8, 30), self.at(day, 17, 30),
                    "A full-day workshop with invited talks, contributed papers and a poster session.")
        return sessions
