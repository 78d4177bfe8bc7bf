"""Run by tests/test_replica.py in a process of its own, configured like a deployment:
DATABASE_URL names the primary, DATABASE_REPLICA_URL its streaming replica. Prints what
each step read, as JSON, for the test to judge.

Steps: a field-team change through the field app while the replica's replay is paused,
read back by the writer (pinned to the primary) and by a colleague (on the replica),
then again by the colleague once the replica has caught up.
"""

import json
import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from geo_cm.roles import roles_sync  # noqa: E402
from tests import factories  # noqa: E402
from toilets.models import Toilet  # noqa: E402

out = {}


def replica_sql(sql):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_replica_has(predicate, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise SystemExit(f"replica did not catch up: {what}")


# Outside a request: every write and read goes to the primary. The schema came without
# rows; migrate (nothing to apply) makes the content types and permissions.
call_command("migrate", "--noinput", verbosity=0)
roles_sync()
users = []
for name in ("writer", "colleague"):
    user = get_user_model().objects.create_user(username=name, password="pw-" + name)
    user.groups.add(Group.objects.get(name="gis_staff"))
    users.append(user)
toilet = factories.toilet("GC-REPLICA", status="open")
wait_replica_has(
    lambda: Toilet.objects.using("replica").filter(pk=toilet.pk).exists(), "the new toilet"
)
out["replica_in_recovery"] = replica_sql("SELECT pg_is_in_recovery()")

writer, colleague = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
writer.force_login(users[0])
colleague.force_login(users[1])
url = f"/api/field/assets/toilets/{toilet.pk}"
wait_replica_has(
    lambda: get_user_model().objects.using("replica").filter(username="colleague").exists(),
    "the users",
)
time.sleep(0.5)
# The replica stops replaying: from here on it lags behind the primary.
replica_sql("SELECT pg_wal_replay_pause()::text")
before = writer.get(url)
out["writer_before"] = [before.status_code, before.json()["status"]]
changed = writer.post(
    url + "/status",
    {"status": "closed_for_repair", "note": "replica test"},
    HTTP_IF_MATCH=before["ETag"],
)
out["write"] = changed.status_code
out["pin_cookie"] = "geocm_primary_until" in changed.cookies
out["primary_status"] = Toilet.objects.get(pk=toilet.pk).status
out["replica_status_paused"] = Toilet.objects.using("replica").get(pk=toilet.pk).status
out["writer_after"] = writer.get(url).json()["status"]
out["colleague_while_paused"] = colleague.get(url).json()["status"]
replica_sql("SELECT pg_wal_replay_resume()::text")
wait_replica_has(
    lambda: Toilet.objects.using("replica").get(pk=toilet.pk).status == "closed_for_repair",
    "the status change",
)
out["colleague_after_catch_up"] = colleague.get(url).json()["status"]
print("RESULT " + json.dumps(out))
