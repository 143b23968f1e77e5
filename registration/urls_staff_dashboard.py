"""Staff pages (issue 7): the dashboard (included under /<edition>/staff/)."""

from django.urls import path

from . import views_staff_dashboard

urlpatterns = [
    path("dashboard/", views_staff_dashboard.staff_dashboard, name="staff_dashboard"),
]
