from django.urls import path

from . import views

urlpatterns = [
    path("my-registration/", views.my_registration, name="my_registration"),
]
