"""Driving the portal like a browser would: read the form's CSRF token, post it back."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: Any, email: str, next_url: str = "/") -> Any:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 200, response.text
    return response
