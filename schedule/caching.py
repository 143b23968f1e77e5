"""Shared caching of public programme pages and exports, keyed by release.

A response is stored in (and served from) the shared cache only for a request that carries nothing
personal: no logged-in user, no session cookie, no pending messages. Everyone else gets a freshly
rendered page marked `Cache-Control: private`. The cache key holds the edition, the latest release
number and a generation counter that any programme edit bumps (`bump`), so a new release or an
edited title invalidates every cached page of the edition at once; old entries simply expire.

Anonymous responses carry an ETag (the key's hash) and Last-Modified (the release's publication),
and a matching conditional request gets 304 Not Modified without rendering anything.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import time
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language

from confsite.models import Conference

from .queries import latest_release

TIMEOUT = 24 * 3600
MIN_GZIP_SIZE = 1024
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
MAX_AGE = 60


def _generation_key(conference_id: int) -> str:
    return f"schedule:gen:{conference_id}"


def generation(conference_id: int) -> int:
    """The time of the edition's last programme edit, in milliseconds (as far as the cache knows).

    A cache that lost the value starts over at "now", which only makes pages look newer than they
    are: conservative, never stale.
    """
    value = cache.get(_generation_key(conference_id))
    if value is None:
        cache.add(_generation_key(conference_id), int(time.time() * 1000), timeout=None)
        value = cache.get(_generation_key(conference_id)) or int(time.time() * 1000)
    return int(value)


def bump(conference_id: int) -> None:
    """Invalidate every cached page and export of this edition (call after any programme edit)."""
    now = int(time.time() * 1000)
    old = cache.get(_generation_key(conference_id)) or 0
    cache.set(_generation_key(conference_id), max(now, int(old) + 1), timeout=None)


def is_shareable(request: HttpRequest) -> bool:
    """True if nothing personal can end up in this request's response."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and "messages" not in request.COOKIES


def cached_by_release(view):
    """Decorate an `@edition_view` GET view: shared cache + ETag/Last-Modified for anonymous requests.

    The view receives `request.release` (the latest release or None) and must not depend on
    anything but the URL, the language and the programme.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, edition: Conference, *args, **kwargs) -> HttpResponse:
        release = latest_release(edition)
        request.release = release
        if request.method not in ("GET", "HEAD") or not is_shareable(request):
            response = view(request, edition, *args, **kwargs)
            patch_cache_control(response, private=True)
            return response
        number = release.number if release else 0
        edited = generation(edition.pk)
        key = f"schedule:page:{edition.pk}:{number}:{edited}:{get_language()}:{request.get_full_path()}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        gzipped = accepts_gzip(request)
        plain_etag, gzip_etag = f'"{digest}"', f'"{digest}-gz"'
        etag = gzip_etag if gzipped else plain_etag
        last_modified = datetime.fromtimestamp(edited / 1000, tz=UTC)
        if release is not None and release.published_at > last_modified:
            last_modified = release.published_at
        if _not_modified(request, (plain_etag, gzip_etag), last_modified):
            response = HttpResponseNotModified()
            _stamp(response, etag, last_modified)
            return response
        cached = cache.get(f"schedule:resp:{digest}:{'gz' if gzipped else 'plain'}")
        if cached is not None:
            return cached
        response = view(request, edition, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not getattr(response, "streaming", False):
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            _stamp(response, plain_etag, last_modified)
            compressed = _gzipped_copy(response, gzip_etag)
            cache.set_many({f"schedule:resp:{digest}:plain": response,
                            f"schedule:resp:{digest}:gz": compressed or response}, TIMEOUT)
            if gzipped and compressed is not None:
                return compressed
        return response

    return wrapper


def accepts_gzip(request: HttpRequest) -> bool:
    return bool(_ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))


def _gzipped_copy(response: HttpResponse, etag: str) -> HttpResponse | None:
    """The response compressed once, when it is filled into the cache (exports are megabytes of text).

    None when compressing would not help (small bodies). Each representation has its own ETag.
    """
    patch_vary_headers(response, ["Accept-Encoding"])
    if len(response.content) < MIN_GZIP_SIZE:
        return None
    compressed = HttpResponse(gzip.compress(response.content, compresslevel=6, mtime=0), status=response.status_code)
    for header, value in response.items():
        if header.lower() not in ("content-length", "etag"):
            compressed[header] = value
    compressed["Content-Encoding"] = "gzip"
    compressed["ETag"] = etag
    return compressed


def _stamp(response: HttpResponse, etag: str, last_modified) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])


def _not_modified(request: HttpRequest, etags: tuple[str, ...], last_modified) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        sent = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return bool(sent & set(etags)) or if_none_match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        parsed = parse_http_date_safe(since)
        return parsed is not None and int(last_modified.timestamp()) <= parsed
    return False
