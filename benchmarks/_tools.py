"""Finding the tools the benchmarks compare, shared by the benchmark scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def find_tool(name: str) -> str | None:
    """`name` on PATH, else next to the running interpreter (an unactivated venv)."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def tool_version(executable: str, flag: str = "--version") -> str:
    """The first line a tool prints for `flag`, or why it could not be had."""
    try:
        done = subprocess.run([executable, flag], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"
