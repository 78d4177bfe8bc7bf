"""The bootstrap's detection functions on a machine that has nothing installed.

The build machine has PostgreSQL, so the bootstrap's "nothing here yet" paths never run
in CI. These tests source scripts/bootstrap.sh (which only defines its functions when
sourced, under the same `set -Eeuo pipefail`) and point the functions at an empty root
directory with GEOCM_SYSROOT, the way a bare Debian machine looks to them.
"""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"


def bootstrap_function(call, sysroot=None, mode="test"):
    """Run ``call`` after sourcing the bootstrap; returns (exit status, stdout, stderr)."""
    script = f'source "{BOOTSTRAP}" {mode}; out=$({call}); printf "%s" "$out"'
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    if sysroot is not None:
        env["GEOCM_SYSROOT"] = str(sysroot)
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
def bare_root(tmp_path):
    """A root directory with no PostgreSQL and an empty dpkg database."""
    (tmp_path / "var" / "lib" / "dpkg").mkdir(parents=True)
    (tmp_path / "var" / "lib" / "dpkg" / "status").write_text("")
    return tmp_path


def test_no_postgresql_installed_is_an_empty_answer_not_the_end(bare_root):
    status, out, err = bootstrap_function("installed_pg_major; echo reached", bare_root)
    assert (status, out.strip()) == (0, "reached"), err


def test_the_newest_installed_postgresql_major_is_found(bare_root):
    for major in ("13", "15"):
        binary = bare_root / "usr" / "lib" / "postgresql" / major / "bin" / "postgres"
        binary.parent.mkdir(parents=True)
        binary.write_text("")
    (bare_root / "usr" / "lib" / "postgresql" / "16").mkdir()  # a leftover without a server
    status, out, err = bootstrap_function("installed_pg_major", bare_root)
    assert (status, out) == (0, "15"), err


def test_every_wanted_package_is_missing_on_a_bare_machine(bare_root):
    status, out, err = bootstrap_function(
        'missing_packages $(wanted_packages test 15) | tr "\\n" " "', bare_root
    )
    assert status == 0, err
    missing = out.split()
    for package in (
        "python3-venv",
        "postgresql-15",
        "postgresql-15-postgis-3",
        "postgresql-15-pgrouting",
        "gdal-bin",
        "libgdal-dev",
        "gettext",
        "chromium",
        "chromium-driver",
        "python3-qgis",
    ):
        assert package in missing


def test_this_machine_has_what_it_needs_and_nothing_is_reinstalled():
    # The real machine (no GEOCM_SYSROOT) ran the bootstrap before these tests.
    status, out, err = bootstrap_function(
        'missing_packages $(wanted_packages test "$(installed_pg_major)")'
    )
    assert (status, out) == (0, ""), err


def test_modes_name_what_they_need():
    status, out, _ = bootstrap_function('wanted_packages venv | tr "\\n" " "')
    assert out.split() == ["python3-venv"]
    _, run_packages, _ = bootstrap_function('wanted_packages run 15 | tr "\\n" " "')
    assert "postgresql-15-postgis-3" in run_packages.split()
    assert "chromium" not in run_packages.split()  # browsers only for the tests
    assert "python3-qgis" not in run_packages.split()  # QGIS too


def test_an_unknown_mode_says_how_to_call_it():
    result = subprocess.run(
        ["bash", str(BOOTSTRAP), "serve-me"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "usage: scripts/bootstrap.sh venv|db|test|run" in result.stderr
