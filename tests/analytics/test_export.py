"""The export's cells: text that would be a formula is made text in CSV; numbers and JSON stay data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from analytics.export import ExportData, render_export
from storage.models import CounterSnapshot, Post

POSTED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example","Click")'


def _data(series: bool) -> ExportData:
    posts = (Post(1, 7, POSTED, text=FORMULA, views=5), Post(1, 8, POSTED, text="-12", views=None))
    # Clocks disagree now and then: a snapshot stamped before the post's date has a negative age.
    snaps = (CounterSnapshot(1, 7, 3, POSTED - timedelta(minutes=30), views=5),)
    return ExportData("chan", posts, snaps, series)


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline=""), dialect="excel"))


def test_text_cells_that_start_a_formula_get_a_quote_and_numbers_stay_numbers() -> None:
    first, second = _cells(render_export(_data(series=False), "csv"))
    assert first["text"] == "'" + FORMULA and second["text"] == "'-12"  # "-12" here is words, not a count
    assert first["views"] == "5" and second["views"] == ""  # an unknown count stays empty
    (snapshot,) = _cells(render_export(_data(series=True), "csv"))
    assert snapshot["age_hours"] == "-0.5"  # a negative number is a number, not a formula to defuse


def test_json_keeps_the_text_as_posted() -> None:
    first, second = json.loads(render_export(_data(series=False), "json"))
    assert first["text"] == FORMULA and second["text"] == "-12" and second["views"] is None
