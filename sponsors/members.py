"""A sponsor's members, managed by its sponsor admins from the portal.

Members are added by the e-mail of an existing account (the portal never creates accounts or
reveals whether an address has one beyond "no account"), and every sponsor keeps at least one
admin: the count is taken under a row lock on the sponsor, so two admins removing each other at
the same moment cannot leave it without one.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from confsite.models import User
from confsite.outbox import queue_templated_email

from .models import Sponsor, SponsorMember
from .services import SponsorError


def _lock(sponsor: Sponsor) -> Sponsor:
    return Sponsor.objects.select_for_update().get(pk=sponsor.pk)


def _other_admins(member: SponsorMember) -> bool:
    return (SponsorMember.objects.filter(sponsor_id=member.sponsor_id, role=SponsorMember.Role.ADMIN)
            .exclude(pk=member.pk).exists())


def _find_user(email: str) -> User | None:
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email, verified=True).select_related("user").first()
        user = address.user if address else None
    return user


@transaction.atomic
def add_member(sponsor: Sponsor, email: str, role: str) -> SponsorMember:
    """Add the account with this e-mail to the sponsor; it is told by e-mail (two-factor comes first)."""
    if role not in SponsorMember.Role.values:
        raise SponsorError(_("Choose a role: sponsor admin or recruiter."))
    user = _find_user(email or "")
    if user is None:
        raise SponsorError(_("There is no account with the address %(email)s. Ask them to sign up first, then add "
                             "them.") % {"email": email.strip()})
    sponsor = _lock(sponsor)
    if SponsorMember.objects.filter(sponsor=sponsor, user=user).exists():
        raise SponsorError(_("%(email)s is already a member.") % {"email": user.email})
    member = SponsorMember.objects.create(sponsor=sponsor, user=user, role=role)
    queue_templated_email(
        purpose="sponsor_member_added", object_key=str(member.pk), recipient=user.email,
        template_prefix="sponsors/email/portal_member_added",
        context={"sponsor": sponsor, "conference": sponsor.conference, "member": member,
                 "site_url": settings.SITE_URL},
        language=user.language, conference=sponsor.conference)
    return member


@transaction.atomic
def change_role(member: SponsorMember, role: str) -> SponsorMember:
    """Make a member an admin or a recruiter; the last admin cannot become a recruiter."""
    if role not in SponsorMember.Role.values:
        raise SponsorError(_("Choose a role: sponsor admin or recruiter."))
    _lock(member.sponsor)
    member = SponsorMember.objects.select_related("user").get(pk=member.pk)
    if role == SponsorMember.Role.RECRUITER and member.role == SponsorMember.Role.ADMIN and not _other_admins(member):
        raise SponsorError(_("%(email)s is the only sponsor admin. Make someone else an admin first.")
                           % {"email": member.user.email})
    SponsorMember.objects.filter(pk=member.pk).update(role=role)
    member.role = role
    return member


@transaction.atomic
def remove_member(member: SponsorMember) -> None:
    """Remove a member (their API tokens go with them); the last admin cannot be removed."""
    _lock(member.sponsor)
    member = SponsorMember.objects.select_related("user").get(pk=member.pk)
    if member.role == SponsorMember.Role.ADMIN and not _other_admins(member):
        raise SponsorError(_("%(email)s is the only sponsor admin and cannot be removed. Make someone else an admin "
                             "first.") % {"email": member.user.email})
    member.delete()
