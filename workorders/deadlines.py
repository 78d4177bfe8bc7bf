"""Deadlines per category (settings.GEOCM["WORKORDER_DEADLINES"]) in Python and in SQL.

A reply is due ``reply hours`` after the order was received; a resolution ``resolve days``
after it was received, or after it was last reopened. Both are calendar time. Overdue is
always computed from these, never stored, so it is right whatever the day judged.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Case, DateTimeField, DurationField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import OPEN_STATUSES, Category

# Used for a category the settings leave out (a deployment that trims the table).
FALLBACK = (24, 5)


def deadline_spans(category: str) -> tuple[dt.timedelta, dt.timedelta]:
    """(reply within, resolve within) for ``category``."""
    hours, days = settings.GEOCM["WORKORDER_DEADLINES"].get(category, FALLBACK)
    return dt.timedelta(hours=hours), dt.timedelta(days=days)


def reply_due(order) -> dt.datetime:
    return order.received_at + deadline_spans(order.category)[0]


def resolve_due(order) -> dt.datetime:
    start = order.reopened_at or order.received_at
    return start + deadline_spans(order.category)[1]


def _span_case(index: int):
    return Case(
        *[When(category=c, then=Value(deadline_spans(c)[index])) for c in Category.values],
        default=Value(dt.timedelta(hours=FALLBACK[0]) if index == 0 else dt.timedelta(FALLBACK[1])),
        output_field=DurationField(),
    )


def reply_due_expr():
    """SQL: when the first reply is due (received_at + the category's reply hours)."""
    return ExpressionWrapper(F("received_at") + _span_case(0), output_field=DateTimeField())


def first_resolve_due_expr():
    """SQL: when the resolution was first due (received_at + the category's days)."""
    return ExpressionWrapper(F("received_at") + _span_case(1), output_field=DateTimeField())


def resolve_due_expr():
    """SQL: when the current resolution is due (from the last reopening, else receipt)."""
    start = Coalesce(F("reopened_at"), F("received_at"))
    return ExpressionWrapper(start + _span_case(1), output_field=DateTimeField())


def overdue_flags(order, *, now: dt.datetime | None = None) -> dict:
    """The order's deadlines and whether they are missed at ``now`` (default: now): the
    reply is late when it came after its deadline or has not come by then; the resolution
    when the order is still open after its deadline."""
    now = now or timezone.now()
    reply_at, resolve_at = reply_due(order), resolve_due(order)
    replied = order.replied_at
    return {
        "reply_due": reply_at,
        "resolve_due": resolve_at,
        "reply_overdue": (replied or now) > reply_at,
        "resolve_overdue": order.status in OPEN_STATUSES and now > resolve_at,
    }
