"""Storage for files that only some people may read (proofs, CVs, invoices).

They live under PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT and the static files, and have no URL:
a view checks who asks and streams the file.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        super().__init__(location=settings.PRIVATE_MEDIA_ROOT, base_url=None, **kwargs)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a view that checks access.")


def private_storage() -> PrivateStorage:
    """Callable for FileField(storage=…): resolved when used, so tests can move PRIVATE_MEDIA_ROOT."""
    return PrivateStorage()
