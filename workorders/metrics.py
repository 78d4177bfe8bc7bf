"""The plan's hotline rates (R7 reply, R8 close, R9 satisfaction), measured from work orders.

They are "rate" metrics: a level over the period, None where the period has no hot
orders, so the plan's reported indicators R7-R9 keep their staff readings there. The
definitions below are the ones docs/workorders.md gives and the dashboard shows.
"""

from geo_cm.plans.registry import Metric, register

from .selectors import hot_orders, hotline_rates

COMMON_ZH = (
    "计入：12345、12319 热线工单，按受理时间（北京时间）计入当月，退单不计；"
    "重办工单只在首次受理的月份计一次。按所选日期当天结束时的状态判定。"
)
COMMON_EN = (
    "Counted: work orders from the 12345 and 12319 hotlines, in the month they were first "
    "received (Beijing time); rejected orders are left out; a reopened order counts once, "
    "in the month it was first received. Judged as things stood at the end of the day "
    "judged."
)


def _measure(rate_name):
    def measure(start, end, subdistrict):
        qs = hot_orders(start=start, end=end, subdistrict=subdistrict)
        rates = hotline_rates(start=start, end=end, subdistrict=subdistrict, qs=qs)
        return (getattr(rates, rate_name) if rates.counted else None), qs

    measure.__doc__ = f"The hot orders' {rate_name} (percent) over start..end."
    return measure


register(
    Metric(
        "workorders.reply_rate",
        "热线工单按时回复率",
        "Hotline orders replied on time",
        "%",
        "work-orders",
        _measure("reply_rate"),
        kind="rate",
        definition_zh="回复率 = 在回复时限内首次答复的工单 ÷ 回复时限已到或已答复的工单。"
        "回复时限 = 受理时间 + 该类问题的回复小时数（系统设置）。超时未答复或超时答复的工单"
        "计入分母、不计入分子。" + COMMON_ZH,
        definition_en="Reply rate = orders first replied within the reply deadline ÷ orders "
        "whose reply deadline has passed or that were replied. Reply deadline = received "
        "time + the category's reply hours (settings). An order replied late or still "
        "unreplied after its deadline counts in the denominator only. " + COMMON_EN,
    )
)
register(
    Metric(
        "workorders.close_rate",
        "热线工单办结率",
        "Hotline orders closed",
        "%",
        "work-orders",
        _measure("close_rate"),
        kind="rate",
        definition_zh="办结率 = 已办结的工单 ÷ 办理时限已到或已办结的工单。办理时限 = 受理时间 + "
        "该类问题的办理天数。重办后尚未再次办结的工单不算办结。" + COMMON_ZH,
        definition_en="Close rate = closed orders ÷ orders whose resolution deadline has "
        "passed or that are closed. Resolution deadline = received time + the category's "
        "resolution days. A reopened order is not closed until it is closed again. " + COMMON_EN,
    )
)
register(
    Metric(
        "workorders.satisfaction_rate",
        "热线工单满意率",
        "Hotline orders satisfied",
        "%",
        "work-orders",
        _measure("satisfaction_rate"),
        kind="rate",
        definition_zh="满意率 =（满意 + 基本满意）÷ 已办结且有评价的工单（满意、基本满意、"
        "不满意）；未评价的不计。重办工单以最近一次办结时的评价为准。" + COMMON_ZH,
        definition_en="Satisfaction rate = (satisfied + basically satisfied) ÷ closed "
        "orders with a rating (satisfied, basically, unsatisfied); orders closed without a "
        "rating are left out. A reopened order counts with the rating of its latest close. "
        + COMMON_EN,
    )
)
