"""R7-R9 on constructed orders with known answers, reopened and overdue ones included, and
the plan's reported indicators computed from them where orders exist."""

import datetime as dt
from decimal import Decimal

import pytest

from geo_cm.plans.models import Plan, ReportedValue, Target
from geo_cm.plans.registry import metrics
from geo_cm.plans.selectors import target_progress
from workorders import services
from workorders.selectors import hotline_rates

from .conftest import local, order

JUNE = (dt.date(2023, 6, 1), dt.date(2023, 6, 30))
EAST = dict(lon=118.68, lat=32.05)


@pytest.fixture
def june(areas):
    """Orders in the west subdistrict (and one east), June 2023; deadlines from conftest:
    street light reply 24 h / resolve 3 days, toilet 12 h / 2 days."""
    made = {
        # replied on time, closed satisfied
        "A": order("2023-06-01 09:00", replied="2023-06-01 12:00", resolved="2023-06-02 10:00",
                   closed="2023-06-02 18:00", satisfaction="satisfied"),
        # replied late (due 20:00), closed unsatisfied, reopened, closed again basically
        "B": order("2023-06-10 08:00", category="toilet", replied="2023-06-10 22:00",
                   resolved="2023-06-11 10:00", closed="2023-06-11 12:00",
                   satisfaction="unsatisfied"),
        # never replied: the reply and the resolution are overdue
        "C": order("2023-06-20 10:00"),
        # received on the last evening: nothing is due yet at the end of June
        "D": order("2023-06-30 20:00"),
        # replied late, closed with no rating given
        "E": order("2023-06-05 10:00", category="toilet", replied="2023-06-05 23:00",
                   closed="2023-06-06 09:00", satisfaction="none"),
        # replied on time, closed unsatisfied, then reopened and still open
        "K": order("2023-06-15 08:00", category="toilet", replied="2023-06-15 09:00",
                   resolved="2023-06-16 09:00", closed="2023-06-16 10:00",
                   satisfaction="unsatisfied"),
        "L": order("2023-06-03 09:00", replied="2023-06-03 10:00", closed="2023-06-05 09:00",
                   satisfaction="unsatisfied"),
        "M": order("2023-06-08 09:00", replied="2023-06-08 10:00", resolved="2023-06-09 09:00",
                   closed="2023-06-09 10:00", satisfaction="satisfied"),
        # not counted: rejected, not a hotline order, received in May (local time)
        "F": order("2023-06-07 09:00"),
        "G": order("2023-06-07 09:00", channel="web", replied="2023-06-07 10:00"),
        "I": order("2023-05-31 23:30"),
        # the east subdistrict, from the 12319 hotline
        "H": order("2023-06-02 10:00", channel="12319", replied="2023-06-02 11:00",
                   resolved="2023-06-02 16:00", closed="2023-06-03 09:00", **EAST),
    }  # fmt: skip
    b = services.workorder_reopen(order=made["B"], reason="灯又坏了", at=local("2023-06-12 08:00"))
    b = services.workorder_resolve(order=b, resolution="更换", at=local("2023-06-13 08:00"))
    made["B"] = services.workorder_close(order=b, satisfaction="basically",
                                         at=local("2023-06-13 10:00"))  # fmt: skip
    made["K"] = services.workorder_reopen(order=made["K"], reason="仍然脏",
                                          at=local("2023-06-17 08:00"))  # fmt: skip
    services.workorder_reject(order=made["F"], reason="属供电部门", at=local("2023-06-07 12:00"))
    return made


def test_rates_of_one_subdistrict_have_their_known_answers(june, areas):
    rates = hotline_rates(start=JUNE[0], end=JUNE[1], subdistrict=areas["west"])
    assert rates.counted == 8  # A B C D E K L M
    assert (rates.reply_due, rates.replied_on_time) == (7, 4)  # D not due; B, C, E late
    assert (rates.close_due, rates.closed) == (7, 5)  # C and reopened K not closed
    assert (rates.rated, rates.content) == (4, 3)  # E gave no rating; B counts "basically"
    assert rates.reopened == 2  # B and K
    assert rates.overdue == 4  # B, E replied late; C unreplied and unresolved; K not closed
    assert rates.reply_rate == pytest.approx(57.14)
    assert rates.close_rate == pytest.approx(71.43)
    assert rates.satisfaction_rate == 75.0


def test_rates_of_the_district_add_the_other_hotline(june):
    rates = hotline_rates(start=JUNE[0], end=JUNE[1])
    assert rates.counted == 9
    assert (rates.reply_rate, rates.close_rate, rates.satisfaction_rate) == (62.5, 75.0, 80.0)


def test_rates_are_judged_at_the_end_of_the_period(june, areas):
    """On 10 June: what came later (B's reopening, C) does not count yet."""
    rates = hotline_rates(start=JUNE[0], end=dt.date(2023, 6, 10), subdistrict=areas["west"])
    # A, B (replied late that evening), E (late), L, M: on time A, L, M.
    assert (rates.reply_due, rates.replied_on_time) == (5, 3)
    assert rates.reply_rate == 60.0


def test_metrics_measure_the_rates_and_say_none_without_orders(june, areas):
    reply = metrics.get("workorders.reply_rate")
    value, qs = reply.measure(*JUNE, areas["west"])
    assert value == pytest.approx(57.14)
    assert qs.count() == 8
    assert reply.kind == "rate" and "÷" in reply.definition_zh
    value, _ = reply.measure(dt.date(2023, 1, 1), dt.date(2023, 1, 31), None)
    assert value is None


def test_reported_indicator_is_computed_where_orders_exist_and_read_elsewhere(june):
    plan = Plan.objects.create(title="2023", issuing_body="局", year=2023)
    target = Target.objects.create(
        plan=plan, code="R7", title_zh="回复率", title_en="Reply rate", unit="%",
        target_value=100, kind="reported", metric_key="workorders.reply_rate",
    )  # fmt: skip
    ReportedValue.objects.create(target=target, value=Decimal("97.5"),
                                 measured_on=dt.date(2023, 3, 31))  # fmt: skip
    progress = target_progress(target, today=dt.date(2023, 6, 30))
    # The year so far: June's nine and I, received late on 31 May and never replied.
    assert progress["actual"] == pytest.approx(55.56)
    assert progress["source"] == "records" and progress["record_count"] == 10
    months = [(r["measured_on"].month, r["source"], r["value"]) for r in progress["readings"]]
    # May alone: I's reply was not yet due at the end of May, so no rate (and no reading).
    assert months == [(3, "reading", 97.5), (6, "records", 62.5)]
    west = next(r for r in progress["by_subdistrict"] if r["subdistrict_code"] == "320111004000")
    assert west["actual"] == 50.0  # June's 4 of 7, and I (west) late too
    assert progress["definition"]
    # Judged on 30 April, the year so far has no hot orders: the reading is the actual.
    before = target_progress(target, today=dt.date(2023, 4, 30))
    assert before["actual"] == 97.5 and before["source"] == "reading"
    assert all(r["actual"] is None for r in before["by_subdistrict"])
