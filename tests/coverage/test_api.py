import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_coverage_endpoint_returns_stats_and_gaps(planner_client, areas):
    factories.toilet("GC-A", lon=118.65, lat=32.05)
    body = planner_client.get("/api/coverage/toilets", {"radius": "800"}).json()
    assert body["distance_m"] == 800 and body["mode"] == "straight"
    assert body["stats"]["district"]["area_share"] > 0
    kinds = {f["properties"]["kind"] for f in body["features"]["features"]}
    assert kinds == {"service_area", "gap"}
    sub = planner_client.get("/api/coverage/toilets", {"subdistrict": "320192007000"}).json()
    assert [s["code"] for s in sub["stats"]["subdistricts"]] == ["320192007000"]


def test_street_lights_report_dark_stretches(planner_client, areas):
    factories.road("DL-1", road_class="main")
    body = planner_client.get("/api/coverage/street-lights").json()
    assert body["stats"]["dark_segments"] == 1
    assert body["stats"]["dark_share"] == pytest.approx(1.0)


def test_proposals_endpoint(planner_client, areas):
    body = planner_client.get("/api/coverage/toilets/proposals", {"k": "3"}).json()
    assert body["k"] == 3 and body["sites"] == []  # nobody lives in the empty test district


@pytest.mark.parametrize(
    "url, params, field",
    [
        ("/api/coverage/toilets", {"mode": "flying"}, "mode"),
        ("/api/coverage/toilets", {"radius": "abc"}, "radius"),
        ("/api/coverage/toilets", {"radius": "0"}, "radius"),
        ("/api/coverage/toilets", {"subdistrict": "000"}, "subdistrict"),
        ("/api/coverage/toilets", {"colour": "red"}, "colour"),
        ("/api/coverage/toilets/proposals", {"k": "0"}, "k"),
        ("/api/coverage/toilets/proposals", {"k": "many"}, "k"),
        ("/api/coverage/toilets/proposals", {"candidates": "nope"}, "candidates"),
        ("/api/coverage/street-lights/proposals", {}, "layer"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(planner_client, areas, url, params, field):
    response = planner_client.get(url, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_layers_without_coverage_and_anonymous_users(planner_client, anon_client, areas):
    assert planner_client.get("/api/coverage/roads").status_code == 404
    assert anon_client.get("/api/coverage/toilets").status_code in (401, 403)


def test_planners_edit_coverage_rules_in_the_admin(client, planner_user, field_user, areas):
    from geo_cm.coverage.models import CoverageRule

    client.force_login(planner_user)
    response = client.post(
        "/admin/coverage/coveragerule/add/",
        {"layer": "toilets", "area_kind": "", "distance_m": "400", "standard": "区城管局 2024"},
    )
    assert response.status_code == 302, response.content[:500]
    assert CoverageRule.objects.get().distance_m == 400
    client.force_login(field_user)
    assert client.get("/admin/coverage/coveragerule/add/").status_code in (302, 403)


def test_a_rule_for_a_layer_without_coverage_is_refused(client, planner_user, areas):
    from geo_cm.coverage.models import CoverageRule

    client.force_login(planner_user)
    response = client.post(
        "/admin/coverage/coveragerule/add/",
        {"layer": "roads", "area_kind": "", "distance_m": "400", "standard": "x"},
    )
    assert response.status_code == 200 and "toilets" in response.content.decode()
    assert not CoverageRule.objects.exists()
