# A minimal image for `python main.py run`. Data and the Telethon session live in /app/data,
# which docker-compose.yml puts on a volume. Sign in once before the first start:
#   docker compose run --rm channelpulse python main.py login

# BASE_IMAGE: any image with Python 3.11+ and its venv module; CI, which reaches no image registry,
# passes one it builds from Debian packages (deploy/test-deploy.sh).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# MPLCONFIGDIR: matplotlib otherwise tries to write its cache under $HOME (/app, owned by root).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/app/.venv/bin:$PATH \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -m venv /app/.venv \
    && python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY README.md ./
COPY main.py settings.py clock.py ./
COPY app ./app
COPY analytics ./analytics
COPY api ./api
COPY bot ./bot
COPY collector ./collector
COPY sandbox ./sandbox
COPY storage ./storage
RUN pip install --no-cache-dir --no-deps . && rm -rf build channelpulse.egg-info \
    && useradd --system --uid 10001 --home-dir /app channelpulse \
    && mkdir -p /app/data && chown channelpulse /app/data

USER channelpulse
VOLUME ["/app/data"]
# SIGTERM is the graceful stop; compose's stop_grace_period gives it time to finish.
STOPSIGNAL SIGTERM
# Healthy while the running process's heartbeat is fresh (scheduler, collection, bot polling);
# a hung process fails it, not only a database that will not open.
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["python", "main.py", "status", "--check"]
CMD ["python", "main.py", "run"]
