"""What the deployment files name and run, checked from their text. `make test-deploy`
(deploy/test-deploy.sh) builds the image and runs the compose file under podman; no systemd runs
here."""

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import main
from app.health import NO_PROCESS
from settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HEALTH = ["python", "main.py", "status", "--check"]
SANDBOX_COMPOSE = ROOT / "deploy" / "compose.sandbox.yml"


def _unit() -> dict[str, list[str]]:
    """The [Service] section as key → values (systemd allows a key more than once)."""
    values: dict[str, list[str]] = {}
    section = None
    for raw in (ROOT / "deploy" / "channelpulse.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def _services(path: Path) -> dict[str, str]:
    """Each service under `services:` → its block's text (the files keep a two-space indent; a
    service may carry a YAML anchor, `collector: &collector`)."""
    blocks: dict[str, str] = {}
    name = None
    inside = False
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            inside, name = line == "services:", None
        elif inside and (m := re.fullmatch(r"  ([\w-]+):(?: &[\w-]+)?", line)):
            name = m.group(1)
            blocks[name] = ""
        elif inside and name is not None:
            blocks[name] += line + "\n"
    return blocks


def _subcommands() -> set[str]:
    parser = main.build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return set(sub.choices)  # type: ignore[arg-type]


def test_systemd_unit_runs_main_py_run_from_the_venv_with_a_graceful_stop() -> None:
    unit = _unit()
    workdir = Path(unit["WorkingDirectory"][0])
    exec_start = shlex.split(unit["ExecStart"][0])
    assert exec_start[0] == str(workdir / ".venv" / "bin" / "python")
    assert exec_start[1:] == ["main.py", "run"] and exec_start[2] in _subcommands()
    assert unit["EnvironmentFile"] == [str(workdir / ".env")]
    assert unit["Restart"] == ["on-failure"] and unit["KillSignal"] == ["SIGTERM"]
    assert int(unit["TimeoutStopSec"][0]) >= 10
    # The paths the unit names relative to WorkingDirectory exist in a checkout: main.py, the
    # .env it is made from, and the Makefile that creates .venv/bin/python.
    assert (ROOT / "main.py").is_file() and (ROOT / ".env.example").is_file()
    assert re.search(r"^VENV := \.venv$", (ROOT / "Makefile").read_text(), re.M)


def test_dockerfile_copies_only_what_exists_and_runs_main_py() -> None:
    text = (ROOT / "Dockerfile").read_text()
    copied = [
        src for line in text.splitlines() if line.startswith("COPY ")
        for src in line.split()[1:-1]
    ]
    assert copied and all((ROOT / src).exists() for src in copied), copied
    # Every module and package pyproject installs is in the image (clock.py was once left out,
    # and the image could not start).
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [name.rstrip("*") for name in setuptools["packages"]["find"]["include"]]
    modules = [f"{name}.py" for name in setuptools["py-modules"]]
    installed = [src for src in copied if src not in {"pyproject.toml", "README.md"}]
    assert sorted(packages + modules) == sorted(installed)
    assert 'CMD ["python", "main.py", "run"]' in text
    health = re.search(r"HEALTHCHECK .*?CMD (\[.*?\])", text, re.S)
    assert health and json.loads(health.group(1)) == HEALTH


def test_dockerfile_base_is_an_argument_defaulting_to_python_slim() -> None:
    """CI reaches no registry and passes its own base; anyone else gets python:3.11-slim."""
    lines = [line for line in (ROOT / "Dockerfile").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[:2] == ["ARG BASE_IMAGE=python:3.11-slim", "FROM ${BASE_IMAGE}"]


def test_dockerfile_gives_matplotlib_a_writable_config_folder() -> None:
    """The container's user owns only /app/data; matplotlib's default under $HOME (/app) is root's."""
    text = (ROOT / "Dockerfile").read_text()
    folder = re.search(r"MPLCONFIGDIR=(\S+)", text)
    assert folder and Path(folder.group(1)).is_relative_to("/tmp")


def test_compose_keeps_data_and_session_on_the_volume() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "- ./data:/app/data" in text
    assert 'DATABASE_URL: "sqlite+aiosqlite:///data/pulse.db"' in text
    assert 'TELEGRAM_SESSION: "data/pulse.session"' in text
    # The defaults agree, so a .env that sets neither lands on the volume too.
    assert Settings.model_fields["telegram_session"].default == Path("data/pulse.session")
    assert Settings.model_fields["database_url"].default.endswith("///data/pulse.db")
    test = re.search(r"healthcheck:\s*\n\s*test: (\[.*\])", text)
    assert test and json.loads(test.group(1)) == ["CMD", *HEALTH]


def test_the_sandbox_layer_gives_every_service_a_sandbox_role_on_the_same_database() -> None:
    """`make test-deploy` runs docker-compose.yml with deploy/compose.sandbox.yml over it: each
    service built from this repository must have its sandbox role there, or it would start
    against the real Telegram (a service from another image, a database say, needs none: the
    layer only names the image CI built for it)."""
    compose = _services(ROOT / "docker-compose.yml")
    services = {name: block for name, block in compose.items()
                if re.search(r"^\s*build: \.$", block, re.M)}
    sandbox = _services(SANDBOX_COMPOSE)
    assert {"channelpulse", "bot", "collector"} <= set(services) <= set(sandbox)
    for name in set(sandbox) - set(services):
        assert name in compose and sandbox[name].strip().startswith("image:"), name
        assert sandbox[name].count("\n") == 1, name
    for name, block in ((n, sandbox[n]) for n in services):
        command = re.search(r"command: (\[.*\])", block)
        assert command, name
        argv = json.loads(command.group(1))
        assert argv[:2] == ["python", "main.py"] and argv[2] in _subcommands() and "--sandbox" in argv
        # The health check and `status` read DATABASE_URL; the sandbox writes SANDBOX_DATABASE_URL.
        database = re.search(r'DATABASE_URL: "(.*)"', services[name])
        assert database and f'SANDBOX_DATABASE_URL: "{database.group(1)}"' in block, name


def test_the_mtproto_profile_runs_each_role_with_its_own_health_check_on_a_local_postgres() -> None:
    """A role's check reads only its own heartbeats: a bare `status --check` in the bot's container
    would find no session lock there and call the bot dead."""
    compose = _services(ROOT / "docker-compose.yml")
    assert "profiles" not in compose["channelpulse"]  # `docker compose up` is still the one service
    for role in ("bot", "collector"):
        block = compose[role]
        assert 'profiles: ["mtproto"]' in block
        command = re.search(r"command: (\[.*\])", block)
        assert command and json.loads(command.group(1)) == ["python", "main.py", role]
        test = re.search(r"healthcheck:\s*\n\s*test: (\[.*\])", block)
        assert test and json.loads(test.group(1)) == ["CMD", *HEALTH, "--role", role]
        database = re.search(r'DATABASE_URL: "(.*)"', block)
        assert database and re.fullmatch(r"postgresql\+asyncpg://.*@postgres:5432/pulse", database.group(1))
    postgres = compose["postgres"]
    assert 'profiles: ["mtproto"]' in postgres and "pg_isready" in postgres
    dockerfile = re.search(r"context: (\S+)\s*\n\s*dockerfile: (\S+)", postgres)
    assert dockerfile and (ROOT / dockerfile.group(1) / dockerfile.group(2)).is_file()
    text = (ROOT / dockerfile.group(1) / dockerfile.group(2)).read_text()
    assert "ARG BASE_IMAGE=" in text and "postgresql-15" in text


def test_make_test_deploy_runs_the_script_that_layers_the_sandbox_compose_file() -> None:
    script = ROOT / "deploy" / "test-deploy.sh"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test-deploy:.*\n\tdeploy/test-deploy\.sh$", makefile, re.M)
    assert script.stat().st_mode & 0o111
    text = script.read_text()
    assert "-f docker-compose.yml -f compose.sandbox.yml" in text
    assert '"$REPO/docker-compose.yml" "$REPO/deploy/compose.sandbox.yml"' in text
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=60)


def test_dockerignore_keeps_secrets_and_state_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", "data/", "*.session", ".venv/", ".git"):
        assert entry in ignored


@pytest.mark.parametrize("prepare", ["fresh", "existing"])
def test_the_health_check_command_fails_in_one_line_where_no_process_runs(
    tmp_path: Path, prepare: str
) -> None:
    """A database that opens is not health: the check reads the running process's heartbeat
    (tests/app/test_liveness.py, and the drill that runs the real process)."""
    command = [sys.executable, str(ROOT / "main.py"), *HEALTH[2:]]
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "sqlite+aiosqlite:///data/pulse.db"}
    runs = 2 if prepare == "existing" else 1
    for _ in range(runs):
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout.splitlines() == [NO_PROCESS]
