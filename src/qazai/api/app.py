"""The FastAPI app factory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from qazai import __version__
from qazai.api.envelope import install_error_handlers
from qazai.api.fastlane import FastLane
from qazai.api.observability import Metrics, PlatformMiddleware, configure_logging
from qazai.api.platform import Platform
from qazai.api.responses import declare_error_responses
from qazai.api.routers import airlock as airlock_routes
from qazai.api.routers import audit, downloads, files, identity, jobs, libraries, system
from qazai.api.routers import catalog as catalog_routes
from qazai.api.routers import ckan as ckan_routes
from qazai.api.routers import compute as compute_routes
from qazai.api.routers import hf as hf_routes
from qazai.api.routers import labels as label_routes
from qazai.api.routers import models as model_routes
from qazai.api.routers import registry as registry_routes
from qazai.api.wiring import queue_depth_by_state
from qazai.libraries.hooks import on_version_withdrawn
from qazai.registry.documents import MAX_DOCUMENT_BYTES

API_PREFIX = "/api/v1"
# A registry document (50 MiB) arrives as multipart: room for its part headers and the form fields.
DOCUMENT_BODY_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024


def create_app(platform: Platform) -> FastAPI:
    """Build the app around an already-built platform (the caller owns its lifecycle)."""
    configure_logging(json_lines=platform.settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for start in platform.on_start:
            start()
        try:
            yield
        finally:
            for stop in platform.on_stop:
                stop()

    app = FastAPI(
        title="QazAI",
        version=__version__,
        description="National AI Platform of Kazakhstan: data libraries, privacy engine, AI system registry.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        # Metrics are Prometheus' (/metrics) and logs are JSON lines; FastAPI's OpenTelemetry
        # bridge would only ask, on every request, whether a provider was configured (~10 % of a
        # health check's cost).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    metrics = Metrics(queue_depth=lambda: queue_depth_by_state(platform))
    app.state.metrics = metrics
    app.state.version_files = files.VersionFileCache()
    on_version_withdrawn(files.forget_withdrawn_version)
    install_error_handlers(app)
    for router in (system.router, identity.router, audit.router, jobs.router, libraries.router, files.router):
        declare_error_responses(router)
    declare_error_responses(downloads.router)
    for router in (registry_routes.router, catalog_routes.router, catalog_routes.feeds, ckan_routes.router):
        declare_error_responses(router)
    declare_error_responses(hf_routes.router)
    declare_error_responses(model_routes.router)
    declare_error_responses(label_routes.router)
    declare_error_responses(compute_routes.router)
    declare_error_responses(airlock_routes.router)
    # The router tries routes in order (hundreds of them): the hottest paths go first. None of
    # these can shadow another route: each has first path segments of its own (/api/v1/health,
    # /libraries/{slug}/v/..., /api/3/action/...).
    app.include_router(system.router, prefix=API_PREFIX)
    app.include_router(downloads.router)  # before files: its /data/{filename} would take .csv/.xlsx
    app.include_router(files.router)
    app.include_router(ckan_routes.router)
    app.include_router(identity.router, prefix=API_PREFIX)
    app.include_router(audit.router, prefix=API_PREFIX)
    app.include_router(jobs.router, prefix=API_PREFIX)
    app.include_router(libraries.router, prefix=API_PREFIX)
    app.include_router(registry_routes.router, prefix=API_PREFIX)
    app.include_router(model_routes.router, prefix=API_PREFIX)
    app.include_router(label_routes.router, prefix=API_PREFIX)
    app.include_router(compute_routes.router, prefix=API_PREFIX)
    app.include_router(airlock_routes.router, prefix=API_PREFIX)
    app.include_router(catalog_routes.router, prefix=API_PREFIX)
    app.include_router(catalog_routes.feeds)
    app.include_router(system.metrics_router)
    app.include_router(hf_routes.router)  # Hugging Face Hub-compatible reads, at the Hub's own paths
    # The web portal at `/` goes last so it can never shadow an API or file route.
    from qazai.web import WEB_UPLOAD_PREFIX, install_web

    install_web(app)
    # Added first, so it runs inside PlatformMiddleware (ids, access log, metrics) and in front of
    # FastAPI's routing: the hot anonymous reads that need no database (api/fastlane.py).
    app.add_middleware(FastLane, platform=platform, version_files=app.state.version_files)
    app.add_middleware(
        PlatformMiddleware,
        metrics=metrics,
        max_body_bytes=platform.settings.request_max_bytes,
        body_limit_exempt=(f"{API_PREFIX}/uploads", WEB_UPLOAD_PREFIX),
        body_limits=(
            (re.compile(rf"{API_PREFIX}/registry/systems/[^/]+/documents"), DOCUMENT_BODY_BYTES),
            (re.compile(rf"{WEB_UPLOAD_PREFIX}ai-systems/[^/]+"), DOCUMENT_BODY_BYTES),
            (re.compile(rf"{API_PREFIX}/labels(/verify|/batch)?"), label_routes.LABEL_BODY_BYTES),
            (re.compile(rf"{API_PREFIX}/compute/jobs"), platform.settings.compute_script_max_bytes + 65536),
            (re.compile(r"/verify|/labels/new"), label_routes.LABEL_BODY_BYTES),
        ),
    )
    return app
