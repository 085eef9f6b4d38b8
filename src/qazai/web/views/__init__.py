"""One router per area of the portal; ``ROUTERS`` is what :func:`qazai.web.install_web` mounts."""

from fastapi import APIRouter

from qazai.web.views import (
    account,
    admin,
    airlock,
    compute,
    home,
    labels,
    libraries,
    library_edit,
    models,
    publish,
    registry,
    registry_owner,
    registry_review,
    registry_wizard,
    viewer,
)

# registry_wizard before registry_owner: /systems/new must not be read as /systems/{system_id}.
ROUTERS: list[APIRouter] = [
    home.router,
    account.router,
    admin.router,
    library_edit.router,
    viewer.router,
    libraries.router,
    publish.router,
    registry.router,
    registry_wizard.router,
    registry_owner.router,
    registry_review.router,
    labels.router,
    models.router,
    airlock.router,
    compute.router,
]
