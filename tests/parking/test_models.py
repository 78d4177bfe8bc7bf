import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from parking.models import SharingWindow
from tests import factories

pytestmark = pytest.mark.django_db


def test_special_berths_cannot_exceed_total(areas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        factories.facility("TC-X", total_berths=10, ev_berths=11)


def test_empty_window_is_refused_by_the_database(areas):
    fac = factories.facility("TC-W")
    with pytest.raises(IntegrityError), transaction.atomic():
        SharingWindow.objects.create(
            facility=fac,
            weekdays=[1],
            start_time=dt.time(8),
            end_time=dt.time(8),
            berths_shared=1,
            audience="public",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SharingWindow.objects.create(
            facility=fac,
            weekdays=[],
            start_time=dt.time(8),
            end_time=dt.time(9),
            berths_shared=1,
            audience="public",
        )


def test_crosses_midnight():
    assert SharingWindow(start_time=dt.time(19), end_time=dt.time(7, 30)).crosses_midnight
    assert not SharingWindow(start_time=dt.time(8), end_time=dt.time(18)).crosses_midnight
