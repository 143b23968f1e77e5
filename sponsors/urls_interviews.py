"""URLs of sponsors.views.interviews (included by sponsors/urls.py under /<edition>/)."""
from django.urls import path

from .views import interviews

urlpatterns = [
    path("sponsor-portal/<slug:sponsor>/interviews/", interviews.sponsor_interviews, name="sponsor_interviews"),
    path("sponsor-portal/<slug:sponsor>/interviews/<str:slot>/", interviews.booked_slot,
         name="sponsor_interview_slot"),
    path("sponsor-portal/<slug:sponsor>/interviews/<str:slot>/book/", interviews.book_slot,
         name="sponsor_interview_book"),
    path("sponsor-portal/<slug:sponsor>/interviews/<str:slot>/release/", interviews.release_slot,
         name="sponsor_interview_release"),
    path("sponsor-portal/<slug:sponsor>/interviews/<str:slot>/withdraw/", interviews.withdraw_invitation,
         name="sponsor_interview_withdraw"),
    path("interview/<str:token>/", interviews.interview_invitation, name="interview_invitation"),
    path("recruitment/interviews/", interviews.my_interviews, name="my_interviews"),
]
