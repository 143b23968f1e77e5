"""Who qualifies for the academic and student rates without a proof."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from confsite.models import Conference, User

from .models import Category, EligibilityDomain, Registration


def matching_domain(conference: Conference, email: str) -> EligibilityDomain | None:
    """The most specific listed domain that `email` falls under (kaist.ac.kr before ac.kr)."""
    host = email.rsplit("@", 1)[-1].lower()
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    found = {d.domain: d for d in EligibilityDomain.objects.filter(conference=conference, domain__in=candidates)}
    return next((found[c] for c in candidates if c in found), None)


def is_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def initial_eligibility(conference: Conference, user: User, category: Category) -> str:
    """Eligibility status for a new registration: granted by a verified institutional address, or a proof."""
    if not category.needs_eligibility:
        return Registration.Eligibility.NOT_NEEDED
    if is_verified(user):
        domain = matching_domain(conference, user.email)
        if domain and (category.kind == Category.Kind.ACADEMIC or domain.grants_student):
            return Registration.Eligibility.DOMAIN
    return Registration.Eligibility.PROOF_NEEDED
