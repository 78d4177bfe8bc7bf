"""The production shape (docker-compose.yml) is valid, and settings come from the environment."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_is_accepted_by_docker_compose():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose (Debian package) is required to validate the compose file"
    env = {**os.environ, "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert {"db", "web", "migrate", "worker"} <= set(config["services"])
    web_env = config["services"]["web"]["environment"]
    assert web_env["GEOCM_DEBUG"] == "0"
    assert web_env["DATABASE_URL"].startswith("postgres://")
    assert "gunicorn" in " ".join(config["services"]["web"]["command"])
    # Long-running services restart on their own and tell compose when they are unwell.
    for name in ("db", "web", "worker"):
        assert config["services"][name]["restart"] == "unless-stopped", name
        assert config["services"][name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(config["services"]["web"]["healthcheck"]["test"])
    assert "worker_health" in config["services"]["worker"]["healthcheck"]["test"]
    # Photos outlive containers, and both processes see the same ones.
    assert any("media" in v for v in config["services"]["web"]["volumes"])


def test_compose_refuses_to_start_without_a_secret_key():
    compose = shutil.which("docker-compose")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd="/",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "variable, value, expression, expected",
    [
        ("GEOCM_DEBUG", "0", "settings.DEBUG", "False"),
        ("GEOCM_BASEMAP", "none", "settings.GEOCM['BASEMAP']", "none"),
        (
            "DATABASE_URL",
            "postgres://u:p@db.example:6543/x",
            "settings.DATABASES['default']['PORT']",
            "6543",
        ),
    ],
)
def test_settings_read_the_environment(variable, value, expression, expected):
    result = _settings_process(expression, {**PRODUCTION, variable: value})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def production_environment():
    """The documented production environment (deploy/production.env.example), filled in."""
    env = {}
    for line in (ROOT / "deploy" / "production.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DATABASE_URL"] = "postgres://geocm:pw@db.example:5432/geocm"
    return env


PRODUCTION = production_environment()


def _settings_process(expression, env, *, clear=()):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'geo_cm.settings'); from django.conf import settings; print(" + expression + ")"
    )
    env = {k: v for k, v in {**os.environ, **env}.items() if k not in clear}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize("variable", ["DJANGO_SECRET_KEY", "DATABASE_URL", "GEOCM_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_required_variable(variable):
    result = _settings_process("settings.SECRET_KEY", PRODUCTION, clear=(variable,))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert f"{variable} is not set" in last, last
    # Never the development key as a silent fallback.
    assert "geocm-development-only" not in result.stdout


def test_check_deploy_is_clean_with_the_documented_production_environment():
    env = {**os.environ, **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_web_and_worker_can_run_as_many_copies_as_wanted():
    """`docker-compose up --scale web=3 --scale worker=2`: no copy claims a fixed host port
    or a container name; one load balancer publishes the port and reaches every copy."""
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose (Debian package) is required to validate the compose file"
    env = {**os.environ, "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("web", "worker"):
        assert "ports" not in services[name], name
        assert "container_name" not in services[name], name
    assert services["lb"]["ports"], "the load balancer publishes the HTTP port"
    conf = (ROOT / "deploy" / "nginx" / "compose-lb.conf").read_text()
    # Looked up again while running, so copies started later are found.
    assert "resolver 127.0.0.11" in conf and "set $web http://web:8000" in conf
    assert "DATABASE_REPLICA_URL" in services["web"]["environment"]
