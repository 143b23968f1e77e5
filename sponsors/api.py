"""Sponsor API: the portal's recruitment search and profile reads for a sponsor's own systems.

Authentication is a sponsor API token only (`Authorization: Bearer <key>`, created by a sponsor
admin in the portal): the key's hash is looked up, a revoked or unknown key is a 401. Every request
is scoped to the token's sponsor and edition and asks `sponsors.access` at request time, exactly as
the portal does: outside the access window or for a tier without recruitment access the list is a
403, a profile that is not shared with the sponsor (or does not exist, or was withdrawn) is a 404.
Profile reads and CV downloads are written to the access log with channel "api".
"""

from __future__ import annotations

from datetime import timedelta

from allauth.mfa.utils import is_mfa_enabled
from django.db.models import Q
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access, queries, services
from .access_log import record_access
from .models import AccessLogEntry, APIToken, RecruitmentProfile, Sponsor, hash_token
from .views.portal import JOB_TYPE_CHOICES, SearchForm, _cv_response, looking_for

# last_used_at is written at most this often per token: one UPDATE a minute, not one per request.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_KEY_LENGTH = 200


class SponsorTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` → (the token's member's user, the APIToken)."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2 or len(parts[1]) > MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed(_("Send the header as “Authorization: Bearer <key>”."))
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(_("That API key is not valid.")) from error
        token = (APIToken.objects.select_related("sponsor__tier", "sponsor__conference", "member__user")
                 .filter(key_hash=hash_token(key)).first())
        # The portal needs two-factor login; a token must not be a way around it.
        if (token is None or token.revoked_at is not None or not token.member.user.is_active
                or not is_mfa_enabled(token.member.user)):
            raise exceptions.AuthenticationFailed(_("That API key is not valid or has been revoked. A sponsor "
                                                    "admin can create a new one in the sponsor portal."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
            APIToken.objects.filter(pk=token.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)).update(last_used_at=now)
            token.last_used_at = now
        return token.member.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="sponsor-api"'


class SponsorTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sponsors.api.SponsorTokenAuthentication"
    name = "sponsorToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A sponsor API token, created by a sponsor admin in the sponsor portal."}


class HasSponsorToken(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, APIToken)


def revoke_token(token: APIToken) -> bool:
    """Revoke `token`: requests with its key are refused from now on. False if it already was."""
    return bool(APIToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


# --- Serializers (for the schema; the views fill them from profiles) ---------------------------

class SponsorProfileSummarySerializer(serializers.Serializer):
    """A search result: nothing that names the person (the list is not logged; the detail read is)."""

    id = serializers.CharField(help_text=_lazy("The profile's reference for this sponsor (not guessable; no "
                                               "database id)."))
    url = serializers.URLField()
    headline = serializers.CharField()
    current_position = serializers.ChoiceField(choices=RecruitmentProfile.Position.choices, allow_blank=True)
    research_areas = serializers.ListField(child=serializers.CharField())
    graduation_year = serializers.IntegerField(allow_null=True)
    looking_for = serializers.ListField(child=serializers.ChoiceField(choices=JOB_TYPE_CHOICES))
    locations = serializers.CharField()
    papers_count = serializers.IntegerField()


class SponsorProfilePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SponsorProfileSummarySerializer(many=True)


class SponsorPaperSerializer(serializers.Serializer):
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())


class SponsorLinksSerializer(serializers.Serializer):
    scholar = serializers.CharField()
    openreview = serializers.CharField()
    github = serializers.CharField()
    homepage = serializers.CharField()


class SponsorProfileDetailSerializer(SponsorProfileSummarySerializer):
    name = serializers.CharField()
    graduation_date = serializers.DateField(allow_null=True)
    email = serializers.EmailField(allow_null=True, help_text=_lazy("Only if the attendee shares it."))
    links = SponsorLinksSerializer(allow_null=True, help_text=_lazy("Only if the attendee shares them."))
    cv_url = serializers.URLField(allow_null=True, help_text=_lazy(
        "Only with a tier that includes CVs, if the attendee shares one."))
    papers = SponsorPaperSerializer(many=True)


class SponsorErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SponsorSearchErrorSerializer(SponsorErrorSerializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


EDITION = OpenApiParameter("edition", OpenApiTypes.STR, OpenApiParameter.PATH,
                           description=_lazy("The edition's URL slug, e.g. icml2026."))
REF = OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH,
                       description=_lazy("A profile reference from the search results."))
SEARCH_PARAMETERS = [
    EDITION,
    OpenApiParameter("q", OpenApiTypes.STR, description=_lazy(
        "Keywords over the profile and the attendee's paper titles; accents and capitals do not matter.")),
    OpenApiParameter("area", OpenApiTypes.STR, many=True, description=_lazy("Research area (topic slug); repeatable.")),
    OpenApiParameter("position", OpenApiTypes.STR, many=True, enum=RecruitmentProfile.Position.values,
                     description=_lazy("Current position; repeatable.")),
    OpenApiParameter("graduation_year", OpenApiTypes.INT, many=True, description=_lazy("Repeatable.")),
    OpenApiParameter("location", OpenApiTypes.STR, description=_lazy("Part of the location preferences.")),
    OpenApiParameter("job_type", OpenApiTypes.STR, many=True, enum=list(queries.JOB_TYPES),
                     description=_lazy("Repeatable.")),
    OpenApiParameter("page", OpenApiTypes.INT),
]


class SponsorAPIView(APIView):
    authentication_classes = [SponsorTokenAuthentication]
    permission_classes = [HasSponsorToken]

    def finalize_response(self, request, response, *args, **kwargs):
        # Profiles, CVs and even refusals are personal answers: no cache may keep them.
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    def sponsor(self, request, edition: str) -> Sponsor:
        """The token's sponsor, if the URL names its edition (another edition's data is a 404)."""
        sponsor = request.auth.sponsor
        if sponsor.conference.slug != edition:
            raise exceptions.NotFound(_("Not found."))
        return sponsor

    def summary(self, request, sponsor: Sponsor, profile: RecruitmentProfile, papers_count: int) -> dict:
        ref = queries.profile_ref(sponsor, profile)
        return {
            "id": ref,
            "url": request.build_absolute_uri(reverse("api-sponsor-profile-detail",
                                                      args=[sponsor.conference.slug, ref])),
            "headline": profile.headline,
            "current_position": profile.position,
            "research_areas": [t.name for t in profile.research_areas.all()],
            "graduation_year": profile.graduation_date.year if profile.graduation_date else None,
            "looking_for": looking_for(profile),
            "locations": profile.locations,
            "papers_count": papers_count,
        }

    def visible_profile(self, sponsor: Sponsor, ref: str) -> tuple[RecruitmentProfile, access.Visibility]:
        public_id = queries.profile_public_id(sponsor, ref)
        profile = (access.visible_profiles(sponsor).filter(public_id=public_id).select_related("user", "conference")
                   .prefetch_related("research_areas").first()) if public_id is not None else None
        if profile is None:
            raise exceptions.NotFound(_("No such profile."))
        return profile, access.allowed_parts(sponsor, profile)


def _closed() -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(_("Your sponsorship tier has no access to the recruitment database "
                                         "at this time."))


class ProfileList(SponsorAPIView):
    @extend_schema(operation_id="sponsor_profiles_list", tags=["sponsor recruitment"],
                   parameters=SEARCH_PARAMETERS,
                   responses={200: SponsorProfilePageSerializer,
                              400: OpenApiResponse(SponsorSearchErrorSerializer, _lazy("Invalid filters.")),
                              401: OpenApiResponse(SponsorErrorSerializer, _lazy("Missing, unknown or revoked token.")),
                              403: OpenApiResponse(SponsorErrorSerializer, _lazy("No recruitment access now."))})
    def get(self, request, edition: str):
        """Search the profiles shared with the token's sponsor (the portal's filters), best first."""
        sponsor = self.sponsor(request, edition)
        if not access.recruitment_open(sponsor):
            raise _closed()
        params = QueryDict(mutable=True)
        params.update(request.query_params)
        form = SearchForm(params, conference=sponsor.conference)
        if not form.is_valid():
            return Response({"detail": _("Correct the filters and try again."),
                             "errors": {name: [str(e) for e in errors] for name, errors in form.errors.items()}},
                            status=400)
        paginator = PageNumberPagination()
        page = list(paginator.paginate_queryset(form.search(sponsor), request, view=self))
        counts = queries.paper_counts(page)
        return paginator.get_paginated_response([self.summary(request, sponsor, p, counts[p.pk]) for p in page])


class ProfileDetail(SponsorAPIView):
    @extend_schema(operation_id="sponsor_profiles_retrieve", tags=["sponsor recruitment"],
                   parameters=[EDITION, REF],
                   responses={200: SponsorProfileDetailSerializer,
                              401: OpenApiResponse(SponsorErrorSerializer, _lazy("Missing, unknown or revoked token.")),
                              404: OpenApiResponse(SponsorErrorSerializer, _lazy("Not shared with this sponsor now."))})
    def get(self, request, edition: str, ref: str):
        """One profile, with what the tier and the attendee allow; the read is logged."""
        sponsor = self.sponsor(request, edition)
        profile, seen = self.visible_profile(sponsor, ref)
        papers = list(services.person_papers(profile))
        body = self.summary(request, sponsor, profile, len(papers))
        body.update({
            "name": profile.user.get_full_name(),
            "graduation_date": profile.graduation_date,
            "email": profile.user.email if seen.email else None,
            "links": {"scholar": profile.scholar_url, "openreview": profile.openreview_url,
                      "github": profile.github_url, "homepage": profile.homepage_url} if seen.links else None,
            "cv_url": request.build_absolute_uri(reverse("api-sponsor-profile-cv", args=[edition, ref]))
            if seen.cv else None,
            "papers": [{"title": p.title, "authors": [a.author.name for a in p.authorships.all()]} for p in papers],
        })
        record_access(sponsor, request.user, [profile], AccessLogEntry.Action.VIEW, AccessLogEntry.Channel.API)
        return Response(SponsorProfileDetailSerializer(body).data)


class ProfileCV(SponsorAPIView):
    @extend_schema(operation_id="sponsor_profiles_cv", tags=["sponsor recruitment"], parameters=[EDITION, REF],
                   responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, _lazy("The CV.")),
                              401: OpenApiResponse(SponsorErrorSerializer, _lazy("Missing, unknown or revoked token.")),
                              404: OpenApiResponse(SponsorErrorSerializer, _lazy("No CV this sponsor may download."))})
    def get(self, request, edition: str, ref: str):
        """The attendee's CV (PDF), if the tier includes CVs and the attendee shares it; the download is logged."""
        sponsor = self.sponsor(request, edition)
        profile, seen = self.visible_profile(sponsor, ref)
        if not seen.cv:
            raise exceptions.NotFound(_("No such CV."))
        try:
            response = _cv_response(profile)
        except Http404 as error:  # the file is missing from storage
            raise exceptions.NotFound(_("No such CV.")) from error
        record_access(sponsor, request.user, [profile], AccessLogEntry.Action.CV, AccessLogEntry.Channel.API)
        return response
