"""What the API reads: JSON, forms and multipart forms, where JSON nested deeper than
Python can parse is a 400 like any other malformed body (the standard parser lets the
``RecursionError`` through as a 500)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def loads(text: Any) -> Any:
    """JSON text as data; ``ValueError`` for anything that is not JSON Python can read,
    or not text at all (a file sent in a form's field)."""
    if not isinstance(text, str):
        raise ValueError("not text")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


class JSONParser(parsers.JSONParser):
    """REST framework's JSON parser, with a body nested too deeply refused as a 400."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None


#: The parsers of every view of the app's API.
PARSERS = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
