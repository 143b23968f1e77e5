"""URLs of sponsors.views.portal (included by sponsors/urls.py under /<edition>/).

Profiles are named by a reference signed for the sponsor (not guessable, useless to another
sponsor); shortlist and token actions take their object in the POST body.
"""
from django.urls import path

from .views import portal

urlpatterns = [
    path("sponsor-portal/<slug:sponsor>/profiles/", portal.sponsor_portal_search, name="sponsor_portal_search"),
    path("sponsor-portal/<slug:sponsor>/profiles/export/", portal.sponsor_portal_export,
         name="sponsor_portal_export"),
    path("sponsor-portal/<slug:sponsor>/profiles/<str:ref>/", portal.sponsor_portal_profile,
         name="sponsor_portal_profile"),
    path("sponsor-portal/<slug:sponsor>/profiles/<str:ref>/cv/", portal.sponsor_portal_cv, name="sponsor_portal_cv"),
    path("sponsor-portal/<slug:sponsor>/shortlist/", portal.sponsor_portal_shortlist, name="sponsor_portal_shortlist"),
    path("sponsor-portal/<slug:sponsor>/shortlist/add/", portal.sponsor_portal_shortlist_add,
         name="sponsor_portal_shortlist_add"),
    path("sponsor-portal/<slug:sponsor>/shortlist/remove/", portal.sponsor_portal_shortlist_remove,
         name="sponsor_portal_shortlist_remove"),
    path("sponsor-portal/<slug:sponsor>/shortlist/note/", portal.sponsor_portal_shortlist_note,
         name="sponsor_portal_shortlist_note"),
    path("sponsor-portal/<slug:sponsor>/tokens/", portal.sponsor_portal_tokens, name="sponsor_portal_tokens"),
    path("sponsor-portal/<slug:sponsor>/tokens/revoke/", portal.sponsor_portal_token_revoke,
         name="sponsor_portal_token_revoke"),
]
