"""The desk's steps in the admin: the record below, the next step beside it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from .conftest import order


@pytest.fixture
def desk(roles):
    user = get_user_model().objects.create_superuser("desk", password="pw")
    client = Client()
    client.force_login(user)
    return client


def _form(client, url):
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None and not field.disabled:
            data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for i, inner in enumerate(inline.formset.forms):
            data[f"{inline.formset.prefix}-{i}-id"] = inner.instance.pk
    return page, data


def test_closing_from_the_admin_needs_the_rating_then_records_it(desk, areas):
    made = order("2023-06-01 09:00", replied="2023-06-01 10:00", resolved="2023-06-02 10:00")
    url = f"/admin/workorders/workorder/{made.pk}/change/"
    page, data = _form(desk, url)
    html = page.content.decode()
    assert 'name="step"' in html and "13800000000" not in html
    data["geom"] = made.geom.geojson
    # The admin shows a time as a date and a clock field.
    del data["received_at"]
    data.update(received_at_0="2023-06-01", received_at_1="09:00:00")
    for name in ("step_team", "step_text", "step_satisfaction"):
        data.setdefault(name, "")
    refused = desk.post(url, {**data, "step": "closed"})
    assert (
        refused.status_code == 200
        and "step_satisfaction" in refused.context["adminform"].form.errors
    )
    made.refresh_from_db()
    assert made.status == "resolved"
    done = desk.post(url, {**data, "step": "closed", "step_satisfaction": "satisfied"})
    assert done.status_code == 302, done.context["adminform"].form.errors
    made.refresh_from_db()
    assert (made.status, made.satisfaction) == ("closed", "satisfied")
    assert made.events.last().user.username == "desk"
