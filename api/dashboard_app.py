"""The dashboard's part of the app: its templates, static files, pages and the two answers a browser
gets instead of JSON (the way in when it has no session, a page for what is not stored)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from analytics.render_text import num, percent, when
from api import chart_lib, dashboard_login, dashboard_pages

HERE = Path(__file__).resolve().parent


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=HERE / "templates")
    t.env.filters.update(num=num, percent=percent, when=when)
    # Asked on every page: a library fetched after the start shows up without a restart.
    t.env.globals["charts_available"] = lambda: chart_lib.present()
    return t


def add_dashboard(app: FastAPI) -> None:
    """Mount the dashboard on `app`, under /dashboard."""
    app.state.templates = templates()
    app.mount("/dashboard/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
    app.include_router(dashboard_login.build_router())
    app.include_router(dashboard_pages.build_router())
    app.add_exception_handler(dashboard_login.NeedsLogin, dashboard_login.to_welcome)
    app.add_exception_handler(dashboard_pages.PageNotFound, dashboard_pages.not_found)
