"""Uploaded banner and popup images: checked, stored, measured and served with their size."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from personalization import images
from personalization.engine import rulebook
from personalization.models import BannerVariant, Campaign, PopupVariant
from tests.admin.conftest import campaign_data
from tests.factories import BannerVariantFactory, CampaignFactory, PopupVariantFactory, SlotFactory

pytestmark = pytest.mark.django_db
ADD_URL = "/admin/personalization/campaign/add/"


def png(width: int, height: int, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG of one colour, made by hand (no Pillow needed)."""
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEDIA_URL = "/media/"
    return tmp_path


def banner_row(upload=None, **fields):
    row = {"name": "A", "weight": "1", "headline": "Warm paws", "image_url": "",
           "image_alt": "A cat on a blanket", **fields}
    if upload is not None:
        row["image"] = upload
    return (BannerVariant, row)


def post_banner(admin_client, upload, **fields):
    slot = SlotFactory(key="home_hero", kind="banner")
    return admin_client.post(ADD_URL, campaign_data(slot, [banner_row(upload, **fields)]))


def test_merchant_uploads_a_png_in_the_campaign_form(admin_client):
    form = admin_client.get(ADD_URL).content.decode()
    assert 'enctype="multipart/form-data"' in form
    # The file picker offers images only; the bytes are checked all the same (below).
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in form

    response = post_banner(admin_client, SimpleUploadedFile("Cat Week!.png", png(40, 30),
                                                            "image/png"))

    assert response.status_code == 302, response.content.decode()[:3000]
    variant = BannerVariant.objects.get()
    assert re.fullmatch(r"personalization/variants/\d{4}/\d\d/cat-week\.png",
                        variant.image.name)
    assert (variant.image_width, variant.image_height) == (40, 30)
    with default_storage.open(variant.image.name) as stored:
        assert stored.read() == png(40, 30)  # small enough: stored as uploaded
    change = admin_client.get(f"/admin/personalization/campaign/{variant.campaign_id}/change/")
    assert variant.image.url in change.content.decode()  # "Currently: …" with a clear box


@pytest.mark.parametrize(("name", "content", "message"), [
    ("huge.png", png(40, 30), "The image is 1.1\xa0KB; at most 1.0\xa0KB is allowed."),
    ("notes.png", b"Dear diary, " * 20, "This is not a JPEG, PNG, WebP or GIF image."),
    ("manual.pdf", b"%PDF-1.4\n" + b"x" * 100, "This is not a JPEG, PNG, WebP or GIF image."),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "SVG images are not accepted: they can contain scripts."),
    ("logo.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
     "SVG images are not accepted: they can contain scripts."),
    ("cut.png", png(40, 30)[:20], "The image is damaged or incomplete."),
    ("cut-pixels.png", png(40, 30)[:-30], "The image is damaged or incomplete."),
])
def test_uploads_that_are_not_acceptable_images_are_refused_in_the_form(
        admin_client, settings, name, content, message):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "IMAGE_MAX_BYTES": 1024}
    big = png(40, 30) + b"\x00" * 1024 if name == "huge.png" else content

    response = post_banner(admin_client, SimpleUploadedFile(name, big, "image/png"))

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Campaign.objects.exists()
    assert not list(media_files(settings.MEDIA_ROOT))


def media_files(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_upload_wins_over_the_url_and_is_served_with_its_size(client, shop):
    campaign = CampaignFactory(slot=SlotFactory(key="category_banner"), variants=())
    BannerVariantFactory(
        campaign=campaign, headline="Scoop", image_url="https://cdn.example/scoop.jpg",
        image_alt="A scoop", image=SimpleUploadedFile("scoop.png", png(64, 48)))
    rulebook.invalidate()

    html = client.get("/c/cat-litter/").content.decode()

    img = re.search(r'<img class="pz-banner__image"[^>]*>', html).group(0)
    variant = BannerVariant.objects.get()
    assert variant.image.url.startswith("/media/personalization/variants/")
    assert img == (f'<img class="pz-banner__image" src="{variant.image.url}" width="64" '
                   'height="48" alt="A scoop" loading="lazy" decoding="async">')


def test_a_url_alone_keeps_working_without_a_size(client, shop):
    campaign = CampaignFactory(slot=SlotFactory(key="category_banner"), variants=())
    BannerVariantFactory(campaign=campaign, headline="Scoop",
                         image_url="https://cdn.example/scoop.jpg", image_alt="")
    rulebook.invalidate()

    html = client.get("/c/cat-litter/").content.decode()

    assert ('<img class="pz-banner__image" src="https://cdn.example/scoop.jpg" alt="" '
            'loading="lazy" decoding="async">') in html


def test_a_popup_image_is_served_with_its_size_and_description_in_the_dialog_and_noscript(
        client, shop):
    campaign = CampaignFactory(slot=SlotFactory(key="site_popup", kind="popup"), variants=())
    PopupVariantFactory(campaign=campaign, title="Hello", image_alt="A cat asleep",
                        image=SimpleUploadedFile("hi.png", png(20, 10)))
    rulebook.invalidate()
    url = PopupVariant.objects.get().image.url

    html = client.get("/").content.decode()

    assert html.count(f'<img class="pz-popup__image" src="{url}" width="20" height="10" '
                      'alt="A cat asleep" loading="lazy" decoding="async">') == 2


def test_clearing_the_upload_forgets_its_size_and_falls_back_to_the_url():
    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())
    variant = BannerVariantFactory(campaign=campaign, headline="x", image_url="/a.jpg",
                                   image=SimpleUploadedFile("a.png", png(4, 4)))
    assert variant.image_src == variant.image.url and variant.image_sized

    variant.image = ""
    variant.save()

    variant.refresh_from_db()
    assert (variant.image_width, variant.image_height) == (None, None)
    assert variant.image_src == "/a.jpg" and not variant.image_sized


def test_the_api_shows_the_upload_as_its_url_and_a_round_trip_keeps_it():
    from tests.test_api import staff_client

    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())
    variant = BannerVariantFactory(campaign=campaign, headline="x",
                                   image=SimpleUploadedFile("a.png", png(8, 6)))
    client = staff_client("view_campaign", "change_campaign")
    url = f"/pz/api/campaigns/{campaign.pk}/"

    read = client.get(url).json()
    [data] = read["variants"]
    assert (data["image"], data["image_width"], data["image_height"]) == (
        variant.image.url, 8, 6)
    put = client.put(url, read, content_type="application/json")
    assert put.status_code == 200, put.content
    assert put.json() == read == client.get(url).json()
    # Read-only: another address sent in its place changes nothing.
    data["image"], data["image_width"] = "/elsewhere.png", 1
    assert client.put(url, read, content_type="application/json").status_code == 200
    assert BannerVariant.objects.get().image.name == variant.image.name


def test_the_headless_api_gives_the_uploads_url_and_size(client, shop):
    from personalization.testing import give_consent

    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())
    BannerVariantFactory(campaign=campaign, headline="x", image_url="/old.jpg",
                         image=SimpleUploadedFile("a.png", png(8, 6)))
    rulebook.invalidate()
    give_consent(client)

    [decision] = client.get("/pz/api/decisions/", {"slot": "home_hero"}).json()["decisions"]

    fields = decision["content"]["fields"]
    url = BannerVariant.objects.get().image.url
    assert (fields["image"], fields["image_width"], fields["image_height"]) == (url, 8, 6)
    assert f'src="{url}" width="8" height="6"' in decision["content"]["html"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_header_sizes_read_without_pillow_agree_with_pillow(fmt):
    image_module = pytest.importorskip("PIL.Image")
    out = io.BytesIO()
    image_module.new("RGB", (321, 123), (10, 20, 30)).save(out, format=fmt)
    if fmt == "WEBP":  # the lossless and extended headers too
        for options in ({"lossless": True}, {"exif": b"Exif\x00\x00"}):
            extra = io.BytesIO()
            image_module.new("RGB", (321, 123)).save(extra, format=fmt, **options)
            assert images.read_size(extra.getvalue(), "webp") == (321, 123), options
    data = out.getvalue()

    assert images.sniff(data) == fmt.lower()
    assert images.read_size(data, fmt.lower()) == (321, 123)


def test_without_pillow_uploads_are_checked_by_header_and_stored_as_uploaded(monkeypatch):
    monkeypatch.setattr(images, "pillow_installed", lambda: False)
    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())

    variant = BannerVariantFactory(campaign=campaign, headline="x",
                                   image=SimpleUploadedFile("w.png", png(2000, 10)))

    assert (variant.image_width, variant.image_height) == (2000, 10)
    with pytest.raises(Exception, match="damaged or incomplete"):
        images.check_image(SimpleUploadedFile("c.png", png(40, 30)[:20]))


def test_with_pillow_a_wide_image_is_shrunk_to_the_maximum_width():
    pytest.importorskip("PIL")
    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())

    variant = BannerVariantFactory(campaign=campaign, headline="x",
                                   image=SimpleUploadedFile("w.png", png(2000, 100)))

    from PIL import Image

    with default_storage.open(variant.image.name) as stored:
        assert Image.open(stored).size == (1600, 80)
    assert (variant.image_width, variant.image_height) == (1600, 80)


def test_a_jpeg_named_png_is_stored_as_a_jpeg():
    image_module = pytest.importorskip("PIL.Image")
    out = io.BytesIO()
    image_module.new("RGB", (10, 10)).save(out, format="JPEG")
    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())

    variant = BannerVariantFactory(
        campaign=campaign, headline="x", image=SimpleUploadedFile("photo.png", out.getvalue()))

    assert variant.image.name.endswith("/photo.jpg")


@pytest.mark.parametrize(("key", "value", "check"), [
    ("IMAGE_MAX_BYTES", 0, "E016"), ("IMAGE_MAX_BYTES", "2 MB", "E016"),
    ("IMAGE_MAX_WIDTH", 50, "E017"), ("IMAGE_MAX_WIDTH", None, "E017")])
def test_a_wrong_image_setting_stops_start_up(settings, key, value, check):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, key: value}
    with pytest.raises(SystemCheckError, match=f"personalization.{check}"):
        call_command("check")


@pytest.mark.parametrize("pillow", [True, False])
def test_a_small_file_that_would_unpack_into_gigabytes_is_refused(monkeypatch, pillow):
    if pillow:
        pytest.importorskip("PIL")
    else:
        monkeypatch.setattr(images, "pillow_installed", lambda: False)
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 9000, 9000, 8, 2, 0, 0, 0)
    header = (png(1, 1)[:8] + struct.pack(">I", 13) + ihdr
              + struct.pack(">I", zlib.crc32(ihdr)) + png(1, 1)[33:])  # its pixels: 1 × 1

    with pytest.raises(Exception, match="too many pixels"):
        images.check_image(SimpleUploadedFile("bomb.png", header))


@pytest.mark.django_db(transaction=True)
def test_a_replaced_cleared_or_deleted_upload_leaves_the_storage(media):
    """A merchant who uploads a new picture, clears one or deletes the banner does not leave
    the old file in the media folder; a file a copied banner still shows stays."""
    campaign = CampaignFactory(slot=SlotFactory(key="home_hero"), variants=())
    banner = BannerVariantFactory(campaign=campaign, headline="x",
                                  image=SimpleUploadedFile("a.png", png(4, 4)))
    first = banner.image.name
    assert default_storage.exists(first)

    banner.image = SimpleUploadedFile("b.png", png(5, 5))
    banner.save()
    assert not default_storage.exists(first)
    second = banner.image.name
    assert default_storage.exists(second)

    copy = BannerVariantFactory(campaign=campaign, headline="copy", image=second)
    banner.image = ""
    banner.save()
    assert default_storage.exists(second)  # the copy still shows it

    popup = PopupVariantFactory(campaign=campaign, title="Hi",
                                image=SimpleUploadedFile("c.png", png(3, 3)))
    third = popup.image.name
    copy.delete()
    popup.delete()
    assert not default_storage.exists(second) and not default_storage.exists(third)
