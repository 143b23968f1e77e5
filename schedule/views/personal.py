"""The logged-in attendee's stars, "My schedule" and private calendar feed."""

from django.http import Http404

from confsite.editions import edition_view


def _todo(request, edition, *args, **kwargs):  # placeholder until the page is built
    raise Http404


my_schedule = my_stars = toggle_star = calendar_feed_settings = calendar_feed = edition_view(_todo)
