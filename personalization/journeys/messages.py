"""A journey message: its text for the customer (his fields, his cart, his code), the
e-mail with its plain-text alternative and one-click unsubscribe, and sending it once."""

from __future__ import annotations

import html as html_module
import logging
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from personalization.adapters import CartLine, CartSnapshot, get_adapter
from personalization.conf import app_settings
from personalization.fields import format_money
from personalization.html import insert_fields
from personalization.messaging import delivery
from personalization.messaging.alerts import _stale_after as alerts_stale_after
from personalization.messaging.alerts import absolute_url, e164
from personalization.messaging.channels import SendResult, SmsMessage, get_sms_backend
from personalization.models import Journey, JourneyMessage
from personalization.privacy.consent import may_send_marketing
from personalization.signals import journey_message_due

logger = logging.getLogger(__name__)
Status = JourneyMessage.Status
UNSUBSCRIBE_SALT = "pz.journeys.unsubscribe"
CART_SALT = "pz.journeys.cart"
#: Fields a journey text may use.
FIELDS = ("first_name", "name", "code", "cart", "cart_link", "shop_link")
#: The discount code a test message shows (none is minted for a test).
TEST_CODE = "TEST-CODE"


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT, compress=True)


def cart_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=CART_SALT, compress=True)


def _url(name: str, token: str) -> str:
    try:
        return absolute_url(reverse(name, args=[token]))
    except NoReverseMatch:  # personalization.urls is not included
        return ""


def _cart_markup(lines: list[tuple[Any, int, Decimal]],
                 language: str) -> tuple[SafeString, str]:
    """The cart's lines for the e-mail (a table with inline styles, for mail clients that
    ignore style sheets) and as plain text: each product with its quantity and the cart's
    price of it."""
    html = render_to_string("personalization/journeys/cart_lines.html", {"lines": [
        {"name": getattr(p, "name", str(p)), "quantity": q,
         "price": format_money(Decimal(price or 0), localize=True),
         "url": shop_url(p.get_absolute_url(), language)
         if hasattr(p, "get_absolute_url") else "",
         "image": absolute_url(getattr(p, "image_url", "") or "")} for p, q, price in lines]})
    text = "\n".join(f"- {q} × {getattr(p, 'name', p)}" for p, q, _price in lines)
    return mark_safe(html), text  # noqa: S308 (our template, values escaped)


_LINK = re.compile(r'<a\s[^>]*?href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def as_text(html: str) -> str:
    """The plain-text alternative of a message's HTML: links spelled out, paragraphs kept."""
    text = _LINK.sub(lambda m: f"{m.group(2)}: {m.group(1)}" if m.group(1) else m.group(2),
                     str(html))
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|li|h\d|ul|ol)>", "\n\n", text)
    text = html_module.unescape(strip_tags(text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in
                                            text.splitlines())).strip()


def customer_language(adapter: Any, user: Any) -> str:
    """The language messages to him are written in: the adapter's, else the site's."""
    return adapter.customer_attributes(user).get("language") or settings.LANGUAGE_CODE


class Rendered:
    def __init__(self, subject: str, html: str, text: str, language: str) -> None:
        self.subject, self.html, self.text = subject, html, text
        self.language = language  # the message's frame is written in it too


def language_query(language: str) -> str:
    """The query that makes a linked page speak ``language`` (``views.speaking``)."""
    return "?" + urlencode({"lang": language}) if language else ""


def shop_url(path: str, language: str) -> str:
    """The absolute address of the shop's ``path``, opened in ``language``: through the
    journeys' link that sets the visitor's language first, when its URLs are included."""
    try:
        opener = reverse("personalization:journey_open")
    except NoReverseMatch:
        return absolute_url(path)
    return absolute_url(opener + "?" + urlencode({"lang": language, "next": path}))


def sample_cart(user: Any) -> CartSnapshot | None:
    """A cart for a test message: the staff member's own, else two of the shop's products."""
    adapter = get_adapter()
    cart = adapter.customer_cart(user)
    if cart is not None and not cart.is_empty:
        return cart
    found = adapter.search_catalog("product", "", limit=2)
    products = adapter.products([pk for pk, _name in found])
    return CartSnapshot(lines=tuple(
        CartLine(product_id=p.pk, category_ids=(), quantity=1,
                 price=Decimal(str(getattr(p, "price", 0) or 0))) for p in products))


def render(journey: Journey, user: Any, code: str, *, language: str | None = None,
           cart: CartSnapshot | None = None, sample: bool = False) -> Rendered | None:
    """The journey's message for ``user`` in his language (``language`` when given), with
    his cart (``cart`` when given); None when its text needs a field he lacks. A
    ``sample`` (a test message) fills the fields he lacks with stand-ins."""
    adapter = get_adapter()
    message = journey.in_language(language or customer_language(adapter, user))
    language = message.language  # one language: the text's, its frame's, its links'
    cart_html, cart_text = SafeString(""), ""
    if "cart" in message.body:
        snapshot = cart if cart is not None else adapter.customer_cart(user)
        if snapshot is not None and not snapshot.is_empty:
            products = {p.pk: p for p in adapter.products(
                [line.product_id for line in snapshot.lines])}
            lines = [(products[line.product_id], line.quantity, line.price)
                     for line in snapshot.lines
                     if line.product_id in products]
            with translation.override(language):  # prices as he writes them
                cart_html, cart_text = _cart_markup(lines, language)
    cart_link = _url("personalization:journey_cart", cart_token(user.pk))
    values = {"first_name": user.first_name or "",
              "name": user.get_full_name() or user.get_username(), "code": code,
              "cart_link": cart_link + language_query(language) if cart_link else "",
              "shop_link": shop_url("/", language)}
    if sample:
        values["first_name"] = values["first_name"] or user.get_username()
        values["code"] = values["code"] or TEST_CODE
    with translation.override(language):
        subject = insert_fields(message.subject, values) if message.subject else ""
        body = insert_fields(message.body, values, markup={"cart": cart_html})
    if body is None or subject is None:
        return None
    text = as_text(insert_fields(message.body, values,
                                 markup={"cart": SafeString(cart_text)}) or "")
    return Rendered(strip_tags(str(subject)), str(body), text, language)


class JourneyCourier(delivery.Courier):
    """A journey message by e-mail (Django's e-mail backend) or SMS (the SMS backend)."""

    #: An SMS is looked up at its provider when the backend can (Twilio); an e-mail cannot
    #: be looked up over SMTP, so find_sent says so and an interrupted one ends as failed.
    can_find_sent = True

    def __init__(self) -> None:
        self.adapter = get_adapter()
        self.stale_after = alerts_stale_after()
        self._sms: Any = None

    @property
    def sms(self) -> Any:
        if self._sms is None:
            self._sms = get_sms_backend()
        return self._sms

    def find_sent(self, row: JourneyMessage, since: datetime) -> SendResult | None:
        if row.channel != Journey.Channel.SMS or not self.sms.can_find_sent or not row.to:
            raise NotImplementedError("An e-mail cannot be looked up once handed over.")
        return self.sms.find_sent(SmsMessage(to=row.to, body=row.text), since)

    def still_wanted(self, row: JourneyMessage) -> tuple[str, str] | None:
        # The log's reasons are written in the site's language, whatever a request left on.
        with translation.override(settings.LANGUAGE_CODE):
            return self._unwanted(row)

    def _unwanted(self, row: JourneyMessage) -> tuple[str, str] | None:
        user = row.user
        if not may_send_marketing(user):
            return Status.SKIPPED, gettext("No marketing consent (withdrawn since the scan).")
        if row.journey.trigger == Journey.Trigger.CART_ABANDONED:
            carts = self.adapter.saved_carts()
            f = self.adapter.saved_cart_fields
            updated = carts.filter(**{f.customer: user}).values_list(
                f.updated, flat=True).first() if carts is not None else None
            if updated is None or row.occurrence != f"cart:{int(updated.timestamp())}":
                return Status.CANCELLED, gettext("The cart was ordered or changed before the "
                                                 "message.")
        if row.channel == Journey.Channel.EMAIL and not user.email:
            logger.info("Journey message %s skipped: no e-mail address", row.pk)
            return Status.SKIPPED, gettext("The customer has no e-mail address.")
        if row.channel == Journey.Channel.SMS and not e164(self.adapter.customer_phone(user)):
            logger.info("Journey message %s skipped: no mobile number", row.pk)
            return Status.SKIPPED, gettext("The customer has no mobile number.")
        return None

    def _prepare(self, row: JourneyMessage) -> tuple[JourneyMessage, str]:
        """Mint the discount code once (kept on the row before anything is sent) and store
        what is sent, for the message log."""
        journey = row.journey
        if journey.discount_percent and not row.code:
            code = self.adapter.create_discount_code(
                prefix="BACK", percent=journey.discount_percent, user=row.user)
            JourneyMessage.objects.filter(pk=row.pk, code="").update(code=code)
            row.code = JourneyMessage.objects.values_list("code", flat=True).get(pk=row.pk)
        rendered = render(row.journey, row.user, row.code)
        if rendered is None:
            raise delivery.SendError("The text needs a field this customer lacks.",
                                     transient=False)
        to = row.user.email if row.channel == Journey.Channel.EMAIL else e164(
            self.adapter.customer_phone(row.user))
        JourneyMessage.objects.filter(pk=row.pk).update(
            to=to, subject=rendered.subject, body=rendered.html, text=rendered.text)
        row.to, row.subject, row.body, row.text = to, rendered.subject, rendered.html, \
            rendered.text
        return row, rendered.language

    def send(self, row: JourneyMessage) -> SendResult:
        row, language = self._prepare(row)
        if row.channel == Journey.Channel.SMS:
            return self.sms.send(SmsMessage(to=row.to, body=row.text))
        email = compose_email(Rendered(row.subject, row.body, row.text, language), row.to,
                              row.user_id, headers={"X-PZ-Journey-Message": str(row.pk)})
        return send_email(email)

    def enqueue(self, row: JourneyMessage) -> None:
        enqueue(row)


def compose_email(rendered: Rendered, to: str, user_id: int, *,
                  headers: dict[str, str], one_click: bool = True) -> EmailMultiAlternatives:
    """The e-mail of a rendered message: the merchant's HTML in our frame, written in the
    message's language like its unsubscribe link's page, and its plain-text alternative."""
    language = rendered.language
    unsubscribe = _url("personalization:journey_unsubscribe", unsubscribe_token(user_id))
    if unsubscribe:  # its page in the message's language
        unsubscribe += language_query(language)
    headers = dict(headers)
    if unsubscribe and one_click:
        # RFC 8058: mail clients offer one click, which POSTs to this address.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    with translation.override(language):
        html = render_to_string("personalization/journeys/email.html", {
            # The merchant's text sanitised by insert_fields, and our cart table.
            "subject": rendered.subject, "body": mark_safe(rendered.html),  # noqa: S308
            "unsubscribe": unsubscribe, "LANGUAGE_CODE": language})
        footer = (f"\n\n--\n{translation.gettext('Unsubscribe')}: {unsubscribe}"
                  if unsubscribe else "")
    email = EmailMultiAlternatives(
        subject=rendered.subject, to=[to], headers=headers, body=rendered.text + footer,
        from_email=app_settings.JOURNEY_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL)
    email.attach_alternative(html, "text/html")
    return email


def send_email(email: EmailMultiAlternatives) -> SendResult:
    try:
        email.send()
    except (OSError, TimeoutError) as exc:  # smtplib's errors are OSErrors
        raise delivery.SendError(str(exc), transient=True) from exc
    return SendResult(ok=True, provider_id=email.extra_headers.get("Message-ID", ""))


class NoAddress(Exception):
    """The staff member has no address on the journey's channel for a test message."""


def send_test(journey: Journey, user: Any, language: str) -> str:
    """Send ``journey``'s message to the staff member ``user`` himself, in ``language``,
    with sample data (his cart or two products, a sample code): its subject says it is a
    test, and nothing is recorded (no journey message, so no report counts it; no consent
    asked, since he sends it to himself). Returns the address it went to."""
    adapter = get_adapter()
    rendered = render(journey, user, "", language=language, cart=sample_cart(user),
                      sample=True)
    if rendered is None:  # a cart link without the journeys' URLs
        raise delivery.SendError(gettext("a field of the text has no value here."),
                                 transient=False)
    with translation.override(rendered.language):
        rendered.subject = gettext("[Test] %(subject)s") % {"subject": rendered.subject}
        test_note = gettext("[Test]")
    if journey.channel == Journey.Channel.SMS:
        to = e164(adapter.customer_phone(user))
        if not to:
            raise NoAddress(gettext("Your account has no mobile number to send a test SMS "
                                    "to."))
        result = get_sms_backend().send(SmsMessage(to=to, body=f"{test_note} {rendered.text}"))
        if not result.ok:
            raise delivery.SendError(result.error, transient=False)
        return to
    if not user.email:
        raise NoAddress(gettext("Your account has no e-mail address to send a test to."))
    send_email(compose_email(rendered, user.email, user.pk, one_click=False,
                             headers={"X-PZ-Journey-Test": str(journey.pk)}))
    return user.email


def enqueue(row: JourneyMessage) -> None:
    """Hand the message to a worker at its ``send_after`` time (the jobs subsystem receives
    the signal)."""
    journey_message_due.send(sender=JourneyMessage, message=row)


def send_journey_message(message_id: int, *, last_attempt: bool = False) -> str:
    """Send one queued journey message at most once; returns its status afterwards."""
    return delivery.deliver(JourneyMessage, message_id, JourneyCourier,
                            last_attempt=last_attempt)


def resume_stalled_messages(now: datetime | None = None) -> int:
    """Enqueue again the journey messages no worker has finished."""
    count = 0
    for row in delivery.stalled(JourneyMessage, alerts_stale_after(),
                                now or timezone.now()).iterator():
        enqueue(row)
        count += 1
    return count


