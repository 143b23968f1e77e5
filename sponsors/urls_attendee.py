"""URLs of sponsors.views.attendee (included by sponsors/urls.py under /<edition>/)."""
from django.urls import path

from .views import attendee

urlpatterns = [
    path("recruitment/", attendee.profile, name="recruitment_profile"),
    path("recruitment/cv/", attendee.own_cv, name="recruitment_own_cv"),
    path("recruitment/cv/remove/", attendee.remove_cv, name="recruitment_remove_cv"),
    path("recruitment/share/", attendee.share, name="recruitment_share"),
    path("recruitment/activity/", attendee.activity, name="recruitment_activity"),
]
