"""The README's Settings table, troubleshooting and deployment sections stay true to the code."""

import re
from pathlib import Path

import pytest

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
