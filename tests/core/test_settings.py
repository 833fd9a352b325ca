import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean["DJANGO_SETTINGS_MODULE"] = "approval_site.settings.base"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_with_production_values(tmp_path: Path) -> None:
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x9Qz" * 10,
        DJANGO_ALLOWED_HOSTS="signoff.example.com",
        DJANGO_DEBUG="false",
        SIGNOFF_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_the_development_secret_key(tmp_path: Path) -> None:
    result = _run_manage(
        "check", "--deploy", "--fail-level", "WARNING", SIGNOFF_VAR_DIR=str(tmp_path)
    )
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
        "'name': s.DATABASES['default']['NAME'], 'health': s.DATABASES['default']"
        "['CONN_HEALTH_CHECKS'], 'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG,"
        "'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_HOST}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="approval_site.settings.base",
        DATABASE_URL="postgres://u@db.example:5432/signoff",
        CELERY_BROKER_URL="redis://broker.example:6379/0",
        DJANGO_DEBUG="true",
        DJANGO_ALLOWED_HOSTS="a.example,b.example",
        DJANGO_EMAIL_HOST="smtp.example",
        SIGNOFF_VAR_DIR=str(tmp_path),
    )
    out = (
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert json.loads(out) == {
        "engine": "django.db.backends.postgresql",
        "name": "signoff",
        "health": True,
        "broker": "redis://broker.example:6379/0",
        "debug": True,
        "hosts": ["a.example", "b.example"],
        "email": "smtp.example",
    }


@pytest.mark.django_db
def test_each_request_logs_one_structured_line_with_a_request_id(
    client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="django_structlog")
    client.get("/healthz")
    client.get("/healthz")
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    finished = [e for e in events if e["event"] == "request_finished"]
    assert [e["code"] for e in finished] == [200, 200]
    started = [e for e in events if e["event"] == "request_started"]
    # Start and finish of one request share an id; two requests have different ids.
    assert [e["request_id"] for e in started] == [e["request_id"] for e in finished]
    assert len({e["request_id"] for e in finished}) == 2


@pytest.mark.django_db
def test_upstream_request_id_is_kept_when_trusted(
    client, caplog: pytest.LogCaptureFixture, settings
) -> None:
    from django_structlog.app_settings import app_settings

    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    assert app_settings.TRUST_UPSTREAM_REQUEST_ID is True
    caplog.set_level("INFO", logger="django_structlog")
    client.get("/healthz", HTTP_X_REQUEST_ID="req-abc-123")
    finished = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg["event"] == "request_finished"
    ]
    assert [e["request_id"] for e in finished] == ["req-abc-123"]
