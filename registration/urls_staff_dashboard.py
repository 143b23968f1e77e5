"""Staff pages (issue 7): filled in by the dashboard work."""

urlpatterns: list = []
