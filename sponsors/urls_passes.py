"""URLs of the portal's front (sponsors.views.portal_home) and of complimentary passes
(sponsors.views.passes), included by sponsors/urls.py under /<edition>/. Ids go in POST bodies."""
from django.urls import path

from .views import passes, portal_home

urlpatterns = [
    path("sponsor-portal/", portal_home.portal_home, name="sponsor_portal_home"),
    path("sponsor-portal/join/<str:token>/", portal_home.join, name="sponsor_member_join"),
    path("sponsor-portal/<slug:sponsor>/", portal_home.dashboard, name="sponsor_portal"),
    path("sponsor-portal/<slug:sponsor>/members/add/", portal_home.add_member, name="sponsor_member_add"),
    path("sponsor-portal/<slug:sponsor>/members/role/", portal_home.change_role, name="sponsor_member_role"),
    path("sponsor-portal/<slug:sponsor>/members/remove/", portal_home.remove_member, name="sponsor_member_remove"),
    path("sponsor-portal/<slug:sponsor>/passes/", passes.pass_list, name="sponsor_passes"),
    path("sponsor-portal/<slug:sponsor>/passes/assign/", passes.assign, name="sponsor_pass_assign"),
    path("sponsor-portal/<slug:sponsor>/passes/revoke/", passes.revoke, name="sponsor_pass_revoke"),
    path("sponsor-portal/<slug:sponsor>/passes/reassign/", passes.reassign, name="sponsor_pass_reassign"),
]
