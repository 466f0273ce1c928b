"""schemathesis against the running `python main.py api`: for inputs drawn from the OpenAPI document
(valid ones and invalid ones), no answer is a 5xx, and every answer is one the document describes,
in status, content type, headers and body."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import write
from storage.heartbeats import Heartbeat, HeartbeatRepo
from tests.api.conftest import cli

EXAMPLES = 12  # per operation and mode: a modest run, a few seconds in all
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


@pytest.fixture
async def alive(engine: AsyncEngine) -> None:
    """A running process's fresh heartbeat, so /healthz answers 200 (its 503 is tested beside it)."""
    async with write(engine) as conn:
        await HeartbeatRepo(conn).save(Heartbeat("scheduler", datetime.now(UTC), timedelta(hours=1), 1))


@pytest.mark.usefixtures("pulse", "alive")
def test_no_input_gets_a_5xx_or_an_undocumented_answer(
    served: tuple[str, subprocess.Popen[str]], env: dict[str, str]
) -> None:
    base, _ = served
    token = cli("token", "create", "--name", "fuzz", env=env).stdout.strip()
    auth = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        strategies = [operation.as_strategy()]
        if operation.definition.raw.get("parameters"):  # invalid input needs a parameter to be in
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        if "{username}" in operation.path:  # a random name is 404: the seeded channel's figures too
            strategies.append(operation.as_strategy(path_parameters={"username": "pulse"}))
        for strategy in strategies:

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base, headers=auth, checks=CHECKS)

            check()
