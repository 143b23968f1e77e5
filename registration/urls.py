from django.urls import include, path

from . import views, views_staff_checkin

urlpatterns = [
    path("prices/", views.prices, name="prices"),
    path("register/", views.register, name="register"),
    path("register/group/", views.register_group, name="register_group"),
    path("my-registration/", views.my_registration, name="my_registration"),
    path("my-registration/profile/", views.edit_profile, name="edit_profile"),
    path("my-registration/proof/", views.upload_proof, name="upload_proof"),
    path("my-registration/category/", views.switch_category, name="switch_category"),
    path("my-registration/upgrade/", views.upgrade_pass, name="upgrade_pass"),
    path("my-registration/certificate/", views_staff_checkin.my_certificate, name="my_certificate"),
    path("proofs/<int:pk>/", views.proof_file, name="proof_file"),
    path("orders/<str:reference>/billing/", views.billing_details, name="billing_details"),
    path("orders/<str:reference>/cancel/", views.cancel_order, name="cancel_order"),
    path("waiting-list/<int:product_id>/join/", views.join_waiting_list, name="join_waiting_list"),
    path("waiting-list/claim/<str:token>/", views.claim_offer, name="claim_offer"),
    # Organisers' pages: check-in desk and badges, the dashboard, the programme chairs' author attendance.
    path("staff/", include("registration.urls_staff_checkin")),
    path("staff/", include("registration.urls_staff_dashboard")),
    path("staff/", include("registration.urls_staff_programme")),
    path("", include("registration.document_urls")),
    path("", include("registration.stripe_urls")),
]
