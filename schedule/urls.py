from django.urls import path

from . import views

urlpatterns = [
    path("programme/", views.programme, name="programme"),
]
