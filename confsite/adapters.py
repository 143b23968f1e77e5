"""allauth adapter: account e-mails (verification, password reset …) go through the outbox."""

from __future__ import annotations

import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation

from . import outbox


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        # One row per event: the confirmation key, code or reset link identifies it, so a double
        # submit does not mail twice, while a new key (a "resend") is a new event.
        event = str(context.get("key") or context.get("code") or context.get("password_reset_url") or message.body)
        digest = hashlib.sha256(f"{template_prefix}|{event}".encode()).hexdigest()[:40]
        outbox.queue_email(
            purpose="account." + template_prefix.rsplit("/", 1)[-1],
            object_key=f"account:{digest}",
            recipient=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            language=translation.get_language() or "",
        )
