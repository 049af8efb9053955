"""`netlify.toml`: where functions and static files live, the dev port, and redirect rules.

Rules follow Netlify's documented behaviour: first match wins; `*` at the end of `from` is a
splat bound to `:splat`; `:name` segments are placeholders; `query = {k = ":v"}` requires the
query parameter and binds it; status 200 (or 404) rewrites serve the target under the
original URL, 301/302/303/307/308 redirect; a rule does not shadow a static file that exists
at the requested path unless `force = true`. Anything else the file says is reported at
start as unsupported rather than silently ignored.

Paths are compared in one form: percent-decoded, as the ASGI server hands them over in
scope["path"]. `from` and `to` may be written percent-encoded (Netlify's docs ask for that
in `_redirects`), so their literal parts are decoded before comparing or serving; values
bound from the request are decoded already and are percent-encoded again only where they go
back into a URL, a redirect's Location.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from tidecast.errors import ConfigError

FUNCTIONS_PREFIX = "/.netlify/functions/"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
REWRITE_STATUSES = {200, 404}


@dataclass(frozen=True)
class Rule:
    source: str
    to: str
    status: int = 301
    force: bool = False
    query: tuple[tuple[str, str], ...] = ()

    @property
    def rewrite(self) -> bool:
        return self.status in REWRITE_STATUSES

    def match(self, path: str, query: dict[str, str]) -> dict[str, str] | None:
        """The placeholder bindings if this rule applies to the request, else None."""
        want = [unquote(part) for part in _segments(self.source)]
        got = _segments(path)
        bound: dict[str, str] = {}
        for index, part in enumerate(want):
            if part == "*" and index == len(want) - 1:
                bound["splat"] = "/".join(got[index:])
                break
            if index >= len(got):
                return None
            if part.startswith(":"):
                bound[part[1:]] = got[index]
            elif part != got[index]:
                return None
        else:
            if len(got) != len(want):
                return None
        for key, value in self.query:
            if key not in query:
                return None
            if value.startswith(":"):
                bound[value[1:]] = query[key]
            elif query[key] != value:
                return None
        return bound

    def target(self, bound: dict[str, str], query_string: str, *, encode: bool = False) -> str:
        """The URL a redirect sends the client to, with the request's query carried over.

        With `encode`, bound values are percent-encoded: they were decoded from the request
        path, and a `?`, `#`, `%` or space in one must not change what the Location means.
        """
        values = {k: quote(v, safe="/") for k, v in bound.items()} if encode else bound
        out = _substitute(self.to, values)
        if query_string and "?" not in out and not self.query:
            out = f"{out}?{query_string}"
        return out

    def rewrite_path(self, bound: dict[str, str]) -> str:
        """The decoded path a rewrite serves or calls, in the same form as the request path.

        Only the path part of `to` counts (a function sees the request's own query string);
        its literal text is decoded and the bound values, already decoded, go in as they are.
        """
        return _substitute(self.to.split("?", 1)[0], bound, literal=unquote)


@dataclass
class NetlifyConfig:
    root: Path
    functions_dir: Path
    publish_dir: Path
    port: int = 8888
    rules: list[Rule] = field(default_factory=list)
    function_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)

    def routes_to(self, name: str) -> list[str]:
        """Public paths that reach function `name` through the rules, plus its direct path."""
        paths = [f"{FUNCTIONS_PREFIX}{name}"]
        for rule in self.rules:
            if not rule.rewrite or not rule.to.startswith(FUNCTIONS_PREFIX):
                continue
            target = rule.to[len(FUNCTIONS_PREFIX) :]
            if target.startswith(":splat") and rule.source.endswith("/*"):
                base = rule.source[:-2]
                paths.append(f"{base}/{name}")
            elif target.split("/")[0] == name:
                paths.append(rule.source)
        return paths


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _substitute(template: str, values: dict[str, str], *, literal: Callable[[str], str] = str) -> str:
    """Fill the `:name` placeholders of `template` with `values` in one pass.

    One pass over whole names: ":id" is not replaced inside ":identity" (the longest bound
    name is tried first and must not run on into a letter), and a value that itself contains
    ":splat" is not substituted again. `literal` is applied to the text between placeholders.
    """
    if not values:
        return literal(template)
    names = "|".join(re.escape(name) for name in sorted(values, key=len, reverse=True))
    out: list[str] = []
    last = 0
    for found in re.finditer(f":({names})(?![A-Za-z0-9_])", template):
        out += [literal(template[last : found.start()]), values[found.group(1)]]
        last = found.end()
    out.append(literal(template[last:]))
    return "".join(out)


def load_netlify_config(root: Path) -> NetlifyConfig:
    path = root / "netlify.toml"
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"netlify.toml: {exc}") from None
    build = data.get("build", {})
    dev = data.get("dev", {})
    unsupported: list[str] = []

    for key in sorted(set(data) - {"build", "dev", "redirects", "functions"}):
        unsupported.append(f"[{key}] is not supported by the tidecast dev server; ignored")
    for key in sorted(set(build) - {"functions", "publish"}):
        unsupported.append(f"[build] {key} is not run by the dev server; ignored")
    for key in sorted(set(dev) - {"functions", "publish", "port"}):
        unsupported.append(f"[dev] {key} is not supported; ignored")

    port = dev.get("port", 8888)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"netlify.toml: [dev] port must be a port number, got {port!r}")

    rules: list[Rule] = []
    for index, raw in enumerate(data.get("redirects", []), start=1):
        rule, problems = _parse_rule(raw, index)
        unsupported.extend(problems)
        if rule is not None:
            rules.append(rule)

    settings: dict[str, dict[str, Any]] = {}
    for name, value in (data.get("functions") or {}).items():
        if isinstance(value, dict):
            timeout = value.get("timeout")
            if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
                raise ConfigError(f"netlify.toml: [functions.{name}] timeout must be seconds > 0")
            settings[name] = value
        else:
            unsupported.append(f"[functions] {name} is not supported; ignored")

    return NetlifyConfig(
        root=root,
        functions_dir=root / str(dev.get("functions") or build.get("functions") or "netlify/functions"),
        publish_dir=root / str(dev.get("publish") or build.get("publish") or "."),
        port=port,
        rules=rules,
        function_settings=settings,
        unsupported=unsupported,
    )


def _parse_rule(raw: dict[str, Any], index: int) -> tuple[Rule | None, list[str]]:
    where = f"[[redirects]] #{index}"
    source, to = raw.get("from"), raw.get("to")
    if not isinstance(source, str) or not isinstance(to, str):
        return None, [f"{where}: needs string 'from' and 'to'; rule skipped"]
    problems = [
        f"{where} ({source}): '{k}' is not supported; ignored"
        for k in raw
        if k in {"conditions", "signed", "headers"}
    ]
    status = raw.get("status", 301)
    if status not in REDIRECT_STATUSES | REWRITE_STATUSES:
        return None, [*problems, f"{where} ({source}): status {status} is not supported; rule skipped"]
    if status in REWRITE_STATUSES and urlsplit(to).scheme:
        return None, [
            *problems,
            f"{where} ({source}): proxying to another site is not supported; rule skipped",
        ]
    if "*" in source[:-1]:
        return None, [*problems, f"{where} ({source}): '*' is only allowed at the end; rule skipped"]
    query = raw.get("query") or {}
    if not isinstance(query, dict):
        return None, [*problems, f"{where} ({source}): 'query' must be a table; rule skipped"]
    rule = Rule(
        source=source,
        to=to,
        status=int(status),
        force=bool(raw.get("force", False)),
        query=tuple((str(k), str(v)) for k, v in query.items()),
    )
    return rule, problems
