"""Programme pages (public), personal schedule (login), calendar and frab exports.

One short file serving HTML, ICS, XML and JSON, as wafer does. Views live in three modules:
`views.public`, `views.personal`, `views.exports`.
"""
from django.urls import path

from .views import exports, personal, public

urlpatterns = [
    # Public, no login; cached by release for anonymous visitors.
    path("programme/", public.programme, name="programme"),
    path("programme/search/", public.search, name="programme_search"),
    path("programme/sessions/<str:code>/", public.session_detail, name="session_detail"),
    path("programme/papers/<int:pk>/", public.paper_detail, name="paper_detail"),
    path("programme/authors/<str:code>/", public.author_detail, name="author_detail"),
    path("programme/speakers/<str:code>/", public.speaker_detail, name="speaker_detail"),
    path("programme/changes/", exports.changelog, name="programme_changes"),
    # Exports of the latest release.
    path("programme/schedule.ics", exports.ical, name="schedule_ics"),
    path("programme/schedule.xml", exports.frab_xml, name="schedule_xml"),
    path("programme/schedule.json", exports.frab_json, name="schedule_json"),
    # Personal: stars, "My schedule", a private calendar feed.
    path("programme/my/", personal.my_schedule, name="my_schedule"),
    path("programme/my/stars.json", personal.my_stars, name="my_stars"),
    path("programme/star/", personal.toggle_star, name="toggle_star"),
    path("programme/my/calendar/", personal.calendar_feed_settings, name="calendar_feed_settings"),
    path("programme/calendar/<str:token>.ics", personal.calendar_feed, name="calendar_feed"),
]
