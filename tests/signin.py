"""Signing in over HTTP as a browser does: GET the form, POST it back with its token."""

from __future__ import annotations

import re

import httpx


def sign_in(client: httpx.Client, login_path: str, email: str, password: str) -> httpx.Response:
    """The POST's answer: a redirect when signed in, the form again, or a lockout page."""
    form = client.get(login_path)
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    # The origin the browser is on: behind a TLS proxy, the site's https address.
    scheme = client.headers.get("X-Forwarded-Proto", client.base_url.scheme)
    host = client.headers.get("Host", client.base_url.netloc.decode())
    origin = f"{scheme}://{host}"
    return client.post(
        login_path,
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{origin}{login_path}", "Origin": origin},
    )
