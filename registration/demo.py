"""Demo registration data for ICML 2026: the catalogue, vouchers, and registrations in every state.

Called by `manage.py load_demo` (which finds each app's `demo.load`). Safe to run again: the
catalogue is updated in place and the registrations are created only once.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from confsite.models import Conference, ConsentText, User

from . import billing, services
from .catalogue import build_standard_catalogue
from .models import (
    Category,
    ConferenceDay,
    Order,
    PassportData,
    Product,
    Quota,
    RefundPolicy,
    Registration,
    RegistrationSettings,
    VisaLetter,
    Voucher,
)
from .pricing import end_of_day_aoe

DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
INVOICE_ISSUER = (
    "International Machine Learning Society (demo)\n"
    "COEX, 513 Yeongdong-daero, Gangnam-gu, Seoul 06164, Republic of Korea\n"
    "Business registration no. 000-00-00000 (placeholder)"
)
BANK_INSTRUCTIONS = (
    "Account holder: ICML 2026 Registration (demo)\n"
    "Bank: Demo Bank Seoul, SWIFT DEMOKRSE\n"
    "Account: 000-000000-00-000\n"
    "Quote the order reference; pay all bank charges (OUR)."
)
RECRUITMENT_TEXT = (
    "If you opt in, your recruitment profile (name, affiliation, position, research areas and what you choose "
    "to add: CV, e-mail, links) is shown to the sponsors whose tier includes recruitment access, listed by name "
    "on the consent page. You can exclude sponsors and withdraw at any time; withdrawal takes effect at once."
)


def _person(email: str, first: str, last: str, verified: bool = True) -> User:
    user, _ = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last})
    if verified:
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _profile(badge: str, legal: str, affiliation: str, position: str, country: str) -> dict:
    return {"badge_name": badge, "legal_name": legal, "affiliation": affiliation, "position": position, "country": country}


def load(conference: Conference, stdout=None) -> None:
    if conference.slug != "icml2026":
        return
    cat = build_standard_catalogue(conference, early_until=date(2026, 5, 15), regular_until=date(2026, 6, 19),
                                   order_prefix="ICML26")
    lunch, _ = Product.objects.update_or_create(
        conference=conference, kind=Product.Kind.ADDON, name="Mentoring lunch",
        defaults={"position": 11, "description": "Lunch with senior researchers (limited seats)."},
    )
    lunch_quota, _ = Quota.objects.update_or_create(conference=conference, name="Mentoring lunch", defaults={"size": 2})
    lunch.quotas.set([lunch_quota])
    for period in cat.periods.values():
        lunch.prices.update_or_create(category=None, period=period, defaults={"amount": 25})
    for code, kind, value, uses, source in [
        ("SPONSOR-DEMOAI-1", Voucher.Kind.COMPLIMENTARY, 0, 5, "sponsor: Demo AI"),
        ("VOLUNTEER-2026", Voucher.Kind.COMPLIMENTARY, 0, 50, "volunteer"),
        ("IMLS-MEMBER", Voucher.Kind.PERCENT, 10, 500, "society: IMLS"),
    ]:
        Voucher.objects.update_or_create(conference=conference, code=code,
                                         defaults={"kind": kind, "value": value, "max_uses": uses, "source": source})
    ConsentText.objects.get_or_create(conference=conference, purpose=services.RECRUITMENT, version="1",
                                      defaults={"text": RECRUITMENT_TEXT})
    RegistrationSettings.objects.filter(conference=conference).update(
        invoice_issuer=INVOICE_ISSUER, bank_instructions=BANK_INSTRUCTIONS, tax_rate=Decimal("10"), tax_label="VAT",
    )
    RefundPolicy.objects.update_or_create(conference=conference, defaults={
        "full_refund_until": end_of_day_aoe(date(2026, 5, 31)), "fee_until": end_of_day_aoe(date(2026, 6, 26)),
        "fee_percent": Decimal("20"), "fee_minimum": Decimal("50"), "visa_denial_applied_before": date(2026, 5, 15),
    })
    # ICML 2026: tutorials on 6 July, the main conference 7–9 July, workshops 10–11 July (check-in admits by these).
    for day, part in [(6, ConferenceDay.Part.TUTORIALS), (7, ConferenceDay.Part.MAIN), (8, ConferenceDay.Part.MAIN),
                      (9, ConferenceDay.Part.MAIN), (10, ConferenceDay.Part.WORKSHOPS), (11, ConferenceDay.Part.WORKSHOPS)]:
        ConferenceDay.objects.update_or_create(conference=conference, date=date(2026, 7, day), defaults={"part": part})
    if Order.objects.filter(conference=conference).exists():
        return

    A, S, N = (cat.categories[k] for k in (Category.Kind.ACADEMIC, Category.Kind.STUDENT, Category.Kind.NON_ACADEMIC))
    full, main, workshops = (cat.products[k] for k in (Product.Kind.FULL, Product.Kind.MAIN, Product.Kind.WORKSHOPS))
    social = cat.products["social"]

    def order(buyer, people, code="", accept=True):
        return services.place_order(conference=conference, buyer=buyer, attendees=people, accept_code_of_conduct=accept,
                                    voucher_code=code)

    def req(email, category, pass_product, addons=(), **profile):
        return services.AttendeeRequest(email=email, category=category, pass_product=pass_product, addons=addons,
                                        profile=profile)

    # The demo attendee: paid, full conference with the social event.
    attendee = User.objects.get(email="attendee@confsite.example")
    paid = order(attendee, [req(attendee.email, N, full, [social], **_profile("김민지", "Kim Minji", "Naver AI Lab",
                                                                               "industry_researcher", "KR"))])
    billing.record_payment(paid, amount=paid.total, provider="bank", external_id="KEB-20260412-0931",
                           note="Demo: bank transfer")
    # A visa letter issued back in April (written directly: the service no longer issues letters for an
    # edition that has ended). Its PDF is rendered on first download; /icml2026/documents/verify/DEMO2026VISA/
    # confirms it.
    letter = VisaLetter.objects.create(registration=Registration.objects.get(order=paid), reference="DEMO2026VISA",
                                       name_on_letter="KIM MINJI", role="Attendee",
                                       issued_at=end_of_day_aoe(date(2026, 4, 14)))
    PassportData.objects.create(letter=letter, passport_name="KIM MINJI", nationality="KR", passport_number="M12345678",
                                date_of_birth=date(1994, 3, 2))
    # A professor whose university address grants the academic rate: pending payment.
    prof = _person("h.mueller@tum.edu", "Hannah", "Müller")
    hannah = order(prof, [req(prof.email, A, main, **_profile("Hannah Müller", "Hannah Müller", "TU München", "faculty", "DE"))])
    billing.update_billing(hannah, by=prof, billing_name="Technische Universität München",
                           billing_address="Arcisstraße 21\n80333 München\nGermany", vat_id="DE129523996",
                           po_number="PO-2026-4711")
    billing.request_proforma(hannah, by=prof)
    # A student who uploaded a proof that awaits review, and one whose proof was rejected.
    for email, first, last, badge, affiliation, country, decide in [
        ("wei.zhang.2026@gmail.com", "Wei", "Zhang", "张伟", "Tsinghua University", "CN", None),
        ("amira.haddad@outlook.com", "Amira", "Haddad", "أميرة حداد", "Cairo University", "EG", False),
    ]:
        student = _person(email, first, last)
        order(student, [req(email, S, full, **_profile(badge, f"{first} {last}", affiliation, "phd", country))])
        registration = Registration.objects.get(conference=conference, user=student, status="active")
        proof = services.submit_proof(registration, SimpleUploadedFile("student-card.pdf", DEMO_PDF), by=student)
        if decide is not None:
            organiser = User.objects.get(email="organiser@confsite.example")
            services.decide_proof(proof, approve=decide, by=organiser, note="The card shows no date of validity.")
    # A lab manager's group order for three people (pending payment).
    manager = _person("lab.manager@postech.ac.kr", "Jiwoo", "Park")
    order(manager, [
        req("seojun.lee@postech.ac.kr", N, workshops, **_profile("이서준", "Lee Seojun", "POSTECH", "engineer", "KR")),
        req("jose.garcia@postech.ac.kr", N, main, **_profile("José García", "José García", "POSTECH", "postdoc", "ES")),
        req("yuki.tanaka@postech.ac.kr", N, main, [social], **_profile("田中 由紀", "Tanaka Yuki", "POSTECH", "engineer", "JP")),
    ])
    # A sponsor's complimentary pass (paid at once), an expired order and a cancelled one.
    guest = _person("guest.speaker@demo-ai.example", "Alex", "Rivera")
    order(guest, [req(guest.email, N, full, **_profile("Alex Rivera", "Alex Rivera", "Demo AI", "industry_researcher", "US"))],
          code="SPONSOR-DEMOAI-1")
    late = _person("late.payer@example.com", "Sam", "Late")
    expired = order(late, [req(late.email, N, main, **_profile("Sam Late", "Sam Late", "Acme Robotics", "engineer", "US"))])
    Order.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    services.expire_due_orders()
    quitter = _person("changed.plans@example.com", "Robin", "Quit")
    cancelled = order(quitter, [req(quitter.email, N, main, **_profile("Robin", "Robin Quit", "Acme", "engineer", "GB"))])
    billing.record_payment(cancelled, amount=cancelled.total, provider="bank", external_id="DEMO-BANK-2")
    # Cancelled in May, inside the full-refund period: a credit note and a refund for finance to pay out.
    billing.cancel_with_refund(cancelled, by=quitter, now=end_of_day_aoe(date(2026, 5, 20)))
    # The mentoring lunch is sold out, with someone waiting.
    for email in ("h.mueller@tum.edu", "attendee@confsite.example"):
        person = User.objects.get(email=email)
        registration = Registration.objects.get(conference=conference, user=person, status="active")
        order(person, [req(email, registration.category, None, [lunch])])
    services.join_waiting_list(conference, User.objects.get(email="seojun.lee@postech.ac.kr"), lunch)
    if stdout:
        stdout.write(f"  registration demo: {Order.objects.filter(conference=conference).count()} orders in every state")
