"""Finding, loading and hot-reloading function modules from the functions directory.

A function is `<functions dir>/<name>.py` exposing `handler(event, context)`. Modules inside
the project's package tree are imported under their dotted name (so the code the dev server
runs is the same module Lambda's `tidecast.functions.streams.handler` names); others are
loaded from their file. A file whose modification time or size changes is re-executed before
the next request that reaches it: edits take effect without a restart.

A registry given a container binds it to every `Function` it loads (`app.bind`), so all the
functions of one dev server share one engine, one job queue and one mail outbox.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from tidecast.errors import NotFound

if TYPE_CHECKING:
    from tidecast.container import Services

Handler = Callable[[Any, Any], Any]
#: Longer names are not looked up at all (a file system refuses names over 255 bytes).
NAME_MAX = 100


@dataclass
class LoadedFunction:
    name: str
    path: Path
    handler: Handler
    timeout: float
    stamp: tuple[int, int]


class Registry:
    def __init__(
        self,
        functions_dir: Path,
        *,
        default_timeout: float = 10.0,
        settings: dict[str, dict[str, Any]] | None = None,
        import_root: Path | None = None,
        services: Services | None = None,
    ) -> None:
        self.functions_dir = functions_dir.resolve()
        self.default_timeout = default_timeout
        self.settings = settings or {}
        self.import_root = (import_root or Path.cwd()).resolve()
        self.services = services
        self._loaded: dict[str, LoadedFunction] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        if not self.functions_dir.is_dir():
            return []
        return sorted(
            p.stem
            for p in self.functions_dir.glob("*.py")
            if not p.name.startswith("_") and p.stem.isidentifier()
        )

    def path_of(self, name: str) -> Path:
        if not name:
            raise NotFound("No function named: the path is /.netlify/functions/<name>/…" + self._known())
        path = self.functions_dir / f"{name}.py"
        if len(name) > NAME_MAX or not name.isidentifier() or name.startswith("_") or not _is_file(path):
            raise NotFound(f"Function not found: {name[:NAME_MAX]}" + self._suggest(name))
        return path

    def _suggest(self, name: str) -> str:
        near = difflib.get_close_matches(name[:NAME_MAX], self.names(), n=3, cutoff=0.6)
        if near:
            return "; did you mean " + " or ".join(near) + "?"
        return self._known()

    def _known(self) -> str:
        names = self.names()
        return f" (functions: {', '.join(names)})" if names else ""

    def get(self, name: str) -> LoadedFunction:
        """The function, loaded, or re-loaded if its file changed since the last call."""
        path = self.path_of(name)
        st = os.stat(path)
        stamp = (st.st_mtime_ns, st.st_size)
        current = self._loaded.get(name)
        if current is not None and current.stamp == stamp:
            return current
        with self._lock:
            current = self._loaded.get(name)
            if current is not None and current.stamp == stamp:
                return current
            module = self._import(name, path, reload=current is not None)
            handler = getattr(module, "handler", None)
            if not callable(handler):
                raise TypeError(f"{path} does not define handler(event, context)")
            app = getattr(module, "app", None)
            if self.services is not None and callable(getattr(app, "bind", None)):
                app.bind(self.services)  # type: ignore[union-attr]
            loaded = LoadedFunction(name, path, handler, self._timeout(name, module), stamp)
            self._loaded[name] = loaded
            return loaded

    def _timeout(self, name: str, module: ModuleType) -> float:
        configured = self.settings.get(name, {}).get("timeout")
        if configured is not None:
            return float(configured)
        declared = getattr(module, "TIMEOUT", None)
        if declared is None:
            declared = getattr(getattr(module, "app", None), "timeout", None)
        return float(declared) if declared else self.default_timeout

    def _dotted(self, path: Path) -> str | None:
        try:
            relative = path.resolve().relative_to(self.import_root)
        except ValueError:
            return None
        parts = list(relative.with_suffix("").parts)
        package = self.import_root
        for part in parts[:-1]:
            package = package / part
            if not (package / "__init__.py").exists():
                return None
        return ".".join(parts)

    def _import(self, name: str, path: Path, *, reload: bool) -> ModuleType:
        dotted = self._dotted(path)
        if dotted in sys.modules and not _loaded_from(sys.modules[dotted], path):
            dotted = None  # that dotted name is another checkout's file: load this one by path
        # Keyed by the file's path, so two directories' `echo.py` never share a module.
        digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]
        module_name = dotted or f"tidecast_function_{name}_{digest}"
        module = sys.modules.get(module_name)
        if module is not None and reload:
            # Re-execute from source, not through importlib.reload: a .pyc is keyed on the
            # source's mtime in whole seconds and its size, so an edit within the same
            # second that keeps the size would run stale bytecode.
            code = compile(path.read_bytes(), str(path), "exec")
            exec(code, module.__dict__)  # noqa: S102 - this is the function's own source
            return module
        if module is not None:
            return module
        if dotted is not None:
            if str(self.import_root) not in sys.path:
                sys.path.insert(0, str(self.import_root))
            return importlib.import_module(dotted)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system; a NUL
        return False


def _loaded_from(module: ModuleType, path: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve() == path.resolve()
