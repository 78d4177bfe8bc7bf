"""One log-in page for the whole site, and where each role lands after it."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from geo_cm.plans.models import Plan


def login(client, username, password, next_url=None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


@pytest.mark.parametrize(
    "path", ["/imports/", "/field/", "/coverage/", "/plans/", "/admin/", "/admin/toilets/toilet/"]
)
def test_every_page_sends_to_the_one_login_page(db, path):
    response = Client().get(path, follow=True)
    final, _status = response.redirect_chain[-1]
    assert final.startswith("/accounts/login/?next=")
    assert response.status_code == 200
    # The page came back with the original path as `next`, in the form.
    assert f'name="next" value="{path}"' in response.content.decode()


@pytest.mark.parametrize(
    "group, landing",
    [
        ("field_team", "/field/"),
        ("planner", "/plans/"),
        ("gis_staff", "/imports/"),
        ("administrator", "/admin/"),
    ],
)
def test_without_next_each_role_lands_on_its_page(roles, areas, group, landing):
    Plan.objects.create(title="测试计划", issuing_body="测试局", year=2023)
    user = get_user_model().objects.create_user(username=group, password="pw-landing-1")
    user.groups.add(Group.objects.get(name=group))
    client = Client()
    response = login(client, group, "pw-landing-1")
    assert response.status_code == 302 and response["Location"] == landing
    # The role may open its page (a plan exists, so /plans/ shows its dashboard).
    assert client.get(landing, follow=True).status_code == 200


def test_a_user_with_no_role_lands_on_the_map_and_a_superuser_on_the_admin(db):
    get_user_model().objects.create_user(username="citizen", password="pw-landing-1")
    get_user_model().objects.create_superuser("root", "r@example.org", "pw-landing-1")
    assert login(Client(), "citizen", "pw-landing-1")["Location"] == "/"
    assert login(Client(), "root", "pw-landing-1")["Location"] == "/admin/"


def test_next_wins_and_an_outside_next_is_ignored(roles, field_user):
    assert login(Client(), "field", "pw-field", "/field/?layer=toilets")["Location"] == (
        "/field/?layer=toilets"
    )
    assert login(Client(), "field", "pw-field", "https://evil.example/")["Location"] == "/field/"


def test_the_admin_login_page_redirects_with_its_next(db):
    response = Client().get("/admin/login/?next=/admin/toilets/toilet/add/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/toilets/toilet/add/"


def test_a_signed_in_user_sent_back_to_log_in_is_told_why(roles, field_user):
    client = Client()
    client.force_login(field_user)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.context["next"] == "/admin/"
    assert "您当前以 field 身份登录" in response.content.decode()
    assert response.context["user"] == field_user


def test_a_wrong_password_shows_the_form_again_in_chinese(db):
    get_user_model().objects.create_user(username="officer", password="pw-landing-1")
    response = login(Client(), "officer", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    # The name is kept, so only the password is typed again (on a phone, too).
    assert 'name="username" value="officer"' in response.content.decode()
