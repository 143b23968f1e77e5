"""A sponsor's members, managed by its sponsor admins from the portal.

Members are invited by e-mail: every address an admin types gets the same invitation and the admin
the same answer, whether or not the address has an account, so the portal never reveals who is
registered (nor echoes an account's other address). The membership is created when a user who owns
the address (account e-mail or a verified address) opens the link and accepts; someone without an
account signs up first, with that address. Every sponsor keeps at least one
admin: the count is taken under a row lock on the sponsor, so two admins removing each other at
the same moment cannot leave it without one.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite.outbox import queue_templated_email

from .models import MemberInvitation, Sponsor, SponsorMember, new_invitation_token
from .services import SponsorError


def _lock(sponsor: Sponsor) -> Sponsor:
    return Sponsor.objects.select_for_update().get(pk=sponsor.pk)


def _other_admins(member: SponsorMember) -> bool:
    return (SponsorMember.objects.filter(sponsor_id=member.sponsor_id, role=SponsorMember.Role.ADMIN)
            .exclude(pk=member.pk).exists())


def owns_address(user, email: str) -> bool:
    """True if `email` is the user's account address or one of their verified addresses (any case)."""
    email = email.strip()
    if user.email and user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def add_member(sponsor: Sponsor, email: str, role: str, by=None) -> MemberInvitation:
    """Invite `email` to join the sponsor with `role`: an e-mail with a link, valid for two weeks.

    The same happens for every address (with or without an account); inviting an address again
    sends a new link and the old one stops working. Refused only for a bad role, or for an address
    that a member of this sponsor already uses as their account e-mail (the members list shows it).
    """
    if role not in SponsorMember.Role.values:
        raise SponsorError(_("Choose a role: sponsor admin or recruiter."))
    email = (email or "").strip()
    sponsor = _lock(sponsor)
    if SponsorMember.objects.filter(sponsor=sponsor, user__email__iexact=email).exists():
        raise SponsorError(_("%(email)s is already a member.") % {"email": email})
    invitation, _created = MemberInvitation.objects.update_or_create(
        sponsor=sponsor, email=email.lower(),
        defaults={"role": role, "invited_by": by, "token": new_invitation_token(), "sent_at": timezone.now(),
                  "accepted_at": None, "accepted_by": None})
    conference = sponsor.conference
    queue_templated_email(
        purpose="sponsor_member_invited", object_key=f"member-invitation:{invitation.pk}:{invitation.token[:8]}",
        recipient=email, template_prefix="sponsors/email/portal_member_invited",
        context={"sponsor": sponsor, "conference": conference, "invitation": invitation,
                 "link": settings.SITE_URL + reverse("sponsor_member_join", args=[conference.slug, invitation.token]),
                 "expires": timezone.localtime(invitation.expires_at(), conference.tzinfo)},
        conference=conference)
    return invitation


def open_invitation(conference, token: str) -> MemberInvitation | None:
    """The pending, unexpired invitation with this link token at this edition, or None."""
    if not token or len(token) > 64:
        return None
    invitation = (MemberInvitation.objects.select_related("sponsor__conference")
                  .filter(token=token, sponsor__conference=conference, accepted_at__isnull=True).first())
    if invitation is None or invitation.expires_at() <= timezone.now():
        return None
    return invitation


@transaction.atomic
def accept_invitation(invitation: MemberInvitation, user) -> SponsorMember:
    """Make `user` a member as the invitation says, if they own the invited address.

    Refused (SponsorError, nothing written) for someone else's invitation, or one already used or
    expired. Someone who is a member already keeps their role; the invitation is used up.
    """
    sponsor = _lock(invitation.sponsor)
    invitation = MemberInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.expires_at() <= timezone.now():
        raise SponsorError(_("This invitation link is no longer valid. Ask a sponsor admin to invite you again."))
    if not owns_address(user, invitation.email):
        raise SponsorError(_("This invitation was sent to another e-mail address. Log in with the account of that "
                             "address, or add and verify the address in your account's e-mail settings."))
    member, _created = SponsorMember.objects.get_or_create(sponsor=sponsor, user=user,
                                                           defaults={"role": invitation.role})
    MemberInvitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
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
