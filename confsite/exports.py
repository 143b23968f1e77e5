"""CSV and XLSX exports of an admin changelist's selection, for every app's console.

An admin opts in by taking `ExportAdmin`, naming its columns and the permission that guards them,
and adding the two actions:

    class OrderAdmin(ExportAdmin, admin.ModelAdmin):
        export_fields = ["reference", "buyer__email", "status", "total", "currency", "created_at"]
        export_permission = EXPORT_FINANCE
        actions = [..., export_csv, export_xlsx]

Bulk personal data leaving the system needs its own permission: an export needs the list's view
permission *and* the admin's `export_permission`, one of three by domain (people, finance,
programme; see confsite/roles.py for who holds which). Without it the actions are not offered, and a
forged POST of one is refused with a message; nothing is exported.

Columns are explicit field paths (``__`` follows a relation; a choice field exports its label) or the
name of a method on the admin that takes the object; ``(path, header)`` sets the header. An admin's
``export_queryset(queryset)`` may add the prefetching its method columns need. They are never "all fields": passport data,
eligibility proofs, dietary and accessibility needs, CVs, check-in codes and password hashes are
refused when the admin is checked (`manage.py check`), so no export can carry them by accident.
With "Select all" the selection is the whole filtered set, so the export is what the list shows.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return, or whitespace before
one of them, or their full-width forms) as a formula; such text is written with a leading apostrophe.
Numbers, dates and booleans are written as values: a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Path segments that lead to personal data no export may contain (see the module docstring).
FORBIDDEN_SEGMENTS = frozenset({
    "needs", "dietary", "accessibility", "passport", "passport_name", "passport_number", "date_of_birth",
    "nationality", "proofs", "file", "cv", "cv_file", "recruitment_profile", "checkin_token", "password",
    "visa_refusal", "offer_token", "token",
})
CHUNK = 2000
# The export permissions (created by confsite/migrations/0004_export_permissions.py on the edition model,
# confsite.Conference): who may take which lists out of the system, whatever else they may view.
EXPORT_PEOPLE = "confsite.export_people"  # registrations, check-ins, user accounts
EXPORT_FINANCE = "confsite.export_finance"  # orders, payments, refunds, invoices
EXPORT_PROGRAMME = "confsite.export_programme"  # papers, sessions
EXPORT_PERMISSIONS = (EXPORT_PEOPLE, EXPORT_FINANCE, EXPORT_PROGRAMME)
EXPORT_ACTIONS = frozenset({"export_csv", "export_xlsx"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def escape_cell(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before anything it would run as a formula."""
    if text[:1] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS:
        return "'" + text
    return text


class Column:
    """One exported column: a header and how to read its value.

    A column on a field path also has `path` (the `values_list` lookup) and `convert` (choice key to label),
    so an export whose columns are all field paths reads plain tuples instead of building model instances.
    """

    def __init__(self, header: str, read: Callable[[models.Model], object], select: str | None = None,
                 path: str | None = None, convert: Callable[[object], object] | None = None):
        self.header, self.read, self.select, self.path, self.convert = header, read, select, path, convert


def _labeller(field: models.Field) -> Callable[[object], object]:
    """Choice key to its label, the labels read once per export: get_FOO_display() rebuilds the choices
    on every call, which for a country (250 translated names) cost 10 ms a row."""
    labels: dict = {}

    def convert(value):
        if value is None:
            return None
        if not labels:
            labels.update((str(key), str(label)) for key, label in field.flatchoices)
        return labels.get(str(getattr(value, "code", value)), value)

    return convert


def _field_column(model: type[models.Model], path: str):
    """Header, reader, select_related prefix, `values_list` lookup (None when the path ends at a relation,
    exported as its text) and label converter for `a__b__c`; raises FieldDoesNotExist or ValueError."""
    parts = path.split("__")
    forbidden = FORBIDDEN_SEGMENTS.intersection(parts)
    if forbidden:
        raise ValueError(f"{path}: {', '.join(sorted(forbidden))} may not be exported")
    current, relations, via = model, [], None
    for part in parts[:-1]:
        field = current._meta.get_field(part)
        if not (field.many_to_one or field.one_to_one) or field.related_model is None:
            raise FieldDoesNotExist(f"{path}: {part} is not a foreign key")
        relations.append(part)
        via = getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name
        current = field.related_model
    last = current._meta.get_field(parts[-1])
    if last.is_relation and (last.many_to_many or last.one_to_many):
        raise FieldDoesNotExist(f"{path}: {parts[-1]} is a list, not a value")
    header = capfirst(f"{via}: {last.verbose_name}" if via else str(last.verbose_name))
    convert = _labeller(last) if last.choices else None

    def read(obj):
        for part in relations:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        value = getattr(obj, last.name)
        return convert(value) if convert else value

    select = "__".join(relations + ([last.name] if last.is_relation else [])) or None
    lookup = None if last.is_relation else "__".join([*relations, last.name])
    return header, read, select, lookup, convert


def columns_for(model_admin: admin.ModelAdmin) -> list[Column]:
    columns = []
    for entry in model_admin.export_fields:
        name, label = entry if isinstance(entry, tuple) else (entry, None)
        method = getattr(model_admin, name, None)
        if callable(method):
            header = label or getattr(method, "short_description", name.replace("_", " "))
            columns.append(Column(capfirst(str(header)), method))
            continue
        header, read, select, path, convert = _field_column(model_admin.model, name)
        columns.append(Column(capfirst(str(label)) if label else header, read, select, path, convert))
    return columns


def _cell(value, zone, *, for_xlsx: bool):
    """A cell value: text escaped, datetimes in the site's zone, numbers and dates as they are.

    In XLSX an empty value is no cell at all (None); in CSV an empty field."""
    if value is None or value == "":
        return None if for_xlsx else ""
    if type(value) is str:  # most cells: checked first
        text = value
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone)
            if for_xlsx:  # Excel has no time zones: the local wall time
                value = value.replace(tzinfo=None)
        return value if for_xlsx else value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, bool | int | Decimal | float | date):
        return value if for_xlsx else str(value)
    else:
        text = str(value)
    if for_xlsx:
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return escape_cell(text)


def rows(model_admin: admin.ModelAdmin, queryset, *, for_xlsx: bool) -> Iterator[list]:
    """The header, then one row per selected object in primary-key order.

    When every column is a field path (registrations, orders, payments …) the rows are read with one
    `values_list` of exactly those columns: no model instances, no columns nobody exports. That was
    most of the time at 10,000 rows (six instances and every datetime of six tables per row). Method
    columns (papers' authors, sessions' counts) need the objects, read in chunks with select_related
    and the admin's `export_queryset`.
    """
    columns = columns_for(model_admin)
    yield [column.header for column in columns]
    zone = timezone.get_current_timezone()
    if all(column.path for column in columns) and not hasattr(model_admin, "export_queryset"):
        converts = [column.convert for column in columns]
        # The primary key first keeps two rows with the same exported values apart, should the
        # changelist's queryset be DISTINCT (a search across relations).
        records = queryset.order_by("pk").values_list("pk", *(column.path for column in columns))
        for record in records.iterator(chunk_size=CHUNK):
            yield [_cell(convert(value) if convert else value, zone, for_xlsx=for_xlsx)
                   for convert, value in zip(converts, record[1:], strict=True)]
        return
    selects = sorted({column.select for column in columns if column.select})
    queryset = queryset.select_related(*selects) if selects else queryset
    if hasattr(model_admin, "export_queryset"):  # e.g. prefetching what a method column lists
        queryset = model_admin.export_queryset(queryset)
    for obj in queryset.order_by("pk").iterator(chunk_size=CHUNK):
        yield [_cell(column.read(obj), zone, for_xlsx=for_xlsx) for column in columns]


def _filename(model_admin: admin.ModelAdmin, extension: str) -> str:
    stem = slugify(str(model_admin.model._meta.verbose_name_plural)) or model_admin.model._meta.model_name
    return f"{stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


class ExportAdmin:
    """Mixin for an admin with export actions: the `export` permission they need, and a refusal that says so.

    `has_export_permission` is what Django's action filter asks for `permissions=["export"]`: the list's
    view permission and `export_permission`. A POST naming an export action without it is answered with
    a message and a redirect before any action runs, also on a list where no other action is offered.
    """

    export_fields: list = []
    export_permission: str = ""

    def has_export_permission(self, request) -> bool:
        return (bool(self.export_permission) and self.has_view_permission(request)
                and request.user.has_perm(self.export_permission))

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and self.has_view_or_change_permission(request):
            if EXPORT_ACTIONS.intersection(request.POST.getlist("action")) and not self.has_export_permission(request):
                _say_refused(self, request)
                return HttpResponseRedirect(request.get_full_path())
            action_post = "index" in request.POST or helpers.ACTION_CHECKBOX_NAME in request.POST
            if action_post and "_save" not in request.POST and not self.get_actions(request):
                # A viewer whose only actions were the exports has none left, and Django would ignore the
                # forged POST silently: answer as it does when other actions are offered (its own words).
                self.message_user(request, gettext("No action selected."), messages.WARNING)
                return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


def _say_refused(model_admin, request) -> None:
    model_admin.message_user(request, gettext(
        "You may not export %(things)s: exporting needs the permission “%(permission)s” as well as viewing the "
        "list. Nothing was exported; ask the organiser who manages staff accounts if your work needs it.")
        % {"things": model_admin.model._meta.verbose_name_plural,
           "permission": model_admin.export_permission or gettext("(none set for this list)")}, messages.ERROR)


def _refused(model_admin, request) -> bool:
    has_export_permission = getattr(model_admin, "has_export_permission", None)
    if has_export_permission is None or not has_export_permission(request):
        # Not reached through the changelist (which refuses first); kept so that no other caller exports.
        _say_refused(model_admin, request)
        return True
    if getattr(model_admin, "export_fields", None):
        return False
    model_admin.message_user(request, gettext("This list has no export columns; nothing was exported."),
                             messages.ERROR)
    return True


@admin.action(description=_("Export the selected rows as CSV"), permissions=["export"])
def export_csv(model_admin, request, queryset):
    if _refused(model_admin, request):
        return None
    def lines() -> Iterable[str]:
        # Streamed in pieces of CHUNK rows: memory stays flat, and the server writes a few hundred
        # kilobytes at a time instead of one line at a time.
        buffer = io.StringIO()
        buffer.write("\ufeff")  # so that Excel reads the file as UTF-8 (Hangul, accents)
        writer = csv.writer(buffer)
        for number, row in enumerate(rows(model_admin, queryset, for_xlsx=False), 1):
            writer.writerow(row)
            if number % CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(model_admin, "csv")}"'
    return response


@admin.action(description=_("Export the selected rows as Excel (XLSX)"), permissions=["export"])
def export_xlsx(model_admin, request, queryset):
    if _refused(model_admin, request):
        return None
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(model_admin.model._meta.verbose_name_plural)[:31] or "export")
    for row in rows(model_admin, queryset, for_xlsx=True):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(model_admin, "xlsx")}"'
    return response


@checks.register(checks.Tags.admin)
def check_export_fields(app_configs=None, **kwargs):
    """Every admin's export columns exist and none of them leads to personal data that may not leave;
    every admin offering the export actions names one of the export permissions."""
    errors = []
    for model, model_admin in admin.site._registry.items():
        exports = any(action in (export_csv, export_xlsx) for action in model_admin.actions or [])
        if exports and getattr(model_admin, "export_permission", None) not in EXPORT_PERMISSIONS:
            errors.append(checks.Error(
                f"the exports of {model._meta.label} need an export_permission, one of {', '.join(EXPORT_PERMISSIONS)}",
                obj=type(model_admin), id="confsite.E102"))
        for entry in getattr(model_admin, "export_fields", None) or []:
            name = entry[0] if isinstance(entry, tuple) else entry
            if callable(getattr(model_admin, name, None)):
                if FORBIDDEN_SEGMENTS.intersection(name.split("__")):
                    errors.append(checks.Error(f"export column {name} of {model._meta.label} names personal data",
                                               obj=type(model_admin), id="confsite.E101"))
                continue
            try:
                _field_column(model, name)
            except (FieldDoesNotExist, ValueError) as error:
                errors.append(checks.Error(f"export column {name} of {model._meta.label}: {error}",
                                           obj=type(model_admin), id="confsite.E101"))
    return errors
