import subprocess
import sys
from pathlib import Path

import pytest

import main

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = [
    "run", "bot", "collector", "login", "collect", "stats", "export", "status", "demo", "api", "token",
]


def test_help_lists_every_subcommand() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in COMMANDS:
        assert f"    {command} " in out


@pytest.mark.parametrize("command", COMMANDS)
def test_each_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main.main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: python main.py {command}" in capsys.readouterr().out


def test_run_without_credentials_names_each_missing_setting(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["run"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split()[0] for line in err[:4]] == [
        "BOT_TOKEN", "ADMIN_IDS", "TELEGRAM_API_ID", "TELEGRAM_API_HASH"
    ]


def test_a_bad_env_value_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env").write_text("MTPROTO_CONCURRENCY=4\n")
    assert main.main(["status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("settings: MTPROTO_CONCURRENCY=4")


@pytest.mark.parametrize("command", ["stats", "export"])
def test_a_private_link_is_refused_by_the_cli_as_by_the_bot(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main([command, "t.me/+abcDEF"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "'t.me/+abcDEF' is a private invite link: only public channels (with a @username) can be tracked"
    )
