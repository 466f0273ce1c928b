"""The dashboard's way in: the one-time link the bot (`/dashboard`) or `python main.py dashboard-link`
gives opens a server-side session, kept in an HttpOnly, SameSite=Strict cookie; every page depends on
`require_session`, which sends a browser without one to the page that says how to get a link. Links
and sessions last real minutes and hours: they are judged on the app's wall clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.context import ApiContext, context
from storage.dashboard_auth import LoginOutcome, end_session, redeem_login, session_is_live

COOKIE = "cp_session"
HOME = "/dashboard/"
WELCOME = "/dashboard/welcome"
Ctx = Annotated[ApiContext, Depends(context)]

REFUSED = {
    LoginOutcome.UNKNOWN: "This login link is not valid.",
    LoginOutcome.USED: "This login link was already used: each link logs in once.",
    LoginOutcome.EXPIRED: "This login link has expired: a link is valid for a few minutes.",
}


class NeedsLogin(Exception):
    """A page was asked for without a live session."""


async def require_session(request: Request, ctx: Ctx) -> None:
    secret = request.cookies.get(COOKIE)
    if not secret or not await session_is_live(ctx.engine, secret, ctx.wall_clock.now()):
        raise NeedsLogin


def to_welcome(request: Request, exc: Exception) -> Response:
    return RedirectResponse(WELCOME, status_code=303)


def page(request: Request, name: str, status: int = 200, **values: object) -> HTMLResponse:
    """Render the template `name` with the app's Jinja2 environment."""
    return request.app.state.templates.TemplateResponse(request, name, values, status_code=status)


async def login(request: Request, ctx: Ctx, t: str = "") -> Response:
    """Use the link's secret up, set the session cookie and go to the channel list."""
    outcome, session = await redeem_login(ctx.engine, t, ctx.wall_clock.now()) if t else (
        LoginOutcome.UNKNOWN, None)
    if session is None:
        return page(request, "welcome.html", 400 if outcome is LoginOutcome.UNKNOWN else 410,
                    problem=REFUSED[outcome])
    # A page that moves on by itself, not a 303: a browser that came from another site (a link
    # clicked in Telegram's web app) would keep a SameSite=Strict cookie off a redirect that
    # continues that visit; the refresh is a new visit started by this site, so the cookie goes.
    response = page(request, "logged_in.html")
    response.set_cookie(
        COOKIE, session.secret, max_age=int((session.expires_at - ctx.wall_clock.now()).total_seconds()),
        path="/dashboard", httponly=True, samesite="strict",
        secure=request.url.scheme == "https" or ctx.settings.dashboard_url.startswith("https:"))
    return response


async def welcome(request: Request) -> HTMLResponse:
    return page(request, "welcome.html")


async def logout(request: Request, ctx: Ctx) -> Response:
    if secret := request.cookies.get(COOKIE):
        await end_session(ctx.engine, secret)
    response = RedirectResponse(WELCOME, status_code=303)
    response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict")
    return response


def build_router() -> APIRouter:
    """The login, logout and welcome pages on a fresh router (see `create_app`)."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/dashboard/login", login, methods=["GET"])
    router.add_api_route("/dashboard/welcome", welcome, methods=["GET"])
    router.add_api_route("/dashboard/logout", logout, methods=["POST"])
    return router
