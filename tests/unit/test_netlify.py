from __future__ import annotations

from pathlib import Path

import pytest

from tidecast.errors import ConfigError
from tidecast.runtime.netlify import Rule, load_netlify_config

ROOT = Path(__file__).resolve().parents[2]


def test_project_netlify_toml_is_the_reference_one() -> None:
    cfg = load_netlify_config(ROOT)
    assert cfg.port == 8888
    assert cfg.functions_dir == ROOT / "tidecast/functions"
    assert cfg.publish_dir == ROOT / "public"
    # The reference's rule, after the one that serves the OpenAPI document from its function.
    assert cfg.rules == [
        Rule("/api/openapi.json", "/.netlify/functions/openapi", 200),
        Rule("/api/*", "/.netlify/functions/:splat", 200),
    ]
    assert cfg.unsupported == []
    assert cfg.routes_to("streams") == ["/.netlify/functions/streams", "/api/streams"]


def test_splat_and_placeholders() -> None:
    splat = Rule("/api/*", "/.netlify/functions/:splat", 200)
    assert splat.match("/api/streams/abc", {}) == {"splat": "streams/abc"}
    assert splat.target({"splat": "streams/abc"}, "") == "/.netlify/functions/streams/abc"
    assert splat.match("/other/streams", {}) is None
    place = Rule("/blog/:year/:slug", "/posts/:slug?y=:year", 301)
    assert place.match("/blog/2024/hello", {}) == {"year": "2024", "slug": "hello"}
    assert place.target({"year": "2024", "slug": "hello"}, "") == "/posts/hello?y=2024"
    assert place.match("/blog/2024", {}) is None
    assert place.match("/blog/2024/hello/more", {}) is None


def test_query_conditions_bind_and_filter() -> None:
    rule = Rule("/store", "/items/:id", 301, query=(("id", ":id"),))
    assert rule.match("/store", {"id": "7"}) == {"id": "7"}
    assert rule.match("/store", {}) is None
    literal = Rule("/store", "/sale", 302, query=(("promo", "yes"),))
    assert literal.match("/store", {"promo": "no"}) is None
    assert literal.match("/store", {"promo": "yes"}) == {}


def test_query_string_passes_through_unless_target_has_one() -> None:
    rule = Rule("/old/*", "/new/:splat", 301)
    assert rule.target({"splat": "a"}, "x=1") == "/new/a?x=1"
    assert Rule("/o", "/n?k=v", 301).target({}, "x=1") == "/n?k=v"


def test_one_decoded_form_for_matching_rewriting_and_redirecting() -> None:
    # The request path arrives percent-decoded; `from` may be written encoded.
    encoded = Rule("/authors/c%C3%A9line/*", "/people/c%C3%A9line/:splat", 200)
    bound = encoded.match("/authors/céline/a b", {})
    assert bound == {"splat": "a b"}
    assert encoded.rewrite_path(bound) == "/people/céline/a b"  # served and called decoded
    redirect = Rule("/go/*", "/to/:splat?from=go", 302)
    assert redirect.target({"splat": "a b?c#d%"}, "", encode=True) == "/to/a%20b%3Fc%23d%25?from=go"
    assert redirect.rewrite_path({"splat": "a?b"}) == "/to/a?b"  # the query of `to` is dropped


def test_placeholders_are_filled_once_by_whole_name() -> None:
    rule = Rule("/u/:id/:my-id", "/users/:identity/:id/:my-id", 301)
    bound = rule.match("/u/7/:splat", {})
    assert bound == {"id": "7", "my-id": ":splat"}
    assert rule.target(bound, "") == "/users/:identity/7/:splat"
    splat = Rule("/a/*", "/b/:splat/:splat", 301)
    assert splat.target({"splat": ":splat"}, "") == "/b/:splat/:splat"


def test_unsupported_rules_are_reported_not_silently_used(tmp_path: Path) -> None:
    (tmp_path / "netlify.toml").write_text(
        """
[build]
  command = "make site"
  functions = "fns"
[[headers]]
  for = "/*"
[[redirects]]
  from = "/proxy/*"
  to = "https://example.com/:splat"
  status = 200
[[redirects]]
  from = "/geo"
  to = "/fr"
  status = 302
  conditions = {Country = ["fr"]}
[[redirects]]
  from = "/gone"
  to = "/x"
  status = 418
[[redirects]]
  from = "/ok"
  to = "/fine"
"""
    )
    cfg = load_netlify_config(tmp_path)
    text = "\n".join(cfg.unsupported)
    assert "[headers]" in text and "[build] command" in text
    assert "proxying" in text and "conditions" in text and "status 418" in text
    assert [r.source for r in cfg.rules] == ["/geo", "/ok"]
    assert cfg.rules[1].status == 301  # Netlify's default status
    assert cfg.functions_dir == tmp_path / "fns"


@pytest.mark.parametrize("body", ["[dev]\nport = 'x'\n", "[dev]\nport = 70000\n", "[[redirects\n"])
def test_bad_file_stops_with_a_message(tmp_path: Path, body: str) -> None:
    (tmp_path / "netlify.toml").write_text(body)
    with pytest.raises(ConfigError, match=r"netlify\.toml"):
        load_netlify_config(tmp_path)


def test_function_timeout_setting_is_validated(tmp_path: Path) -> None:
    (tmp_path / "netlify.toml").write_text("[functions.slow]\ntimeout = -1\n")
    with pytest.raises(ConfigError, match="timeout"):
        load_netlify_config(tmp_path)
    (tmp_path / "netlify.toml").write_text("[functions.slow]\ntimeout = 3\n")
    assert load_netlify_config(tmp_path).function_settings == {"slow": {"timeout": 3}}
