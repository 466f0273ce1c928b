"""Bearer-token access: the token's hash compared in constant time with every live token's, then the
token's rate limit. Every /api/v1 route depends on `require_token`."""

from __future__ import annotations

import hmac
import math
from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.context import ApiContext, context
from api.request_read import Reads
from storage.api_tokens import ApiToken, ApiTokenRepo, token_hash

bearer = HTTPBearer(
    auto_error=False, scheme_name="token",
    description="A token from `python main.py token create --name NAME`",
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
MISSING = "no API token: send the header 'Authorization: Bearer <token>' (python main.py token create)"
REFUSED = "this API token is not valid (unknown or revoked)"


async def require_token(
    ctx: Annotated[ApiContext, Depends(context)],
    reads: Reads,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> ApiToken:
    """The live token the request carries; 401 without one, 429 past its rate limit. Read afresh on
    every request (in the request's read, which the route goes on with), so a revocation holds at once."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, MISSING, headers=CHALLENGE)
    presented = token_hash(credentials.credentials)
    live = await ApiTokenRepo(await reads.conn()).live()
    found = None
    for token in live:  # every one compared, so the time taken tells nothing of which matched
        if hmac.compare_digest(presented, token.token_hash):
            found = token
    if found is None:
        raise HTTPException(401, REFUSED, headers=CHALLENGE)
    wait = ctx.limiter.take(found.id)
    if wait > 0:
        raise HTTPException(
            429, f"too many requests with this token: at most {ctx.settings.api_rate_per_minute} a "
            f"minute; try again in {math.ceil(wait)} s", headers={"Retry-After": str(math.ceil(wait))},
        )
    return found
