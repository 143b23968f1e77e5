"""Operations on sponsors and recruitment profiles. Each is one transaction with explicit arguments.

The consent operations (`opt_in`, `opt_out`, `decide`) keep two things in step inside one
transaction: the profile's fast flags that `sponsors.access` reads on every request, and the core
consent ledger (time, consent-text version, scope), which is the record.
"""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from confsite import consent
from confsite.models import ConsentRecord
from schedule.models import Topic, normalize
from schedule.queries import papers_for_person

from . import access
from .models import RecruitmentProfile, Sponsor, SponsorDecision

RECRUITMENT = "recruitment"


class SponsorError(Exception):
    """An operation that cannot be done; the message is a sentence for the person who asked."""


def person_papers(profile: RecruitmentProfile):
    """The attendee's accepted papers at the profile's edition (schedule authors by e-mail or OpenReview id)."""
    user = profile.user
    emails = {user.email, *EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)}
    openreview_ids = []
    if profile.openreview_url and "id=" in profile.openreview_url:
        openreview_ids.append(profile.openreview_url.split("id=", 1)[1].split("&", 1)[0])
    return papers_for_person(profile.conference, emails=emails, openreview_ids=openreview_ids)


def refresh_search_text(profile: RecruitmentProfile) -> None:
    """Rebuild the folded text the portal searches: headline, position, areas, locations, paper titles."""
    parts = [profile.headline, profile.get_position_display() if profile.position else "", profile.locations]
    parts += [t.name for t in profile.research_areas.all()]
    parts += [p.title for p in person_papers(profile)]
    text = normalize(" ".join(p for p in parts if p))
    RecruitmentProfile.objects.filter(pk=profile.pk).update(search_text=text)
    profile.search_text = text


def _scope(profile: RecruitmentProfile, named: list[Sponsor], excluded: set[int]) -> dict:
    return {
        "recipients": [{"id": s.pk, "name": s.name} for s in named if s.pk not in excluded],
        "excluded": [{"id": s.pk, "name": s.name} for s in named if s.pk in excluded],
        "share": {"cv": profile.share_cv, "email": profile.share_email, "links": profile.share_links},
        "new_sponsors_need_approval": profile.new_sponsors_need_approval,
    }


@transaction.atomic
def opt_in(profile: RecruitmentProfile, *, share_cv: bool, share_email: bool, share_links: bool,
           excluded: Iterable[Sponsor] = (), new_sponsors_need_approval: bool = True) -> ConsentRecord:
    """Share `profile` with the sponsors named on the consent screen, except `excluded`.

    The named recipients are the edition's sponsors whose tier grants recruitment access
    (`access.recipients`); each gets an "accepted" decision, each excluded one an "excluded"
    decision. A sponsor that gains access later sees the profile only once accepted, if
    `new_sponsors_need_approval`. Writes a "granted" row to the consent ledger with the text
    version and this scope.
    """
    text = consent.latest_text(profile.conference, RECRUITMENT)
    if text is None:
        raise SponsorError(_("Sharing with sponsors is not open yet: the organisers have not published its terms."))
    if share_cv and not profile.cv:
        raise SponsorError(_("Upload your CV before you choose to share it."))
    named = access.recipients(profile.conference)
    named_ids = {s.pk for s in named}
    excluded_ids = {s.pk for s in excluded}
    if not excluded_ids <= named_ids:
        raise SponsorError(_("You can only exclude sponsors from the list shown to you."))
    RecruitmentProfile.objects.select_for_update().filter(pk=profile.pk).first()
    now = timezone.now()
    profile.share_cv, profile.share_email, profile.share_links = share_cv, share_email, share_links
    profile.new_sponsors_need_approval = new_sponsors_need_approval
    profile.opted_in, profile.opted_in_at = True, now
    profile.save(update_fields=["share_cv", "share_email", "share_links", "new_sponsors_need_approval",
                                "opted_in", "opted_in_at", "updated_at"])
    SponsorDecision.objects.filter(profile=profile).delete()
    SponsorDecision.objects.bulk_create([
        SponsorDecision(profile=profile, sponsor=s, decided_at=now,
                        decision=SponsorDecision.Decision.EXCLUDED if s.pk in excluded_ids
                        else SponsorDecision.Decision.ACCEPTED) for s in named])
    return consent.grant(profile.user, text, scope=_scope(profile, named, excluded_ids))


@transaction.atomic
def opt_out(profile: RecruitmentProfile) -> ConsentRecord:
    """Stop sharing `profile`: every sponsor request that starts after this commits is refused."""
    RecruitmentProfile.objects.select_for_update().filter(pk=profile.pk).first()
    profile.opted_in = False
    profile.save(update_fields=["opted_in", "updated_at"])
    return consent.withdraw(profile.user, profile.conference, RECRUITMENT)


@transaction.atomic
def decide(profile: RecruitmentProfile, sponsor: Sponsor, decision: str) -> ConsentRecord:
    """Accept or exclude one sponsor (e.g. one that gained access after the attendee opted in).

    Recorded in the ledger as a new grant whose scope lists the recipients now in force.
    """
    if sponsor.conference_id != profile.conference_id or sponsor not in access.recipients(profile.conference):
        raise SponsorError(_("That sponsor has no recruitment access at this edition."))
    if not profile.opted_in:
        raise SponsorError(_("Share your profile first; then you can choose sponsor by sponsor."))
    text = consent.latest_text(profile.conference, RECRUITMENT)
    SponsorDecision.objects.update_or_create(profile=profile, sponsor=sponsor,
                                             defaults={"decision": decision, "decided_at": timezone.now()})
    named = access.recipients(profile.conference)
    excluded = set(SponsorDecision.objects.filter(profile=profile, decision=SponsorDecision.Decision.EXCLUDED)
                   .values_list("sponsor_id", flat=True))
    accepted = set(SponsorDecision.objects.filter(profile=profile, decision=SponsorDecision.Decision.ACCEPTED)
                   .values_list("sponsor_id", flat=True))
    if profile.new_sponsors_need_approval:
        named = [s for s in named if s.pk in accepted | excluded]
    return consent.grant(profile.user, text, scope=_scope(profile, named, excluded))


@transaction.atomic
def save_cv(profile: RecruitmentProfile, upload) -> None:
    """Store `upload` (already checked to be a PDF) as the profile's CV, deleting the one it replaces."""
    old = profile.cv.name if profile.cv else ""
    profile.cv.save(f"cv-{profile.pk}.pdf", upload, save=False)
    profile.cv_uploaded_at = timezone.now()
    profile.save(update_fields=["cv", "cv_uploaded_at", "updated_at"])
    if old and old != profile.cv.name:
        transaction.on_commit(lambda: profile.cv.storage.delete(old))


@transaction.atomic
def remove_cv(profile: RecruitmentProfile) -> None:
    """Delete the profile's CV file; sharing the CV is switched off with it."""
    if not profile.cv:
        return
    name, storage = profile.cv.name, profile.cv.storage
    profile.cv = ""
    profile.cv_uploaded_at = None
    profile.share_cv = False
    profile.save(update_fields=["cv", "cv_uploaded_at", "share_cv", "updated_at"])
    transaction.on_commit(lambda: storage.delete(name))


def pending_recipients(profile: RecruitmentProfile) -> list[Sponsor]:
    """Sponsors with recruitment access that this opted-in attendee has not decided about yet."""
    if not profile.opted_in:
        return []
    decided = set(SponsorDecision.objects.filter(profile=profile).values_list("sponsor_id", flat=True))
    return [s for s in access.recipients(profile.conference) if s.pk not in decided]


# --- A profile kept for the next edition ------------------------------------------------------

# What an attendee's kept profile carries into a later edition: the profile itself, never its consent
# (sharing, exclusions and approvals are chosen again on the new edition's consent screen).
CARRIED_FIELDS = ("headline", "position", "wants_internship", "wants_full_time", "wants_postdoc", "graduation_date",
                  "locations", "scholar_url", "openreview_url", "github_url", "homepage_url")


def kept_profile_for(user, conference) -> RecruitmentProfile | None:
    """The attendee's most recent profile from another edition that they chose to keep, if any."""
    return (RecruitmentProfile.objects.filter(user=user, keep_for_next_edition=True)
            .exclude(conference=conference).select_related("conference")
            .order_by("-conference__start_date", "-updated_at").first())


def prefill(source: RecruitmentProfile, conference) -> dict:
    """Initial form values for a new profile at `conference` copied from a kept profile.

    Research areas are the new edition's topics with the same slug or name as the kept ones.
    """
    initial = {name: getattr(source, name) for name in CARRIED_FIELDS}
    old = list(source.research_areas.values_list("slug", "name"))
    slugs, names = {slug for slug, _ in old}, {name.casefold() for _, name in old}
    initial["research_areas"] = [t.pk for t in Topic.objects.filter(conference=conference)
                                 if t.slug in slugs or t.name.casefold() in names]
    return initial


@transaction.atomic
def copy_cv(source: RecruitmentProfile, target: RecruitmentProfile) -> None:
    """Give `target` its own copy of `source`'s CV file (the two editions' files are deleted separately)."""
    if source.user_id != target.user_id:
        raise SponsorError(_("A CV can only be copied between your own profiles."))
    if not source.cv:
        return
    try:
        with source.cv.open("rb") as handle:
            save_cv(target, File(handle, name="cv.pdf"))
    except FileNotFoundError as error:
        raise SponsorError(_("The CV of your earlier profile is no longer available; upload it again.")) from error
