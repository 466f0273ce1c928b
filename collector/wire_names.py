"""One name per Telegram method, as logs and the test Telegram's wire log spell it ("messages.GetHistory")."""

from __future__ import annotations

_FUNCTIONS = "telethon.tl.functions"
# Top-level functions that only carry another request in `query` (layer, connection info, no updates).
_WRAPPER_PREFIXES = ("Invoke", "InitConnection")


def unwrap(request: object) -> object:
    """The innermost request inside InvokeWithLayer / InitConnection / InvokeWithoutUpdates / ..."""
    while (
        type(request).__module__ == _FUNCTIONS
        and type(request).__name__.startswith(_WRAPPER_PREFIXES)
        and hasattr(getattr(request, "query", None), "CONSTRUCTOR_ID")
    ):
        request = request.query  # type: ignore[attr-defined]
    return request


def method_name(request: object) -> str:
    """"namespace.Method" of the innermost request: GetHistoryRequest -> "messages.GetHistory"."""
    inner = type(unwrap(request))
    name = inner.__name__.removesuffix("Request")
    namespace = inner.__module__.removeprefix(_FUNCTIONS + ".")
    if namespace == inner.__module__:  # top-level (Ping) or not one of Telethon's functions
        return name
    return f"{namespace}.{name}"
