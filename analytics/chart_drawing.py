"""The charts drawn with matplotlib's Agg canvas, on a Figure (not pyplot): PNG bytes from plain data.

Only `analytics.charts` imports this, inside its worker thread, so matplotlib loads with the first
chart drawn rather than with the app.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from statistics import median
from zoneinfo import ZoneInfo

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from storage.queries import PostRow
from storage.subscribers import SubscriberPoint

SIZE = (8.0, 4.5)  # inches at 120 dpi: 960×540, sharp on a phone without zooming
DPI = 120
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
THOUSANDS = FuncFormatter(lambda x, _pos: f"{x:,.0f}")
DENSE_POSTS = 400  # above this many posts, dots and a daily median instead of one joined line


def _render(draw: Callable[[Figure], None]) -> bytes:
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _plain(text: str) -> str:
    """A channel's title as typed: matplotlib would read the text between two `$` as maths."""
    return text.replace("$", r"\$")


def _empty(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} yet", ha="center", va="center", fontsize=14, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _dates(ax: Axes, zone: ZoneInfo) -> None:
    locator = AutoDateLocator(tz=zone)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=zone))


def _daily_medians(posts: Sequence[PostRow], zone: ZoneInfo) -> tuple[list[datetime], list[float]]:
    """Median views of each local day's posts, placed at that day's noon."""
    days: dict[date, list[int]] = defaultdict(list)
    for p in posts:
        if p.views is not None:
            days[p.date.astimezone(zone).date()].append(p.views)
    ordered = sorted(days)
    return ([datetime.combine(d, time(12), zone) for d in ordered],
            [float(median(days[d])) for d in ordered])


def _draw_views(
    fig: Figure, posts: Sequence[PostRow], subscribers: Sequence[SubscriberPoint], title: str, tz: str
) -> None:
    zone = ZoneInfo(tz)
    ax = fig.add_subplot()
    ax.set_title(_plain(title))
    seen = [p for p in posts if p.views is not None]
    if not seen and not subscribers:
        _empty(ax, "posts")
        return
    dates, views = [p.date for p in seen], [p.views for p in seen]
    if len(seen) <= DENSE_POSTS:
        ax.plot(dates, views, marker="o" if len(seen) <= 60 else ".", linestyle="-", linewidth=0.8,
                markersize=3, color="tab:blue", label="views per post")
    else:
        # Thousands of posts joined by a line are a solid band: dots, and each day's median.
        ax.plot(dates, views, marker=".", linestyle="none", markersize=2, alpha=0.3, color="tab:blue",
                label="views per post")
        ax.plot(*_daily_medians(seen, zone), color="navy", linewidth=1.4, label="daily median")
    ax.set_ylabel("views per post", color="tab:blue")
    ax.set_xlabel(f"published ({tz})")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.grid(alpha=0.3)
    if subscribers:
        ax2 = ax.twinx()
        # Markers while there are few counts: a single one drawn as a line would not show at all.
        ax2.plot([s.taken_at for s in subscribers], [s.subscribers for s in subscribers],
                 color="tab:orange", linewidth=1.6, marker="o" if len(subscribers) <= 60 else None,
                 markersize=3, label="subscribers")
        ax2.set_ylabel("subscribers", color="tab:orange")
        ax2.yaxis.set_major_formatter(THOUSANDS)
    _dates(ax, zone)


def _draw_heatmap(fig: Figure, grid: list[list[float | None]], title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(_plain(title))
    if all(v is None for row in grid for v in row):
        _empty(ax, "posts")
        return
    values = [[float("nan") if v is None else v for v in row] for row in grid]
    image = ax.imshow(values, aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of publication")
    fig.colorbar(image, ax=ax, label="median views", format=THOUSANDS)


def _draw_post(fig: Figure, ages: Sequence[float], views: Sequence[int | None], title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(_plain(title))
    points = [(a, v) for a, v in zip(ages, views, strict=True) if v is not None]
    if not points:
        _empty(ax, "snapshots")
        return
    ax.plot([a for a, _ in points], [v for _, v in points], marker="o", markersize=3)
    ax.set_xlabel("age of the post (hours)")
    ax.set_ylabel("views")
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.grid(alpha=0.3)


def _draw_bars(fig: Figure, labels: Sequence[str], values: Sequence[float], title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(_plain(title))
    if not labels:
        _empty(ax, "channels")
        return
    ax.barh([_plain(label) for label in labels][::-1], list(values)[::-1], color="tab:blue")
    ax.set_xlabel("views of posts")
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.grid(axis="x", alpha=0.3)



def views_png(
    posts: Sequence[PostRow], subscribers: Sequence[SubscriberPoint], title: str, tz: str
) -> bytes:
    return _render(lambda fig: _draw_views(fig, posts, subscribers, title, tz))


def heatmap_png(grid: list[list[float | None]], title: str) -> bytes:
    return _render(lambda fig: _draw_heatmap(fig, grid, title))


def post_png(ages: Sequence[float], views: Sequence[int | None], title: str) -> bytes:
    return _render(lambda fig: _draw_post(fig, ages, views, title))


def bars_png(labels: Sequence[str], values: Sequence[float], title: str) -> bytes:
    return _render(lambda fig: _draw_bars(fig, labels, values, title))
