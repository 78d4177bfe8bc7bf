"""scripts/pg.sh sizes the private cluster to the machine (memory, cores)."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _sizing(ram_mb: int, cores: int) -> dict:
    script = (
        f'eval "$(sed -n "/^clamp()/,/^}}/p;/^sizing_conf()/,/^}}/p" {ROOT}/scripts/pg.sh)"; '
        "sizing_conf"
    )
    out = subprocess.run(
        ["bash", "-c", script],
        env={"GEOCM_PG_RAM_MB": str(ram_mb), "GEOCM_PG_CORES": str(cores), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    conf = {}
    for line in out.splitlines():
        if "=" in line and not line.startswith("#"):
            name, _, value = line.partition("=")
            conf[name.strip()] = value.strip()
    return conf


def _mb(value: str) -> int:
    assert value.endswith("MB"), value
    return int(value[:-2])


@pytest.mark.parametrize("ram_mb, cores", [(4096, 2), (24105, 2), (65536, 16), (1024, 1)])
def test_settings_follow_memory_and_cores(ram_mb, cores):
    conf = _sizing(ram_mb, cores)
    connections = int(conf["max_connections"])
    assert 150 <= connections <= 500
    assert _mb(conf["shared_buffers"]) == min(max(ram_mb // 8, 128), 4096)
    assert _mb(conf["effective_cache_size"]) == min(max(ram_mb // 2, 512), 65536)
    # Every connection sorting at once with work_mem stays within half the memory.
    assert _mb(conf["work_mem"]) * connections <= max(ram_mb // 2, 4 * connections)
    assert int(conf["max_parallel_workers"]) == cores
    assert 1 <= int(conf["max_parallel_workers_per_gather"]) <= max(cores // 2, 1)
    assert conf["jit"] == "off"


def test_the_private_cluster_runs_with_them(db):
    from django.db import connection

    conf = ROOT / "var/pg/data/geocm.conf"
    if not conf.exists():
        pytest.skip("no private cluster here (DATABASE_URL points elsewhere)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers")
        running = cursor.fetchone()[0]
    written = {
        line.split("=")[0].strip(): line.split("=")[1].strip()
        for line in conf.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    if "max_parallel_workers" not in written:
        pytest.skip("the cluster was started by an older scripts/pg.sh: `make stop` first")
    assert running == written["max_parallel_workers"]
