"""Staff pages (issue 7): filled in by the programme work."""

urlpatterns: list = []
