"""URLs of sponsors.views.passes (included by sponsors/urls.py under /<edition>/)."""

urlpatterns: list = []
