"""The users admin page: labelled fields, the real password rule, and a refused add that keeps the form."""

from __future__ import annotations

import re
from contextlib import closing

from wildtrace.store.accounts import MIN_PASSWORD

from .conftest import Server


def test_a_refused_add_keeps_the_form_and_says_why(sqlite_server: Server) -> None:
    client, csrf = sqlite_server.login("admin")
    with closing(client):
        page = client.get("/admin/users")
        assert f"Password ({MIN_PASSWORD}+ characters" in page.text and f'minlength="{MIN_PASSWORD}"' in page.text
        assert re.search(r"<label>Name <input name=\"name\"", page.text)
        assert re.search(r"<label>Role <select name=\"role\">", page.text)
        r = client.post("/admin/users", data={"name": "newbie", "role": "analyst", "password": "shortpass",
                                              "csrf_token": csrf})
        assert r.status_code == 422, r.text
        assert 'id="add-user-error"' in r.text and f"{MIN_PASSWORD} to 1,024 characters" in r.text
        assert 'value="newbie"' in r.text and "<option selected>analyst</option>" in r.text
        assert "shortpass" not in r.text  # never the password
        r = client.post("/admin/users", data={"name": "<b>x</b>", "role": "viewer", "password": "a long enough phrase",
                                              "csrf_token": csrf})
        assert r.status_code == 422 and 'value="&lt;b&gt;x&lt;/b&gt;"' in r.text  # what was typed, escaped
        assert "<b>x</b>" not in r.text
        r = client.post("/admin/users", data={"name": "admin", "role": "viewer", "password": "a long enough phrase",
                                              "csrf_token": csrf})
        assert r.status_code == 422 and "exists" in r.text
        r = client.post("/admin/users", data={"name": "newbie", "role": "viewer",
                                              "password": "a long enough phrase", "csrf_token": csrf},
                        follow_redirects=False)
        assert r.status_code == 303
        assert "<td>newbie</td>" in client.get("/admin/users").text
