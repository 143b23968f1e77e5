"""Demo sponsors for ICML 2026: tiers, sponsors with generated logos, the demo sponsor login with
two-factor, recruitment profiles with CVs, interview rooms with slots and complimentary passes.

Called by `manage.py load_demo` after the registration and schedule demos. Safe to run again:
tiers and sponsors are updated in place, everything else is created once. The recruitment window
runs from 1 June to 31 December 2026 (Seoul time) so the portal can be tried after the conference.
"""

from __future__ import annotations

import io
import zlib
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from confsite.models import Conference, ConsentText, User
from registration import services as registration
from registration.models import Category, Product
from schedule.models import Author, Topic

from . import passes, services
from .models import (
    ComplimentaryPass,
    InterviewRoom,
    InterviewSlot,
    RecruitmentProfile,
    Sponsor,
    SponsorMember,
    Tier,
)

SPONSOR_LOGIN = "sponsor@confsite.example"
# A second recruiter, in a tier that sees profiles but not CVs, to try the difference.
SILVER_LOGIN, SILVER_PASSWORD = "recruiter.silver@confsite.example", "demo-recruiter-2026"
# A fixed TOTP secret (base32) so the demo sponsor can log in: add it to an authenticator app.
DEMO_TOTP_SECRET = "CONFSITEDEMOSPONSORHANBITAIKOREA"
CONSENT_TEXT = (
    "If you opt in, your recruitment profile is shown to the sponsors whose tier includes recruitment access, "
    "listed by name on the consent page. You choose what to share (CV, e-mail, links), can exclude sponsors and "
    "withdraw at any time; withdrawal takes effect at once."
)

# name: (position, access, interview hours, passes, logo size, placement)
TIERS = {
    "Diamond": (0, Tier.Access.CVS, 20, 10, Tier.LogoSize.LARGE, "Home page banner, keynote stage, lanyards"),
    "Platinum": (1, Tier.Access.CVS, 12, 8, Tier.LogoSize.LARGE, "Home page, registration desk"),
    "Gold": (2, Tier.Access.CVS, 8, 5, Tier.LogoSize.MEDIUM, "Sponsors page, registration desk"),
    "Silver": (3, Tier.Access.PROFILES, 4, 3, Tier.LogoSize.MEDIUM, "Sponsors page"),
    "Bronze": (4, Tier.Access.NONE, 0, 2, Tier.LogoSize.SMALL, "Sponsors page"),
    "Start-up": (5, Tier.Access.PROFILES, 2, 1, Tier.LogoSize.SMALL, "Sponsors page, start-up corner"),
}
# slug: (name, tier, colour, website, description)
SPONSORS = {
    "hanbit-ai": ("Hanbit AI", "Diamond", (36, 84, 158), "https://hanbit-ai.example",
                  "Korean and multilingual foundation models, from research to products used by millions."),
    "gyeongbok-labs": ("Gyeongbok Labs", "Diamond", (150, 40, 60), "https://gyeongbok-labs.example",
                       "Research lab for efficient training and serving of large models."),
    "namsan-robotics": ("Namsan Robotics", "Platinum", (20, 120, 90), "https://namsan-robotics.example",
                        "Robot learning for logistics and manufacturing."),
    "orbital-compute": ("Orbital Compute", "Platinum", (90, 60, 150), "https://orbital-compute.example",
                        "Accelerators and cloud infrastructure for machine learning."),
    "jeju-data": ("Jeju Data", "Gold", (220, 120, 20), "https://jeju-data.example",
                  "Data-centric AI: labelling, evaluation and synthetic data."),
    "vector-harbor": ("Vector Harbor", "Gold", (30, 110, 160), "https://vector-harbor.example",
                      "Retrieval and vector search at scale."),
    "baekdu-systems": ("Baekdu Systems", "Silver", (70, 70, 70), "https://baekdu-systems.example",
                       "Compilers and runtimes for ML workloads."),
    "quill-research": ("Quill Research", "Silver", (120, 90, 40), "https://quill-research.example",
                       "Applied NLP for legal and scientific documents."),
    "lattice-works": ("Lattice Works", "Bronze", (40, 140, 140), "https://lattice-works.example",
                      "Optimisation software for operations research."),
    "tiny-gradient": ("Tiny Gradient", "Start-up", (200, 60, 120), "https://tiny-gradient.example",
                      "On-device learning for wearables."),
    "sparrow-ml": ("Sparrow ML", "Start-up", (100, 150, 40), "https://sparrow-ml.example",
                   "Small, fast models for edge vision."),
}
CANDIDATES = 199
HEADLINES = ["PhD student in {area}, graduating {year}", "Postdoc working on {area}",
             "Master's student interested in {area}", "ML engineer moving into {area} research"]
POSITIONS = [RecruitmentProfile.Position.PHD, RecruitmentProfile.Position.POSTDOC,
             RecruitmentProfile.Position.MASTER, RecruitmentProfile.Position.INDUSTRY]
LOCATIONS = ["Seoul", "Seoul, remote", "Europe", "US West Coast", "Tokyo, Singapore", "anywhere"]


def logo_png(name: str, colour: tuple[int, int, int]) -> bytes:
    """A square in the sponsor's colour with its initials, drawn at load time (no files in the repo)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (240, 240), colour)
    draw = ImageDraw.Draw(image)
    initials = "".join(word[0] for word in name.split()[:2]).upper()
    font = ImageFont.load_default(size=110)
    box = draw.textbbox((0, 0), initials, font=font)
    draw.text(((240 - (box[2] - box[0])) / 2 - box[0], (240 - (box[3] - box[1])) / 2 - box[1]), initials,
              font=font, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def cv_pdf(name: str, headline: str) -> bytes:
    """A minimal valid one-page PDF (written by hand: rendering real ones would slow the demo down)."""
    def escape(text: str) -> str:
        return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = zlib.compress(
        f"BT /F1 20 Tf 72 720 Td ({escape(name)}) Tj /F1 12 Tf 0 -28 Td ({escape(headline)}) Tj "
        f"0 -20 Td (Curriculum vitae - demo document) Tj ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _tiers(conference: Conference) -> dict[str, Tier]:
    zone = conference.tzinfo
    window = (datetime(2026, 6, 1, tzinfo=zone), datetime(2027, 1, 1, tzinfo=zone))  # through 31 Dec 2026
    tiers = {}
    for name, (position, access, hours, passes_, size, placement) in TIERS.items():
        tiers[name], _ = Tier.objects.update_or_create(conference=conference, name=name, defaults={
            "position": position, "recruitment_access": access, "interview_hours": hours,
            "complimentary_passes": passes_, "logo_size": size, "placement": placement,
            "access_from": window[0] if access != Tier.Access.NONE else None,
            "access_until": window[1] if access != Tier.Access.NONE else None,
        })
    return tiers


def _sponsors(conference: Conference, tiers: dict[str, Tier]) -> dict[str, Sponsor]:
    sponsors = {}
    for slug, (name, tier, colour, website, description) in SPONSORS.items():
        sponsor, _ = Sponsor.objects.update_or_create(conference=conference, slug=slug, defaults={
            "name": name, "tier": tiers[tier], "website": website, "description": description, "is_published": True})
        if not sponsor.logo:
            sponsor.logo.save(f"{slug}.png", ContentFile(logo_png(name, colour)), save=True)
        sponsors[slug] = sponsor
    return sponsors


def _two_factor(user: User) -> list[str]:
    """Give the demo sponsor the fixed TOTP secret and recovery codes; returns the unused codes."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt

    current = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if current is None or decrypt(current.data["secret"]) != DEMO_TOTP_SECRET:
        Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return RecoveryCodes.activate(user).get_unused_codes()


def _candidate(conference: Conference, author: Author, n: int) -> User:
    first, _, last = author.name.partition(" ")
    email = f"candidate{n:02}@demo-candidates.example"
    user, _ = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last or first})
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _profiles(conference: Conference, sponsors: dict[str, Sponsor]) -> int:
    if RecruitmentProfile.objects.filter(conference=conference).exists():
        return RecruitmentProfile.objects.filter(conference=conference, opted_in=True).count()
    topics = list(Topic.objects.filter(conference=conference).order_by("name"))
    people = [(User.objects.get(email="attendee@confsite.example"), None)]
    authors = Author.objects.filter(conference=conference).exclude(openreview_id="").order_by("pk")[:CANDIDATES]
    people += [(_candidate(conference, author, n), author) for n, author in enumerate(authors, start=1)]
    for n, (user, author) in enumerate(people):
        areas = [topics[(n * 3 + k) % len(topics)] for k in range(2)] if topics else []
        year = 2026 + n % 3
        profile = RecruitmentProfile.objects.create(
            user=user, conference=conference,
            headline=HEADLINES[n % len(HEADLINES)].format(area=areas[0].name.lower() if areas else "machine learning",
                                                         year=year),
            position=POSITIONS[n % len(POSITIONS)], wants_internship=n % 2 == 0, wants_full_time=n % 3 != 1,
            wants_postdoc=n % 4 == 1, graduation_date=date(year, 6 if n % 2 else 12, 1),
            locations=LOCATIONS[n % len(LOCATIONS)],
            openreview_url=f"https://openreview.net/profile?id={author.openreview_id}" if author else "",
            github_url=f"https://github.com/demo-candidate-{n}",
            keep_for_next_edition=n % 5 == 0)
        profile.research_areas.set(areas)
        with_cv = n % 3 != 2  # two thirds upload a CV
        if with_cv:
            profile.cv.save(f"cv-{n}.pdf", ContentFile(cv_pdf(user.get_full_name() or user.email, profile.headline)),
                            save=False)
            profile.cv_uploaded_at = timezone.now()
            profile.save(update_fields=["cv", "cv_uploaded_at"])
        # Most share; one in five excludes a Diamond sponsor; the last one opts out again.
        excluded = [sponsors["gyeongbok-labs"]] if n % 5 == 4 else []
        services.opt_in(profile, share_cv=with_cv, share_email=n % 2 == 0, share_links=True, excluded=excluded,
                        new_sponsors_need_approval=n % 2 == 1)
        services.refresh_search_text(profile)
        if n == len(people) - 1:
            services.opt_out(profile)
    return RecruitmentProfile.objects.filter(conference=conference, opted_in=True).count()


def _interview_rooms(conference: Conference) -> int:
    """Three rooms with hour-long slots on three days from tomorrow (or the first conference day, if later)."""
    if InterviewRoom.objects.filter(conference=conference).exists():
        return InterviewSlot.objects.filter(room__conference=conference).count()
    zone = conference.tzinfo
    first = max(conference.start_date, timezone.localdate(timezone.now(), zone) + timedelta(days=1))
    slots = []
    for number, location in enumerate(["COEX 3F, Room 311", "COEX 3F, Room 312", "COEX 3F, Room 313"], start=1):
        room = InterviewRoom.objects.create(conference=conference, name=f"Interview room {number}", location=location)
        for day in range(3):
            for hour in (10, 11, 13, 14, 15, 16):
                start = datetime.combine(first + timedelta(days=day), time(hour), tzinfo=zone)
                slots.append(InterviewSlot(room=room, start=start, end=start + timedelta(hours=1)))
    InterviewSlot.objects.bulk_create(slots)
    return len(slots)


def _passes(conference: Conference, hanbit: Sponsor, by: User) -> None:
    """Two of Hanbit AI's passes: one already used to register, one waiting."""
    if ComplimentaryPass.objects.filter(sponsor=hanbit).exists():
        return
    used = passes.assign_pass(hanbit, "jisoo.han@hanbit-ai.example", by=by)
    guest, _ = User.objects.get_or_create(email=used.email, defaults={"first_name": "Jisoo", "last_name": "Han"})
    EmailAddress.objects.get_or_create(user=guest, email=guest.email, defaults={"verified": True, "primary": True})
    category = Category.objects.get(conference=conference, kind=Category.Kind.NON_ACADEMIC)
    product = Product.objects.get(conference=conference, kind=Product.Kind.FULL)
    registration.place_order(
        conference=conference, buyer=guest, accept_code_of_conduct=True, voucher_code=used.voucher.code,
        attendees=[registration.AttendeeRequest(
            email=guest.email, category=category, pass_product=product,
            profile={"badge_name": "Jisoo Han", "legal_name": "Han Jisoo", "affiliation": "Hanbit AI",
                     "position": "industry_researcher", "country": "KR"})])
    passes.assign_pass(hanbit, "recruiting@hanbit-ai.example", by=by)


@transaction.atomic
def load(conference: Conference, stdout=None) -> None:
    if conference.slug != "icml2026":
        return
    ConsentText.objects.get_or_create(conference=conference, purpose=services.RECRUITMENT, version="1",
                                      defaults={"text": CONSENT_TEXT})
    tiers = _tiers(conference)
    sponsors = _sponsors(conference, tiers)
    hanbit = sponsors["hanbit-ai"]
    account = User.objects.get(email=SPONSOR_LOGIN)
    SponsorMember.objects.update_or_create(sponsor=hanbit, user=account, defaults={"role": SponsorMember.Role.ADMIN})
    codes = _two_factor(account)
    silver, _ = User.objects.get_or_create(email=SILVER_LOGIN, defaults={"first_name": "Seo-yeon", "last_name": "Baek"})
    silver.set_password(SILVER_PASSWORD)
    silver.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=silver, email=SILVER_LOGIN, defaults={"verified": True, "primary": True})
    SponsorMember.objects.update_or_create(sponsor=sponsors["baekdu-systems"], user=silver,
                                           defaults={"role": SponsorMember.Role.RECRUITER})
    _two_factor(silver)
    shared = _profiles(conference, sponsors)
    slots = _interview_rooms(conference)
    _passes(conference, hanbit, account)
    if stdout is None:
        return
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(timezone.now().timestamp()) // app_settings.TOTP_PERIOD
    now_code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
    stdout.write(f"  sponsors: {len(sponsors)} sponsors in {len(tiers)} tiers, {shared} profiles shared with "
                 f"sponsors, {slots} interview slots")
    stdout.write(f"  Demo sponsor: {SPONSOR_LOGIN} is admin of Hanbit AI (Diamond): /icml2026/sponsor-portal/")
    stdout.write(f"    two-factor: add the TOTP secret {DEMO_TOTP_SECRET} to an authenticator app "
                 f"(code right now: {now_code}),")
    stdout.write(f"    or use a recovery code: {', '.join(codes[:3])} …")
    stdout.write(f"  Demo recruiter without CV access: {SILVER_LOGIN} / {SILVER_PASSWORD} (Baekdu Systems, Silver), "
                 "same TOTP secret")
