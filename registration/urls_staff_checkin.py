"""Staff pages (issue 7): filled in by the checkin work."""

urlpatterns: list = []
