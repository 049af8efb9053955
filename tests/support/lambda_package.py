"""A built Lambda package, unpacked read-only and run under awslambdaric as Lambda runs it.

Lambda's layout: the zip unpacked in a read-only task directory (the process's working
directory), AWS's runtime client beside it in its own directory (Lambda's /var/runtime), and a
writable temporary directory. The process is started with `-S`, so the interpreter's own site-packages (and
this checkout's virtual environment) are not on its path: only the task and runtime directories
are. Shared by the package tests and bench/cold_start.py.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

#: What Lambda's python runtimes provide besides the stdlib: the runtime client and its imports.
RUNTIME_MODULES = ("awslambdaric", "simplejson", "snapshot_restore_py", "runtime_client")


def interpreter() -> str:
    """The Python beneath the virtual environment: Lambda's runtime has no venv."""
    return str(getattr(sys, "_base_executable", sys.executable))


def unpack(zip_path: Path, task: Path) -> None:
    """Unzip, then make every file and directory read-only, as Lambda's /var/task is."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    for path in [task, *task.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555)
        else:
            path.chmod(0o444 | (0o111 if path.stat().st_mode & stat.S_IXUSR else 0))


def make_writable(task: Path) -> None:
    """Undo `unpack`'s modes so the test's temporary directory can be removed."""
    for path in [task, *task.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)


def runtime_dir(into: Path) -> Path:
    """awslambdaric and its imports, copied from this environment to a directory of their own."""
    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(name)
        origin = Path(spec.origin)
        if spec.submodule_search_locations:
            shutil.copytree(origin.parent, into / origin.parent.name, dirs_exist_ok=True)
        else:
            shutil.copy2(origin, into / origin.name)
    return into


def snapshot(task: Path) -> dict[str, tuple[int, int]]:
    """Every file under the task directory with its size and mtime: a write shows as a change."""
    return {str(p.relative_to(task)): (p.stat().st_size, p.stat().st_mtime_ns) for p in task.rglob("*")}


def start(
    handler: str,
    *,
    task: Path,
    runtime: Path,
    tmp: Path,
    api: str,
    env: dict[str, str] | None = None,
    extra_path: list[Path] | None = None,
    flags: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m awslambdaric HANDLER`, with Lambda's variables and nothing of this environment."""
    path = [str(task), *(str(p) for p in extra_path or []), str(runtime)]
    environ = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "PYTHONPATH": os.pathsep.join(path),
        "AWS_LAMBDA_RUNTIME_API": api,
        "LAMBDA_TASK_ROOT": str(task),
        "LAMBDA_RUNTIME_DIR": str(runtime),
        "AWS_LAMBDA_FUNCTION_NAME": handler.split(".")[-2],
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "_HANDLER": handler,
        **(env or {}),
    }
    command = [interpreter(), "-S", *(flags or []), "-m", "awslambdaric", handler]
    return subprocess.Popen(
        command,
        cwd=task,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def stop(proc: subprocess.Popen[bytes]) -> str:
    """End the runtime process (it long-polls forever) and return what it printed."""
    if proc.poll() is None:
        proc.kill()
    out, _ = proc.communicate(timeout=10)
    return out.decode("utf-8", "replace")
