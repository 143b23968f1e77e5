"""Public, read-only API of the core: the editions."""

from rest_framework import permissions, serializers, viewsets

from .models import Conference


class ConferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conference
        fields = [
            "slug", "name", "short_name", "city", "country", "venue",
            "time_zone", "start_date", "end_date", "currency", "is_current",
        ]


class ConferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Conference editions, newest first."""

    queryset = Conference.objects.all()
    serializer_class = ConferenceSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
