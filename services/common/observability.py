"""Structured logs and Prometheus metrics shared by every service."""

import json
import logging
import time
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Histogram, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTP_REQUESTS = Counter("fw_http_requests_total", "HTTP requests handled", ["service", "method", "status"])
HTTP_LATENCY = Histogram(
    "fw_http_request_seconds",
    "HTTP request latency",
    ["service", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("service", "request_id", "conversation_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(fmt: str, level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # One line per proxied request is noise at this level (and costs CPU on the hot path).
    logging.getLogger("httpx").setLevel(logging.WARNING)


class MetricsMiddleware:
    """Counts and times HTTP requests (pure ASGI: no per-request task switch)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            HTTP_REQUESTS.labels(self.service, scope["method"], str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"]).observe(time.perf_counter() - start)


def serve_metrics(host: str, port: int) -> WSGIServer:
    """Prometheus' text format on a port of its own (a thread of this process), never on the public port:
    only what runs beside the service (Prometheus inside the cluster) reaches it. Any path answers."""
    server, _ = start_http_server(port, addr=host)
    return server
