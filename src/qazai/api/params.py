"""Path parameters shared by several routers, with the bounds the database can hold (a larger
number is refused with 422 before it reaches a query)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from qazai.libraries.models import MAX_VERSION_NUMBER

VersionNumber = Annotated[
    int,
    Path(ge=1, le=MAX_VERSION_NUMBER, description="version number, from 1", examples=[1]),
]
