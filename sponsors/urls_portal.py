"""URLs of sponsors.views.portal (included by sponsors/urls.py under /<edition>/)."""

urlpatterns: list = []
