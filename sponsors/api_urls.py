"""Sponsor API URLs, included under /api/ (before the generic router): /api/<edition>/sponsor/…"""

from django.urls import path

from . import api

urlpatterns = [
    path("<slug:edition>/sponsor/profiles/", api.ProfileList.as_view(), name="api-sponsor-profile-list"),
    path("<slug:edition>/sponsor/profiles/<str:ref>/", api.ProfileDetail.as_view(), name="api-sponsor-profile-detail"),
    path("<slug:edition>/sponsor/profiles/<str:ref>/cv", api.ProfileCV.as_view(), name="api-sponsor-profile-cv"),
]
