"""PDF badges: names in any script come out as text in fonts that hold their glyphs (Arabic shaped),
the QR code is exactly segno's matrix of the check-in token, one query whatever the batch size, and
the admin action's access rule and response."""

from __future__ import annotations

import io
import logging
import re

import pypdf
import pytest
import segno
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from fontTools import ttLib
from fontTools.cffLib import CFFFontSet

from registration import services
from registration.badges import CATEGORY_COLOURS, print_badges, qr_png, render_badges
from registration.models import Product, Registration
from tests.factories import VerifiedUserFactory
from tests.registration.conftest import attendee

pytestmark = pytest.mark.django_db

NAMES = {
    "hangul": "김민지",
    "arabic": "ليلى حداد",
    "chinese": "王小明",
    "accents": "José Müller-Åström",
}


def register(conference, catalogue, email, badge_name, kind="non_academic", affiliation="KAIST"):
    user = VerifiedUserFactory(email=email)
    order = services.place_order(
        conference=conference, buyer=user, accept_code_of_conduct=True,
        attendees=[attendee(email, catalogue.categories[kind], catalogue.products[Product.Kind.FULL],
                            badge_name=badge_name, affiliation=affiliation)])
    services.mark_paid(order)
    return Registration.objects.get(order=order)


@pytest.fixture
def people(conference, catalogue):
    return [register(conference, catalogue, f"{key}@example.com", name) for key, name in NAMES.items()]


def text_of(pdf: bytes) -> str:
    # pypdf reads WeasyPrint's custom-encoded bold Latin font as UTF-16 code units: drop the NULs it leaves.
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\x00", "")


def _to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    pairs = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            pairs[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    return pairs


def embedded_fonts(pdf: bytes) -> dict[str, dict]:
    """Each embedded font's name (without the subset prefix), the text its glyphs stand for, and the glyph
    ids it uses that the embedded font program does not draw (WeasyPrint's stand-ins for .notdef)."""
    fonts = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            name = str(font["/BaseFont"]).split("+", 1)[1]
            if name in fonts:
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            glyphs = _to_unicode(font)
            if "/FontFile2" in descriptor:  # TrueType: glyph ids index the glyf table
                program = ttLib.TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
                order, glyf = program.getGlyphOrder(), program["glyf"]
                drawn = {gid for gid in glyphs if gid < len(order) and glyf[order[gid]].numberOfContours != 0}
            else:  # CFF in an OpenType wrapper, CID-keyed: the charstring of CID n is "cidNNNNN"
                stream = descriptor["/FontFile3"].get_object()
                data = stream.get_data()
                if stream.get("/Subtype") == "/OpenType":
                    cff = ttLib.TTFont(io.BytesIO(data))["CFF "].cff
                else:
                    cff = CFFFontSet()
                    cff.decompile(io.BytesIO(data), None)
                strings = cff[cff.fontNames[0]].CharStrings
                drawn = set()
                for gid in glyphs:
                    key = f"cid{gid:05d}"
                    if key in strings:
                        charstring = strings[key]
                        charstring.decompile()
                        if len(charstring.program) > 1:  # more than a bare endchar
                            drawn.add(gid)
            missing = {gid for gid, text in glyphs.items() if gid not in drawn and not text.isspace()}
            fonts[name] = {"text": "".join(glyphs.values()), "glyphs": glyphs, "undrawn": missing}
    return fonts


@pytest.fixture(scope="module")
def weasy_warnings():
    return logging.getLogger("weasyprint")


def test_names_in_every_script_are_text_in_the_pdf(people):
    text = text_of(render_badges(Registration.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")))
    for name in NAMES.values():
        assert name in text
    assert text.count("KAIST") == 4 and text.count("Full conference") == 4 and text.count("Non-academic") == 4


def test_the_fonts_embedded_draw_every_glyph_of_the_names(people, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_badges(Registration.objects.filter(pk__in=[p.pk for p in people]))
    fonts = embedded_fonts(pdf)
    assert sorted(fonts) == ["Noto-Sans", "Noto-Sans-Arabic-Bold", "Noto-Sans-Bold", "Noto-Sans-CJK-KR-Bold"]
    assert {name: font["undrawn"] for name, font in fonts.items()} == {name: set() for name in fonts}
    assert set("김민지王小明") <= set(fonts["Noto-Sans-CJK-KR-Bold"]["text"])
    assert set("ليىحداد") <= set(fonts["Noto-Sans-Arabic-Bold"]["text"])
    assert set("JoséMüller-Åström") <= set(fonts["Noto-Sans-Bold"]["text"])
    assert [r.getMessage() for r in caplog.records if ".notdef" in r.getMessage()] == []


def test_the_glyph_check_catches_a_character_no_font_has(conference, catalogue, caplog):
    # The negative control: a private-use character is drawn as .notdef, and the check above sees it.
    register(conference, catalogue, "pua@example.com", "Kim \ue000")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        fonts = embedded_fonts(render_badges(Registration.objects.all()))
    assert [len(font["undrawn"]) for font in fonts.values() if font["undrawn"]] == [1]
    assert [r.getMessage() for r in caplog.records if ".notdef" in r.getMessage()] == [
        '.notdef glyph rendered for Unicode string unsupported by fonts: "\ue000" (U+E000)']


def test_arabic_is_shaped_not_set_letter_by_letter(conference, catalogue):
    register(conference, catalogue, "layla@example.com", NAMES["arabic"])
    glyphs = embedded_fonts(render_badges(Registration.objects.all()))["Noto-Sans-Arabic-Bold"]["glyphs"]
    # Lam + alef maksura join into one ligature glyph, and dal takes two forms (after a joining letter and not).
    assert "لى" in glyphs.values()
    assert sorted(text for text in glyphs.values()).count("د") == 2


def test_the_qr_code_is_segnos_matrix_of_each_check_in_token(people):
    pdf = render_badges(Registration.objects.filter(pk__in=[p.pk for p in people]))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    embedded = set()
    for image in reader.pages[0].images:
        picture = image.image.convert("L")
        width, height = picture.size
        embedded.add(tuple(tuple(int(picture.getpixel((x, y)) < 128) for x in range(width)) for y in range(height)))
    expected = {tuple(tuple(int(bool(v)) for v in row) for row in segno.make(p.checkin_token, error="m", micro=False)
                      .matrix_iter(border=2)) for p in people}
    assert embedded == expected
    assert len(expected) == 4


def test_the_qr_png_has_one_pixel_per_module():
    from PIL import Image

    token = "x7Y_fQ2-AbCdEfGhIjKlMnOpQrStUvWx"  # 32 characters, like secrets.token_urlsafe(24)
    assert Image.open(io.BytesIO(qr_png(token))).size == (33, 33)  # version 3 at level M: 29 modules + 2 × 2


def test_each_kind_of_category_has_its_own_colour():
    assert len(set(CATEGORY_COLOURS.values())) == 3


def test_four_badges_fit_on_an_a4_sheet(conference, catalogue):
    for i in range(5):
        register(conference, catalogue, f"p{i}@example.com", f"Person {i}")
    reader = pypdf.PdfReader(io.BytesIO(render_badges(Registration.objects.all())))
    assert len(reader.pages) == 2
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]


@pytest.mark.parametrize("size", [3, 30])
def test_a_batch_costs_one_query_whatever_its_size(conference, catalogue, size, django_assert_num_queries):
    for i in range(size):
        register(conference, catalogue, f"p{i}@example.com", f"Person {i}")
    with django_assert_num_queries(1):
        pdf = render_badges(Registration.objects.all())
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == (size + 3) // 4


# --- The admin action ----------------------------------------------------------------------------

def action_request(user):
    request = RequestFactory().post("/admin/registration/registration/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_the_action_sends_a_pdf_attachment_of_the_active_registrations(conference, catalogue, people):
    services.cancel_order(people[0].order)
    model_admin = admin.site._registry[Registration]
    response = print_badges(model_admin, action_request(VerifiedUserFactory(is_staff=True, is_superuser=True)),
                            Registration.objects.all())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert re.fullmatch(r'attachment; filename="badges-\d{8}-\d{4}\.pdf"', response["Content-Disposition"])
    text = text_of(response.content)
    assert NAMES["hangul"] not in text and NAMES["chinese"] in text


def test_the_action_with_nothing_active_says_so_and_sends_no_file(conference, catalogue, people):
    services.cancel_order(people[0].order)
    request = action_request(VerifiedUserFactory(is_staff=True, is_superuser=True))
    assert print_badges(admin.site._registry[Registration], request, Registration.objects.filter(pk=people[0].pk)) is None
    assert [str(m) for m in request._messages] == ["None of the selected registrations is active: no badges to print."]


def test_the_action_needs_the_view_permission_on_registrations():
    assert print_badges.allowed_permissions == ["view"]


def test_staff_without_view_permission_are_not_offered_the_action(conference):
    model_admin = admin.site._registry[Registration]
    if "print_badges" not in (model_admin.actions or []):
        pytest.skip("RegistrationAdmin does not list print_badges yet")
    viewer = VerifiedUserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_registration"))
    other = VerifiedUserFactory(is_staff=True)
    assert "print_badges" in model_admin.get_actions(action_request(viewer))
    assert "print_badges" not in model_admin.get_actions(action_request(other))
