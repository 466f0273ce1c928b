"""The README's Settings table, troubleshooting and deployment sections stay true to the code."""

import re
import shlex
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _settings_table() -> dict[str, tuple[str, str]]:
    """variable → (default cell, description) from the table in '## Settings'."""
    rows = {}
    for line in _section("Settings").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    return rows


def _expected_default(name: str) -> object:
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
    return None if value in (None, []) else value


def test_every_setting_is_in_the_table_and_nothing_else_is() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(_settings_table()) == fields


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_each_rows_default_matches_the_model(name: str) -> None:
    cell, description = _settings_table()[name.upper()]
    expected = _expected_default(name)
    assert description, f"{name.upper()} needs a description"
    if expected is None:
        assert cell == "(none)"
        return
    shown = cell.strip("`")
    if isinstance(expected, bool):
        assert shown == str(expected).lower()
    elif isinstance(expected, int | float):
        assert float(shown) == expected
    else:
        assert shown == str(expected)


def test_env_example_names_every_setting() -> None:
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert names == {name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize(
    "topic",
    ["FloodWait", '"database is locked"', "AuthKeyDuplicated", "A failed channel", "A private link"],
)
def test_troubleshooting_covers(topic: str) -> None:
    assert f"**{topic}" in _section("Troubleshooting")


def test_troubleshooting_quotes_the_lock_message_the_code_prints() -> None:
    from app.lock import SessionLocked

    first_part = str(SessionLocked(Path("data/pulse.session"), 4242)).split(" — ")[0]
    assert first_part.replace("4242", "N") in _section("Troubleshooting")


def test_deployment_names_files_that_exist_and_says_how_each_is_checked() -> None:
    text = _section("Deployment")
    for path in ("deploy/channelpulse.service", "Dockerfile", "docker-compose.yml",
                 "deploy/test-deploy.sh", "deploy/compose.sandbox.yml"):
        assert f"`{path}`" in text and (ROOT / path).is_file()
    assert "python main.py status --json" in text and "python main.py status --check" in text
    # The image and compose file are run by `make test-deploy` (in CI); the unit is not run.
    assert "`make test-deploy`" in text and "make test-deploy" in (ROOT / ".ci" / "run").read_text()
    assert "systemd unit is not run here" in " ".join(text.split())


def test_security_quotes_what_the_bot_says_in_groups_and_the_formula_rule_the_export_applies() -> None:
    from analytics.export import FORMULA_TRIGGERS
    from bot.render_collect import digests_not_private
    from bot.render_help import only_in_private

    text = " ".join(_section("Troubleshooting").split("### Security", 1)[1].split())
    assert only_in_private("your_bot") in text
    assert digests_not_private(-1, 1).replace("-1", "N").split(" Send")[0] in text
    for trigger in FORMULA_TRIGGERS:
        shown = {"\t": "a tab", "\r": "carriage return"}.get(trigger, f"`{trigger}`")
        assert shown in text


WALKTHROUGH = "### From one `run` on SQLite to two accounts in compose, step by step\n"


def _walkthrough() -> str:
    deployment = _section("Deployment")
    assert WALKTHROUGH in deployment
    return deployment.split(WALKTHROUGH, 1)[1]


def _compose_with_the_walkthroughs_services(text: str) -> dict[str, Any]:
    """docker-compose.yml with the YAML the walkthrough adds under `services:`, as compose reads it."""
    snippets = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(snippets) == 1
    added = textwrap.indent(textwrap.dedent(snippets[0]), "  ")
    compose = (ROOT / "docker-compose.yml").read_text()
    assert compose.count("\nvolumes:\n") == 1
    return yaml.safe_load(compose.replace("\nvolumes:\n", f"\n{added}\nvolumes:\n"))


def test_the_split_walkthrough_runs_only_commands_that_exist() -> None:
    """Every `python main.py …` in the step by step parses; every service it names is in the compose
    file (with its own addition) and in the profile it gives."""
    from main import build_parser

    text = _walkthrough()
    commands = re.findall(r"python main\.py ([^'`\n#]+)", text)
    assert {c.split()[0] for c in commands} == {"migrate-db", "login", "status", "accounts"}
    for command in commands:
        build_parser().parse_args(shlex.split(command))  # an unknown command or option exits 2
    services = _compose_with_the_walkthroughs_services(text)["services"]
    lines = re.findall(r"docker compose [^`\n#]+", text)
    assert len(lines) >= 8
    for line in lines:
        words = shlex.split(line)[2:]
        profiles = set()
        while words[0] == "--profile":
            profiles.add(words[1])
            words = words[2:]
        verb, rest = words[0], [w for w in words[1:] if not w.startswith("-")]
        named = rest[:1] if verb in ("run", "exec") else rest
        assert verb in ("stop", "up", "ps", "run", "exec") and (named or verb == "ps"), line
        for name in named:
            assert name in services, line
            assert set(services[name].get("profiles", [])) <= profiles, line


def test_the_walkthroughs_second_collector_is_the_first_on_its_own_session() -> None:
    services = _compose_with_the_walkthroughs_services(_walkthrough())["services"]
    first, second = services["collector"], services["collector2"]
    assert second["environment"] == {**first["environment"], "TELEGRAM_SESSION": "data/acc2.session"}
    assert first["environment"]["TELEGRAM_SESSION"] == "data/pulse.session"
    assert {k: v for k, v in second.items() if k != "environment"} == {
        k: v for k, v in first.items() if k != "environment"
    }
