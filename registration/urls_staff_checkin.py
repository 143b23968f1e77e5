"""Staff pages of the registration desk (included under /<edition>/staff/)."""

from django.urls import path

from . import views_staff_checkin

urlpatterns = [
    path("check-in/", views_staff_checkin.check_in, name="staff_check_in"),
]
