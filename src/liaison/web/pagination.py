"""Keyset pagination: fast on millions of rows (no OFFSET, no COUNT), stable while rows are added."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, QuerySet


@dataclass
class Page:
    items: list
    next_url: str | None
    first_url: str | None


def _encode(values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(token: str, kinds) -> list | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        out = []
        for value, kind in zip(values, kinds, strict=True):
            out.append(dt.datetime.fromisoformat(value) if kind == "datetime" else int(value))
        return out
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def keyset_page(qs: QuerySet, request, *, order: tuple[str, str], size: int) -> Page:
    """`order` is (a datetime field, "id"), each with "-" for descending."""
    (f1, f2) = order
    n1, n2 = f1.lstrip("-"), f2.lstrip("-")
    desc = f1.startswith("-")
    qs = qs.order_by(f1, f2)
    after = request.GET.get("after")
    if after:
        values = _decode(after, ("datetime", "int"))
        if values is not None:
            v1, v2 = values
            op = "lt" if desc else "gt"
            qs = qs.filter(Q(**{f"{n1}__{op}": v1}) | Q(**{n1: v1, f"{n2}__{op}": v2}))
    items = list(qs[: size + 1])
    params = request.GET.copy()
    params.pop("after", None)
    next_url = None
    if len(items) > size:
        items = items[:size]
        last = items[-1]
        params["after"] = _encode([getattr(last, n1), getattr(last, n2)])
        next_url = "?" + params.urlencode()
        params.pop("after")
    first_url = ("?" + urlencode(params)) if after else None
    return Page(items=items, next_url=next_url, first_url=first_url)
