"""Run one service as its own process: `python -m services.<name>` (or `... migrate`)."""

import gc
import os
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from services.common import log_redaction
from services.common.migrate import upgrade
from services.common.observability import serve_metrics, setup_logging
from services.common.settings import Settings, get_settings
from services.common.topology import METRICS_PORT_OFFSET, service


def run_service(
    name: str, factory: Callable[[], FastAPI], argv: list[str] | None = None, nice: int | None = None
) -> None:
    """`nice`: the CPU niceness this service takes (see `yield_cpu`)."""
    args = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    setup_logging(settings.log_format, settings.log_level)
    if args[:1] == ["migrate"]:
        upgrade(name, settings.database_url_for(name))
        return
    settings.check_production_secrets()
    if nice:
        yield_cpu(nice)
    serve(factory(), settings, settings.port or service(name).port)


def yield_cpu(nice: int) -> int:
    """Run this process at niceness `nice` (never higher priority than it has): when the CPU is scarce, the
    kernel gives it to the processes at the default niceness first; when it is not, this one gets all it
    asks for. Called before any thread starts, so that every thread inherits it. Returns the niceness."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if nice > current:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    return os.getpriority(os.PRIO_PROCESS, 0)


def metrics_port(settings: Settings, port: int) -> int | None:
    """`METRICS_PORT`, else the service's port + 1000; None when 0 (no metrics served)."""
    chosen = settings.metrics_port if settings.metrics_port is not None else port + METRICS_PORT_OFFSET
    if chosen > 65535:
        raise ValueError(f"the metrics port would be {chosen} (PORT + 1000): set METRICS_PORT (0: no metrics)")
    return chosen or None


def serve(app: FastAPI, settings: Settings, port: int) -> None:
    """Serve an app in this process until it is told to stop, and its metrics on the metrics port."""
    metrics = metrics_port(settings, port)
    if metrics is not None:
        try:
            serve_metrics(settings.host, metrics)
        except OSError as exc:
            raise SystemExit(f"cannot serve metrics on port {metrics} ({exc}): set METRICS_PORT (0: none)") from exc
    # Start-up objects never die: keep them out of the collector, and collect the young generation
    # less often, so a full collection does not pause a busy service for tens of milliseconds.
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    uvicorn.Server(server_config(app, settings, port, settings.host)).run()


def server_config(app: FastAPI, settings: Settings, port: int, host: str) -> uvicorn.Config:
    """uvicorn with the socket limits of the product: 64 KB frames, no deflate, ping/pong with an idle timeout;
    no token reaches its logs (nor any other log of the process: `log_redaction`)."""
    log_redaction.install()
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_idle_timeout,
        timeout_graceful_shutdown=10,
        # The gateway decides whom to believe about the client's address (TRUSTED_PROXIES); uvicorn's own
        # rewriting would trust any X-Forwarded-For arriving from 127.0.0.1.
        proxy_headers=False,
    )
