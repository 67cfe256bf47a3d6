"""PS205-PS206: measured context size against its budget, and what the ignore file misses."""

from __future__ import annotations

from pitstop import api
from pitstop.cli import main

DOCKERFILE = 'FROM python:3.12-slim\nCOPY app/ /app/\nUSER app\nCMD ["python", "/app/main.py"]\n'


def repo(root, ignore="*.log\n", dockerfile=DOCKERFILE):
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text("print(1)\n")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".venv" / "lib" / "blob").write_bytes(b"\0" * 3_000_000)
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text("x\n")
    (root / "Dockerfile").write_text(dockerfile)
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return root


def rules(root, code):
    return [f for f in api.review(root, select=(code,)).findings]


def test_budget_is_measured_and_configurable(tmp_path):
    repo(tmp_path)
    assert rules(tmp_path, "PS205") == []  # 3 MB, under the default 50 MB
    (tmp_path / ".pitstop.toml").write_text("context-budget-mb = 1\n")
    (finding,) = rules(tmp_path, "PS205")
    assert (
        "is 3.0 MB in 7 files after .dockerignore (measured), over the 1.0 MB budget"
        in finding.message
    )
    assert "largest: .venv/ 3.0 MB" in finding.message


def test_misses_are_fixed_with_the_measured_saving(tmp_path):
    repo(tmp_path)
    (finding,) = rules(tmp_path, "PS206")
    assert "virtualenvs 3.0 MB (`.venv`)" in finding.message and "tests" in finding.message
    assert finding.fix is not None and "saves 3.0 MB" in finding.fix.description
    main(["review", str(tmp_path), "--select", "PS206", "--fix"])
    assert (tmp_path / ".dockerignore").read_text().splitlines()[2:] == [".venv", "tests"]
    assert rules(tmp_path, "PS206") == []
    listed = api.context(tmp_path).tree.files
    assert [path for path, _ in listed] == [".dockerignore", "Dockerfile", "app/main.py"]


def test_nothing_a_copy_may_need_is_suggested(tmp_path):
    repo(tmp_path, dockerfile="FROM python:3.12-slim\nCOPY . /app/\nUSER app\n")
    (finding,) = rules(tmp_path, "PS206")
    assert "`.venv`" in finding.message and "tests" not in finding.message  # COPY . takes tests


def test_a_missing_ignore_file_is_created(tmp_path):
    repo(tmp_path, ignore=None)
    (finding,) = rules(tmp_path, "PS206")
    assert finding.fix is not None and finding.fix.description.startswith("create .dockerignore")
