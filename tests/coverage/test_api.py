import pytest

from geo_cm.jobs.models import Job
from geo_cm.jobs.queue import jobs_drain
from tests import factories

pytestmark = pytest.mark.django_db


def coverage(client, url, params=None):
    """The answer as a page gets it: 202 while the worker computes (run here), then 200."""
    first = client.get(url, params or {})
    if first.status_code == 202:
        jobs_drain()
        first = client.get(url, params or {})
    assert first.status_code == 200, first.content[:300]
    return first.json()


def test_an_answer_not_cached_is_a_job_answered_at_once(planner_client, areas):
    factories.toilet("GC-A", lon=118.65, lat=32.05)
    jobs_drain()  # the refresh the new toilet queued: the default answer is now cached
    url = "/api/coverage/toilets"
    assert planner_client.get(url).status_code == 200
    # Another radius is not cached: 202 at once, with the job computing it.
    pending = planner_client.get(url, {"radius": "700"})
    assert pending.status_code == 202
    body = pending.json()
    assert body["status"] == "computing" and body["job"]["status"] == "queued"
    job = Job.objects.get(pk=body["job"]["id"])
    assert job.name == "coverage.refresh" and job.args["distance_m"] == 700
    # Asking again while it waits joins the same job.
    again = planner_client.get(url, {"radius": "700"}).json()
    assert again["job"]["id"] == job.pk and Job.objects.filter(status="queued").count() == 1
    # The job's own page follows it (the one who asked may read it).
    assert planner_client.get(body["job"]["url"]).json()["status"] == "queued"
    assert jobs_drain() == 1
    assert planner_client.get(body["job"]["url"]).json()["status"] == "done"
    done = planner_client.get(url, {"radius": "700"})
    assert done.status_code == 200 and done.json()["distance_m"] == 700
    # An edit makes the cached answer stale: computing again, in the worker.
    factories.toilet("GC-B", lon=118.62, lat=32.02)
    assert planner_client.get(url, {"radius": "700"}).status_code == 202
    # refresh=1 queues a computation even when an answer is cached.
    jobs_drain()
    assert planner_client.get(url).status_code == 200
    assert planner_client.get(url, {"refresh": "1"}).status_code == 202


def test_a_failed_computation_is_reported_not_retried_at_once(planner_client, areas):
    from geo_cm.coverage.tasks import coverage_job_args

    Job.objects.create(
        name="coverage.refresh",
        args=coverage_job_args(layer="toilets", mode="straight", distance_m=650.0),
        status=Job.Status.FAILED,
        message="out of memory",
    )
    response = planner_client.get("/api/coverage/toilets", {"radius": "650"})
    assert response.status_code == 500
    assert "out of memory" in response.json()["description"]
    assert not Job.objects.filter(status="queued").exists()


def test_coverage_endpoint_returns_stats_and_gaps(planner_client, areas):
    factories.toilet("GC-A", lon=118.65, lat=32.05)
    body = coverage(planner_client, "/api/coverage/toilets", {"radius": "800"})
    assert body["distance_m"] == 800 and body["mode"] == "straight"
    assert body["stats"]["district"]["area_share"] > 0
    kinds = {f["properties"]["kind"] for f in body["features"]["features"]}
    assert kinds == {"service_area", "gap"}
    sub = coverage(planner_client, "/api/coverage/toilets", {"subdistrict": "320192007000"})
    assert [s["code"] for s in sub["stats"]["subdistricts"]] == ["320192007000"]


def test_street_lights_report_dark_stretches(planner_client, areas):
    factories.road("DL-1", road_class="main")
    body = coverage(planner_client, "/api/coverage/street-lights")
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
