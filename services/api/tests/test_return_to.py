"""After sign-in the browser goes back to a path of this site, never to another site."""

import pytest

from chat_api.auth.oidc.return_to import safe_return_to
from chat_api.http.errors import ApiError


@pytest.mark.parametrize("path", ["/", "/c/6f1c1f49-6a53-4b0e-9a6a-0f5b8bde3b7e", "/c/x?tab=1#end", "/settings"])
def test_a_path_of_this_site_is_taken(path: str) -> None:
    assert safe_return_to(path) == path


@pytest.mark.parametrize("given", [None, ""])
def test_none_means_home(given: str | None) -> None:
    assert safe_return_to(given) == "/"


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example.com",
        "//evil.example.com/c/1",
        "https://evil.example.com",
        "http:evil.example.com",
        "javascript:alert(1)",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "/\t/evil.example.com",
        "/\n/evil.example.com",
        "/ /evil.example.com",
        "evil.example.com",
        "c/1",
        "/api/auth/logout",
        "/api",
        "/" + "a" * 2001,
    ],
)
def test_anything_else_is_refused(hostile: str) -> None:
    with pytest.raises(ApiError) as caught:
        safe_return_to(hostile)
    assert caught.value.status == 422 and caught.value.code == "invalid_request"
