"""The public sponsors page: published sponsors grouped by tier, logos by tier size; logo uploads."""

from __future__ import annotations

import io

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from sponsors.models import Sponsor, Tier
from tests.factories import ConferenceFactory
from tests.factories.sponsors import SponsorFactory, SponsorMemberFactory, TierFactory

pytestmark = pytest.mark.django_db
URL = "/icml2026/sponsors/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(size=(40, 40), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def tiers(conference):
    return {name: TierFactory(conference=conference, name=name, position=position, logo_size=size)
            for name, position, size in [("Gold", 2, "medium"), ("Diamond", 0, "large"), ("Bronze", 5, "small")]}


def names_by_tier(response):
    return [(tier.name, [s.name for s in sponsors]) for tier, sponsors in response.context["tiers"]]


def test_it_groups_published_sponsors_by_tier_in_position_order(client, conference, tiers):
    for name, tier in [("Zeta", "Gold"), ("Alpha", "Gold"), ("Hanbit", "Diamond"), ("Tiny", "Bronze")]:
        SponsorFactory(conference=conference, tier=tiers[tier], name=name)
    SponsorFactory(conference=conference, tier=tiers["Gold"], name="Hidden", is_published=False)
    SponsorFactory(conference=ConferenceFactory(slug="icml2027"), name="Elsewhere")
    response = client.get(URL)
    assert response.status_code == 200
    assert names_by_tier(response) == [("Diamond", ["Hanbit"]), ("Gold", ["Alpha", "Zeta"]), ("Bronze", ["Tiny"])]
    html = response.content.decode()
    assert "Hidden" not in html and "Elsewhere" not in html
    assert html.index("Hanbit") < html.index("Alpha") < html.index("Zeta") < html.index("Tiny")


def test_a_tier_without_published_sponsors_is_not_shown(client, conference, tiers):
    SponsorFactory(conference=conference, tier=tiers["Gold"], name="Acme")
    assert names_by_tier(client.get(URL)) == [("Gold", ["Acme"])]


def test_it_sizes_logos_by_tier_with_classes_and_links_websites_safely(client, conference, tiers):
    big = SponsorFactory(conference=conference, tier=tiers["Diamond"], name="Hanbit", slug="hanbit",
                         website="https://hanbit.example", description="Korean language models.")
    big.logo.save("hanbit.png", ContentFile(png()), save=True)
    small = SponsorFactory(conference=conference, tier=tiers["Bronze"], name="Tiny", slug="tiny")
    small.logo.save("tiny.png", ContentFile(png()), save=True)
    html = client.get(URL).content.decode()
    assert ('<img class="sponsor-logo sponsor-logo-large" src="/icml2026/sponsors/hanbit/logo/" alt="" '
            'loading="lazy">') in html
    assert 'class="sponsor-logo sponsor-logo-small" src="/icml2026/sponsors/tiny/logo/"' in html
    assert '<a href="https://hanbit.example" rel="noopener">https://hanbit.example</a>' in html
    assert "Korean language models." in html
    assert "style=" not in html


def test_it_shows_no_personal_data(client, conference, tiers):
    sponsor = SponsorFactory(conference=conference, tier=tiers["Gold"], name="Acme")
    member = SponsorMemberFactory(sponsor=sponsor, user__email="recruiter@acme.example", role="admin")
    html = client.get(URL).content.decode()
    assert "Acme" in html
    assert member.user.email not in html
    assert "recruiter" not in html


def test_an_edition_without_sponsors_says_so(client, conference):
    assert "The sponsors of ICML 2026 will be listed here." in client.get(URL).content.decode()


def test_an_unknown_edition_is_404(client, conference):
    assert client.get("/nope/sponsors/").status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_takes_a_fixed_number_of_queries(client, conference, tiers, count, django_assert_num_queries):
    for i in range(count):
        tier = list(tiers.values())[i % 3]
        sponsor = SponsorFactory(conference=conference, tier=tier, name=f"Sponsor {i:02}")
        sponsor.logo.save(f"s{i}.png", ContentFile(png()), save=True)
    # the edition, the sponsors with their tiers
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert sum(len(s) for _t, s in response.context["tiers"]) == count


def test_the_logo_is_served_for_a_published_sponsor(client, conference, tiers):
    sponsor = SponsorFactory(conference=conference, tier=tiers["Gold"], slug="acme")
    sponsor.logo.save("acme.png", ContentFile(png()), save=True)
    response = client.get("/icml2026/sponsors/acme/logo/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert b"".join(response.streaming_content) == png()


def test_no_logo_is_served_for_an_unpublished_sponsor_or_one_without_a_logo(client, conference, tiers):
    hidden = SponsorFactory(conference=conference, tier=tiers["Gold"], slug="hidden", is_published=False)
    hidden.logo.save("hidden.png", ContentFile(png()), save=True)
    SponsorFactory(conference=conference, tier=tiers["Gold"], slug="plain")
    assert client.get("/icml2026/sponsors/hidden/logo/").status_code == 404
    assert client.get("/icml2026/sponsors/plain/logo/").status_code == 404
    assert client.get("/icml2026/sponsors/nobody/logo/").status_code == 404


# --- Logo uploads: validated from the content (sponsors.models.validate_logo) ----------------------

class SponsorForm(forms.ModelForm):
    class Meta:
        model = Sponsor
        fields = ["conference", "tier", "name", "slug", "logo"]


def form_with(conference, tier, upload):
    return SponsorForm(data={"conference": conference.pk, "tier": tier.pk, "name": "Acme", "slug": "acme"},
                       files={"logo": upload})


def test_a_real_png_logo_is_accepted(conference, tiers):
    form = form_with(conference, tiers["Gold"], SimpleUploadedFile("acme.png", png(), content_type="image/png"))
    assert form.is_valid(), form.errors
    sponsor = form.save()
    assert sponsor.logo.read() == png()


def test_a_text_file_named_png_is_refused_with_a_message(conference, tiers):
    upload = SimpleUploadedFile("acme.png", b"just some text, not an image", content_type="image/png")
    form = form_with(conference, tiers["Gold"], upload)
    assert not form.is_valid()
    assert form.errors["logo"] == [
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."]
    assert Sponsor.objects.count() == 0


def test_validate_logo_itself_refuses_a_text_file_named_png():
    from django.core.exceptions import ValidationError

    from sponsors.models import validate_logo

    with pytest.raises(ValidationError) as caught:
        validate_logo(SimpleUploadedFile("acme.png", b"just some text, not an image"))
    assert caught.value.messages == ["The logo is not a PNG, JPEG, GIF or WebP image."]


def test_a_logo_over_2_mb_is_refused(conference, tiers):
    # Random pixels do not compress: a real PNG of a little over 2 MB.
    import os

    raw = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    buffer = io.BytesIO()
    raw.save(buffer, "PNG")
    assert buffer.tell() > 2 * 1024 * 1024
    form = form_with(conference, tiers["Gold"], SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"))
    assert not form.is_valid()
    assert form.errors["logo"] == ["The logo is larger than 2 MB; upload a smaller image."]
    assert Sponsor.objects.count() == 0


def test_tier_logo_sizes_are_the_three_css_classes():
    assert Tier.LogoSize.values == ["small", "medium", "large"]
