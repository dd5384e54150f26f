"""The registry of timeline event kinds: data first, code reads it.

Each app declares the kinds it records. The service standards (later, `sla`) are measured from these kinds,
so "which events stop the clock?" is a query over this registry and the timeline, not scattered ifs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    code: str
    label: str
    # True where the event shows personal data being viewed rather than a change (the audit side of the timeline).
    is_view: bool = False


_REGISTRY: dict[str, EventKind] = {}


def register(*kinds: EventKind) -> None:
    for kind in kinds:
        existing = _REGISTRY.get(kind.code)
        if existing is not None and existing != kind:
            raise ValueError(f"event kind {kind.code} registered twice with different properties")
        _REGISTRY[kind.code] = kind


def get(code: str) -> EventKind:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown event kind {code!r}: register it in the app's events module") from None


def all_kinds() -> list[EventKind]:
    return sorted(_REGISTRY.values(), key=lambda k: k.code)


CASE_VIEWED = EventKind("case.viewed", "Case viewed", is_view=True)
NOTICE_DOWNLOADED = EventKind("notice.downloaded", "Notice downloaded", is_view=True)
register(CASE_VIEWED, NOTICE_DOWNLOADED)
