"""The loader and reload under hostile edits (issue 13, items 13-15; issue 12, item 9): every failure is a
`file:line [id]` problem, links out of the folder are refused, each file is read once, one syntax error is one
problem, and reload and --watch survive anything."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import loader
from bot.core.engine import Engine
from bot.core.loader import KnowledgeError, knowledge_stamp, load_knowledge, load_report

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
PROBLEM = re.compile(r"^\S+(:\d+)?( \[[^\]]+\])?: .+")


def problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        load_report(folder)
    out = [str(p) for p in exc.value.problems]
    assert out and all(PROBLEM.match(p) for p in out), out
    return out


def first_entry_file(kb: Path) -> Path:
    return kb / "qa" / "about.yaml"


@pytest.mark.parametrize("topic", [["about"], {"about": 1}, 12, None, True])
def test_a_topic_of_the_wrong_type_is_a_problem_not_a_traceback(kb_copy, topic):
    f = first_entry_file(kb_copy)
    data = yaml.safe_load(f.read_text())
    data["entries"][0]["topic"] = topic
    f.write_text(yaml.safe_dump(data))
    out = problems(kb_copy)
    assert any("about.yaml:" in p and "[about-author]" in p and "topic" in p for p in out), out


def test_a_fact_topic_of_the_wrong_type_too(kb_copy):
    f = kb_copy / "facts.yaml"
    data = yaml.safe_load(f.read_text())
    data["facts"][0]["topic"] = ["a", "list"]
    f.write_text(yaml.safe_dump(data))
    assert any("facts.yaml:" in p and "'topic' must be a topic id" in p for p in problems(kb_copy))


def test_an_unreadable_qa_folder_or_knowledge_folder_is_a_problem(kb_copy, monkeypatch):
    real = os.listdir

    def listdir(path="."):
        if Path(path).name in ("qa", "knowledge"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(loader.os, "listdir", listdir)
    out = problems(kb_copy)
    assert any("cannot read the folder: Permission denied" in p for p in out), out


def test_any_exception_while_loading_becomes_a_problem(kb_copy, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(loader, "_citation", boom)
    out = problems(kb_copy)
    assert any("about.yaml:" in p and "[about-author]" in p and "RuntimeError: a bug" in p for p in out), out


# a valid entry, mutated: types swapped, keys dropped, values nested
ENTRY = yaml.safe_load((KNOWLEDGE / "qa" / "about.yaml").read_text())["entries"][0]
values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=3), max_leaves=6)


@st.composite
def mutated_entries(draw):
    entry = dict(ENTRY)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(entry) + ["citations.0", "questions.0", "extra"]))
        how = draw(st.sampled_from(["swap", "drop", "nest"]))
        if "." in key:
            outer, _ = key.split(".")
            if isinstance(entry.get(outer), list) and entry[outer]:
                items = list(entry[outer])
                items[0] = draw(values) if how == "swap" else [items[0]] if how == "nest" else {"x": items[0]}
                entry[outer] = items
        elif how == "drop":
            entry.pop(key, None)
        elif how == "nest":
            entry[key] = draw(st.sampled_from([[entry.get(key)], {"value": entry.get(key)}]))
        else:
            entry[key] = draw(values)
    return entry


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory):
    dst = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(KNOWLEDGE, dst)
    for f in (dst / "qa").iterdir():
        if f.name != "about.yaml":
            f.unlink()
    (dst / "near_misses.yaml").unlink()
    return dst


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(mutated_entries())
def test_mutated_yaml_never_raises_anything_but_clear_problems(small_kb, entry):
    f = small_kb / "qa" / "about.yaml"
    data = yaml.safe_load((KNOWLEDGE / "qa" / "about.yaml").read_text())
    data["entries"][0] = entry
    f.write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        load_report(small_kb)
    except KnowledgeError as exc:
        assert all(PROBLEM.match(str(p)) for p in exc.problems), exc.problems
        assert all(p.file.startswith("knowledge") for p in exc.problems), exc.problems


# ------------------------------------------------------------------------------------------ links, reading once

def test_a_link_out_of_the_folder_is_refused_and_not_echoed(kb_copy, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("entries:\n  - {sekrit_key: 1}\n")
    (kb_copy / "qa" / "x.yaml").symlink_to(secret)
    if Path("/proc/self/status").exists():
        (kb_copy / "qa" / "y.yaml").symlink_to("/proc/self/status")
    out = problems(kb_copy)
    assert any("qa/x.yaml" in p and "outside the knowledge folder" in p for p in out), out
    assert not any("sekrit_key" in p or "VmRSS" in p or "Name" in p for p in out), out


def test_a_link_inside_the_folder_is_fine(kb_copy):
    target = kb_copy / "about-real.yml.txt"
    shutil.move(kb_copy / "qa" / "about.yaml", target)
    (kb_copy / "qa" / "about.yaml").symlink_to(target)
    assert load_knowledge(kb_copy).entry("about-author") is not None


def test_each_file_is_read_once_and_the_limit_applies_to_the_bytes_read(kb_copy, monkeypatch):
    opened: list[str] = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        opened.append(self.name)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read a second time"))
    load_report(kb_copy)
    assert sorted(opened) == sorted(set(opened)) and "brief.yaml" in opened
    # the limit is on what is read, not on what stat said before: a file that grows past it is refused
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1000)
    out = problems(kb_copy)
    assert any("brief.yaml" in p and "the limit is 1000" in p for p in out), out


# ------------------------------------------------------------------------------------------ one error, one problem

@pytest.mark.parametrize("name", ["qa/about.yaml", "facts.yaml", "topics.yaml", "qa/outcomes.yaml"])
def test_one_syntax_error_is_one_problem(kb_copy, name):
    f = kb_copy / name
    f.write_text(f.read_text().replace("\n", "\n  ]: {\n", 1))
    out = problems(kb_copy)
    assert len(out) == 1, out
    assert name.split("/")[-1] in out[0] and "not valid YAML" in out[0]


# ------------------------------------------------------------------------------------------ reload and --watch

async def test_reload_survives_any_exception_and_keeps_serving(kb_copy, monkeypatch, caplog):
    from bot.discord_app import client as client_mod

    engine = Engine(load_knowledge(kb_copy))
    bot = client_mod.BriefBot(engine, sync_on_start=False, knowledge_dir=kb_copy)

    def boom(root):
        raise PermissionError(13, "Permission denied", str(root / "qa"))

    monkeypatch.setattr(client_mod, "load_report", boom)
    async with bot:
        ok, message = await bot.reload_knowledge()
    assert not ok and "PermissionError" in message
    assert bot.engine is engine
    assert any("reload failed" in r.getMessage() for r in caplog.records)


async def test_the_watch_survives_errors_and_sees_edits_made_while_loading(kb_copy, monkeypatch):
    from bot.discord_app import client as client_mod

    monkeypatch.setattr(client_mod, "WATCH_INTERVAL", 0.05)
    stamp = knowledge_stamp(kb_copy)  # as `run --watch` does: before loading
    f = first_entry_file(kb_copy)
    f.write_text(f.read_text().replace("The brief was written by Seho Jang.", "Seho Jang wrote the brief."))
    engine = Engine(load_knowledge(KNOWLEDGE))  # loaded before the edit landed
    bot = client_mod.BriefBot(engine, sync_on_start=False, knowledge_dir=kb_copy, watch=True,
                              knowledge_stamp=stamp)
    failures = {"n": 0}
    real = client_mod.knowledge_stamp

    def flaky(root):
        if failures["n"] < 2:
            failures["n"] += 1
            raise RuntimeError("a glitch")
        return real(root)

    monkeypatch.setattr(client_mod, "knowledge_stamp", flaky)
    async with bot:
        await bot.setup_hook()
        for _ in range(200):
            await asyncio.sleep(0.05)
            if bot.engine is not engine:
                break
        assert failures["n"] == 2  # the watch hit errors and went on
        assert bot.engine.ask("who wrote the brief").text == "Seho Jang wrote the brief."
        assert not bot._watch_task.done()
