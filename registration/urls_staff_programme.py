"""Staff pages for programme chairs (issue 7): author attendance."""

from django.urls import path

from . import views_staff_programme

urlpatterns: list = [
    path("author-attendance/", views_staff_programme.author_attendance_view, name="staff_author_attendance"),
]
