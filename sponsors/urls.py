"""Sponsor pages under /<edition>/: the public sponsors page, the attendee's recruitment profile,
the sponsor portal, interview rooms and complimentary passes (one URL module per area)."""
from django.urls import include, path

from .views import public

urlpatterns = [
    path("sponsors/", public.sponsor_list, name="sponsor_list"),
    path("sponsors/<slug:sponsor>/logo/", public.sponsor_logo, name="sponsor_logo"),
    path("", include("sponsors.urls_attendee")),
    path("", include("sponsors.urls_portal")),
    path("", include("sponsors.urls_interviews")),
    path("", include("sponsors.urls_passes")),
]
