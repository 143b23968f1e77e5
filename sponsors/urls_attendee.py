"""URLs of sponsors.views.attendee (included by sponsors/urls.py under /<edition>/)."""

urlpatterns: list = []
