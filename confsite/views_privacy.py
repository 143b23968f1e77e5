"""My data: a signed-in person downloads everything the site holds about them, or has it erased.

Only ever the signed-in person's own data: no view takes a user id.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import privacy


class ErasureForm(forms.Form):
    """Confirms an erasure: the password, or for an account without one, its e-mail address typed out."""

    confirm = forms.CharField(max_length=254, strip=False)
    understood = forms.BooleanField(
        label=gettext_lazy("I understand that my account and personal data will be erased and that this cannot be undone."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.has_usable_password():
            self.fields["confirm"].label = _("Your password")
            self.fields["confirm"].widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            self.fields["confirm"].label = _("Type your e-mail address")
            self.fields["confirm"].widget = forms.TextInput(attrs={"autocomplete": "off"})

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError(_("That is not your password. Type it again to confirm."))
        elif value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError(_("That is not your account's e-mail address. Type it exactly to confirm."))
        return value


@require_GET
@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    return render(request, "confsite/privacy.html", {"refusal": privacy.erasure_refusal(request.user)})


@require_GET
@login_required
@never_cache
def export(request: HttpRequest) -> HttpResponse:
    data = privacy.export_user_data(request.user)
    response = HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def erase(request: HttpRequest) -> HttpResponse:
    user = request.user
    refusal = privacy.erasure_refusal(user)
    form = ErasureForm(request.POST or None, user=user)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            privacy.erase_user(user)
        except privacy.ErasureRefused as refused:
            refusal = str(refused)
        else:
            logout(request)
            messages.success(request, _("Your account has been erased. A confirmation is on its way to your former address."))
            return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "confsite/privacy_erase.html", {"form": form, "refusal": refusal}, status=status)
