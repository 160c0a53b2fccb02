"""Packaging: the wheel carries the knowledge base, and an installed (non-editable) bot answers from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

from bot import paths

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_under_bot_is_listed_and_knowledge_is_mapped():
    """pyproject.toml lists its packages by hand (to map knowledge/ into bot/knowledge): a new subpackage must be
    added there, or a wheel would ship without it."""
    tool = _pyproject()["tool"]["setuptools"]
    listed = set(tool["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
    assert tool["package-dir"] == {"bot.knowledge": "knowledge"}
    assert {"*.yaml"} <= set(tool["package-data"]["bot.knowledge"])
    assert {"*.yaml"} <= set(tool["package-data"]["bot.knowledge.qa"])


def test_the_quick_install_has_no_test_tools():
    project = _pyproject()["project"]
    deps = " ".join(project["dependencies"]).lower()
    assert "pytest" not in deps and "hypothesis" not in deps and "bm25s" not in deps
    assert project["requires-python"] == ">=3.11"


def test_a_checkout_uses_the_top_level_knowledge_folder():
    assert paths.from_checkout()
    assert paths.default_knowledge_dir() == ROOT / "knowledge"
    assert paths.default_data_dir() == ROOT / "data"


def test_wheel_installed_in_a_fresh_venv_answers_from_the_shipped_knowledge(tmp_path: Path):
    """Build the wheel, install it (not editable) into a new virtual environment and ask, from a folder that has no
    knowledge/ of its own. The dependencies come from this environment (a .pth line) so the test needs no
    download beyond the build backend."""
    src = tmp_path / "src"  # build from a copy: setuptools leaves build/ behind, and stale files there would ship
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("bot", "knowledge"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(src)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("briefbot-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    vpy = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip())
    # this environment's packages, for the dependencies; its own .pth files (the editable bot) are not processed
    (site / "deps.pth").write_text("\n".join({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}))
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "--quiet", "--no-deps",
                              "--no-index", str(wheel)], capture_output=True, text=True, timeout=300)
    if install.returncode != 0 and "no such option: --python" in install.stderr:  # pip < 22.3
        pytest.skip("this pip cannot install into another environment")
    assert install.returncode == 0, install.stderr[-2000:]

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "PYTHON"))}
    env["HOME"] = str(tmp_path / "home")
    ask = [str(env_dir / "bin" / "briefbot"), "ask", "--json", "Who wrote the brief?"]
    p = subprocess.run(ask, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert '"status": "answered"' in p.stdout and "Seho Jang" in p.stdout
    where = subprocess.run([str(vpy), "-c", "import bot.paths as p; print(p.default_knowledge_dir())"], cwd=work,
                           env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "bot" / "knowledge")  # the shipped copy, not this checkout's
    assert (site / "bot" / "knowledge" / "qa").is_dir()
    check = subprocess.run([str(env_dir / "bin" / "briefbot"), "check"], cwd=work, env=env, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0 and "is valid" in check.stdout
    assert "by words and by meaning" in check.stdout  # the vector table shipped too (bot/core/data)

    # BRIEFBOT_KNOWLEDGE (and --knowledge) still point elsewhere
    p = subprocess.run(ask, cwd=work, env={**env, "BRIEFBOT_KNOWLEDGE": str(work / "missing")},
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and str(work / "missing") in p.stderr
    p = subprocess.run(ask[:1] + ["--knowledge", str(work / "other")] + ask[1:], cwd=work, env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and str(work / "other") in p.stderr
