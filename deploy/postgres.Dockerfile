# PostgreSQL 15 for the `mtproto` profile of docker-compose.yml (`bot` and `collector` share it).
# Built locally from Debian's own package, so it needs no image registry: CI passes the base it
# builds from Debian packages (deploy/test-deploy.sh); anyone else gets debian:bookworm-slim.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

# No "main" cluster at install: the entrypoint creates the cluster in the volume on first start.
RUN mkdir -p /etc/postgresql-common/createcluster.d \
    && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/no-main.conf \
    && apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/*

ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
# An empty named volume takes this folder's owner, so the postgres user can initdb it.
RUN mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
COPY postgres-entrypoint.sh /usr/local/bin/
USER postgres
VOLUME ["/var/lib/postgresql/data"]
# SIGINT is PostgreSQL's fast shutdown: clients are disconnected and it stops at once; SIGTERM's
# smart shutdown would wait for every client and be killed at the end of the grace period.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["pg_isready", "-h", "127.0.0.1", "-U", "pulse", "-d", "pulse"]
ENTRYPOINT ["postgres-entrypoint.sh"]
