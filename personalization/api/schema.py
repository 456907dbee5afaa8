"""The OpenAPI annotations, from drf-spectacular when the ``api`` extra is installed.

Without it the API works the same (the bundled script reports to its ``events/``
endpoint), only the schema and its Swagger UI are not served: the annotations are no-ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

try:
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter, extend_schema

    HAS_SCHEMA = True
except ImportError:  # pragma: no cover - exercised by the installed-wheel check
    HAS_SCHEMA = False

    class OpenApiTypes:  # type: ignore[no-redef]
        OBJECT = dict

    def OpenApiParameter(*args: Any, **kwargs: Any) -> None:  # type: ignore[no-redef] # noqa: N802
        return None

    def extend_schema(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:  # type: ignore[no-redef]
        return lambda view: view


__all__ = ["HAS_SCHEMA", "OpenApiParameter", "OpenApiTypes", "extend_schema"]
