"""URLs of sponsors.views.interviews (included by sponsors/urls.py under /<edition>/)."""

urlpatterns: list = []
