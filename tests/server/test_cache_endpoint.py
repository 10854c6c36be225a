"""Cache endpoints over real HTTP (spec §6; statement 90)."""

from __future__ import annotations

import pytest

from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.errors import NotFound


def test_90_endpoint_answers_the_json_value_with_permissive_cors(server, http, workbench) -> None:
    workbench.cache.execute(["set", "foo", {"a": [1, "two"], "b": None}])
    endpoint = workbench.cache.add_endpoint("foo")
    response = http.get(f"{server}/mechanic/cache/{endpoint['id']}", headers={"Origin": "https://shop.example"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json() == {"a": [1, "two"], "b": None}


def test_preflight_is_allowed_from_any_origin(server, http, workbench) -> None:
    endpoint = workbench.cache.add_endpoint("foo")
    response = http.options(f"{server}/mechanic/cache/{endpoint['id']}", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


def test_missing_or_expired_key_answers_null(server, http, workbench) -> None:
    endpoint = workbench.cache.add_endpoint("nothing:here")
    response = http.get(f"{server}/mechanic/cache/{endpoint['id']}")
    assert response.status_code == 200 and response.content == b"null"


def test_unknown_endpoint_is_404(server, http) -> None:
    response = http.get(f"{server}/mechanic/cache/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["access-control-allow-origin"] == "*"
    assert "no cache endpoint" in response.json()["error"]


def test_endpoint_follows_the_current_value(server, http, workbench) -> None:
    endpoint = workbench.cache.add_endpoint("n")
    workbench.cache.execute(["incr", "n"])
    workbench.cache.execute(["incrby", "n", 4])
    assert http.get(f"{server}/mechanic/cache/{endpoint['id']}").json() == 5


def test_endpoint_management(workbench) -> None:
    endpoint = workbench.cache.add_endpoint("a:b")
    assert workbench.cache.endpoints() == [endpoint]
    workbench.cache.remove_endpoint(endpoint["id"])
    assert workbench.cache.endpoints() == []
    with pytest.raises(NotFound):
        workbench.cache.remove_endpoint(endpoint["id"])
    with pytest.raises(InvalidInput, match="invalid cache key"):
        workbench.cache.add_endpoint("bad key")
