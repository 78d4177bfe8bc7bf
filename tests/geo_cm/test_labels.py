"""Values in words for pages: labels not codes, local (Asia/Shanghai) times."""

import datetime as dt

import pytest
from django.utils import translation

from geo_cm.labels import change_rows, local_time_text
from streets.models import StreetLight
from toilets.models import Toilet


def test_a_utc_time_reads_as_shanghai_wall_clock():
    # 20:38 UTC is 04:38 the next morning in Beijing.
    assert local_time_text("2026-11-29T20:38:00+00:00") == "2026-11-30 04:38"
    assert local_time_text(dt.datetime(2026, 11, 29, 20, 38, tzinfo=dt.UTC)) == "2026-11-30 04:38"


def test_history_changes_read_as_labels():
    with translation.override("zh-hans"):
        rows = change_rows(
            model=Toilet,
            changes={
                "status": ["open", "under_construction"],
                "open_24h": [False, True],
                "updated_at": ["2026-11-29T20:38:00+00:00", None],
                "geom": [{"type": "Point", "coordinates": [118.6, 32]}, None],
            },
        )
    by_field = {r["field"]: r for r in rows}
    assert (by_field["status"]["before"], by_field["status"]["after"]) == ("开放", "在建")
    assert by_field["status"]["label"] == "状态"
    assert (by_field["open_24h"]["before"], by_field["open_24h"]["after"]) == ("否", "是")
    assert by_field["updated_at"]["before"] == "2026-11-30 04:38"
    assert by_field["updated_at"]["after"] == "—"
    assert by_field["geom"]["before"] == "位置已更改"


@pytest.mark.parametrize("lang, expected", [("zh-hans", "故障"), ("en", "fault")])
def test_labels_follow_the_language(lang, expected):
    with translation.override(lang):
        rows = change_rows(model=StreetLight, changes={"status": ["working", "fault"]})
    assert rows[0]["after"] == expected
