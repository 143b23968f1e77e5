"""Core pages: the entry point, an edition's home page, health, and the demo mailbox."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .editions import current_edition, edition_view
from .models import Conference, OutboxEmail


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    edition = current_edition(request)
    if edition is not None:
        return redirect("edition_home", edition=edition.slug)
    editions = Conference.objects.all()
    return render(request, "confsite/no_edition.html", {"editions": editions})


@require_GET
@edition_view
def edition_home(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "confsite/edition_home.html", {"conference": edition})


@require_GET
@edition_view
def code_of_conduct(request: HttpRequest, edition: Conference) -> HttpResponse:
    return render(request, "confsite/code_of_conduct.html", {"conference": edition})


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _check_broker() -> dict:
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "transport": str(transport)}


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return redirect(static("favicon.svg"), permanent=True)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


def _mailbox_enabled() -> None:
    if not settings.DEV_MAILBOX:
        raise Http404("The local mailbox is only available on the demo.")


@never_cache
@require_GET
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    """The demo's mail reader: what the site sent, since nothing leaves the machine by default."""
    _mailbox_enabled()
    messages = OutboxEmail.objects.only("pk", "recipient", "subject", "status", "created_at")[:200]
    return render(request, "confsite/dev_mailbox.html", {"emails": messages})


@never_cache
@require_GET
def dev_mailbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    _mailbox_enabled()
    email = get_object_or_404(OutboxEmail, pk=pk)
    return render(request, "confsite/dev_mailbox_message.html", {"email": email})
