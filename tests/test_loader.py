"""Loading and validation: the shipped knowledge is valid, and every kind of broken file is caught clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core.loader import MIN_PHRASINGS, KnowledgeError, load_report
from bot.core.text import normalise_for_quote

BRIEF_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "brief" / "inss-issue-brief-vol152-no14-2026.txt"


def run_check(folder: Path) -> tuple[int, str, str]:
    """`python -m bot check` on ``folder``, in this process (words alone: the vectors add nothing here)."""
    import io

    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--lexical", "check", "--knowledge", str(folder)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as exc:
        load_report(folder)
    return [str(p) for p in exc.value.problems]


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_shipped_knowledge_is_valid_and_covers_every_paragraph(knowledge):
    report = load_report(Path(__file__).resolve().parent.parent / "knowledge")
    assert report.uncited == ()
    assert len(knowledge.entries) >= 80
    assert len(knowledge.facts) >= 100
    assert all(len(e.questions) >= MIN_PHRASINGS for e in knowledge.entries)
    assert {t.id for t in knowledge.topics} >= {e.topic for e in knowledge.entries}


def test_every_quote_is_verbatim_in_its_paragraph(knowledge):
    cits = [c for e in knowledge.entries for c in e.citations] + [f.citation for f in knowledge.facts]
    for c in cits:
        p = knowledge.paragraph(c.paragraph_id)
        assert p is not None
        assert normalise_for_quote(c.quote) in normalise_for_quote(p.text), c
        assert len(c.quote) <= 300
        assert c.ref == p.ref and c.paragraph == p.number


@pytest.mark.skipif(not BRIEF_SOURCE.exists(), reason="the shared brief is not beside the checkout")
def test_repaired_paragraphs_are_the_source_words(knowledge):
    """Every paragraph, with page-break splits rejoined, is the extracted brief's text word for word."""
    source = " ".join(BRIEF_SOURCE.read_text(encoding="utf-8").split())
    for p in knowledge.brief.paragraphs():
        assert " ".join(p.text.split()) in source, p.id


def test_paragraph_refs_are_readable(knowledge):
    p = knowledge.paragraph("pos2.3")
    assert p.ref == "Power of Siberia 2, \u00b63"
    assert "2,600 km" in p.text
    # the page break "in near" / "real time" is repaired
    assert "in near real time" in knowledge.paragraph("timing.4").text


def test_quote_not_in_brief_is_an_error_with_file_line_and_id(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    edit(f, 'quote: "Seho Jang"', 'quote: "Seho Jang, Nobel laureate"')
    out = problems(kb_copy)
    assert len(out) == 1
    line = next(n for n, l in enumerate(f.read_text().splitlines(), 1) if "Nobel laureate" in l)
    assert out[0].startswith(f"knowledge/qa/about.yaml:{line} [about-author]: quote is not verbatim in front.4")


def test_curly_quotes_and_whitespace_are_the_only_normalisation(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    # straight quotes and extra spaces are accepted ...
    edit(f, 'quote: "Seho Jang"', 'quote: "Seho   Jang"')
    load_report(kb_copy)
    # ... a changed letter is not
    edit(f, 'quote: "Seho   Jang"', 'quote: "Seho Jang."')
    assert any("not verbatim" in p for p in problems(kb_copy))


def test_missing_paragraph_unknown_and_missing_keys(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    edit(f, "paragraph: front.4", "paragraph: front.9")
    edit(f, "    topic: about\n", "    topic: about\n    colour: blue\n")
    edit(f, "    related: [about-author]\n", "")
    out = problems(kb_copy)
    assert any("front.9" in p and "does not exist" in p for p in out)
    assert any("unknown key 'colour'" in p for p in out)
    assert any("missing key 'related'" in p and "[about-contact]" in p for p in out)


def test_duplicate_ids_phrasings_and_dangling_related(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    edit(f, "id: about-contact", "id: about-author")
    edit(f, "      - title of the paper\n", "      - who is the author\n")
    edit(f, "related: [about-author, about-series]", "related: [about-nobody]")
    out = problems(kb_copy)
    assert any("duplicate entry id" in p and "[about-author]" in p for p in out)
    assert any("'who is the author' also appears in entry 'about-author'" in p for p in out)
    assert any("related id 'about-nobody' does not exist" in p for p in out)


def test_too_few_phrasings_and_unknown_topic(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    data = yaml.safe_load(f.read_text())
    data["entries"][0]["questions"] = data["entries"][0]["questions"][:2]
    data["entries"][1]["topic"] = "weather"
    f.write_text(yaml.safe_dump(data))
    out = problems(kb_copy)
    assert any("needs at least 5" in p and "[about-author]" in p for p in out)
    assert any("unknown topic 'weather'" in p for p in out)


@pytest.mark.parametrize("content, message", [
    ("entries: [\n  {id: x", "not valid YAML"),
    ("a: &a [1, 2]\nb: *a\n", "anchors and aliases are not allowed"),
    ("- just\n- a list\n", "expected a mapping"),
    ("entries: 12\n", "'entries' must be a list"),
    (b"\xff\xfe\x00bad", "UTF-8"),
])
def test_broken_files_are_reported_not_raised(kb_copy, content, message):
    f = kb_copy / "qa" / "broken.yaml"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = problems(kb_copy)
    assert any(message in p and "broken.yaml" in p for p in out), out


def test_yaml_bomb_is_refused_quickly(kb_copy):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(20))
    (kb_copy / "qa" / "bomb.yaml").write_text(bomb)
    assert any("anchors and aliases" in p for p in problems(kb_copy))


def test_huge_file_is_refused_without_parsing(kb_copy):
    (kb_copy / "qa" / "huge.yaml").write_text("# " + "x" * 3_000_000)
    assert any("the limit is" in p and "huge.yaml" in p for p in problems(kb_copy))


def test_missing_folder_and_missing_file(tmp_path, kb_copy):
    assert any("knowledge folder not found" in p for p in problems(tmp_path / "nope"))
    (kb_copy / "facts.yaml").unlink()
    assert any("facts.yaml" in p and "missing" in p for p in problems(kb_copy))


def test_norway_problem_is_caught(kb_copy):
    """An unquoted `no` in a YAML list is a boolean, not a keyword: the check must say so."""
    f = kb_copy / "facts.yaml"
    edit(f, '"no."', "no")
    assert any("must be a non-empty string" in p for p in problems(kb_copy))


def test_answers_are_at_most_three_sentences(kb_copy):
    f = kb_copy / "qa" / "about.yaml"
    edit(f, "The brief was written by Seho Jang.",
         "The brief was written by Seho Jang. He is the author. The U.S. is not. Really. Truly.")
    out = problems(kb_copy)
    assert any("more than 3 sentences" in p and "[about-author]" in p for p in out)
    edit(f, "He is the author. The U.S. is not. Really. Truly.", "The U.S. edition is the same.")
    load_report(kb_copy)  # "U.S." does not end a sentence: two sentences are fine


def test_duplicate_keys_are_errors_not_silently_dropped(kb_copy):
    f = kb_copy / "near_misses.yaml"
    text = f.read_text()
    # a second block for an entry that already has one: plain YAML would keep only the last block
    f.write_text(text.replace("near_misses:\n", "near_misses:\n  about-publisher: [who runs inss today]\n", 1))
    out = problems(kb_copy)
    assert any("duplicate key 'about-publisher' (first on line 6)" in p for p in out), out


def test_near_misses_are_validated(kb_copy):
    f = kb_copy / "near_misses.yaml"
    f.write_text("near_misses:\n  no-such-entry: [how old is nobody]\n  about-author: [who is the author]\n")
    out = problems(kb_copy)
    assert any("no entry with id 'no-such-entry'" in p for p in out)
    assert any("'who is the author' is also a phrasing of entry 'about-author'" in p for p in out)


def test_a_fact_takes_near_misses_under_its_prefixed_id(kb_copy):
    from bot.core.loader import load_knowledge

    f = kb_copy / "near_misses.yaml"
    # "about-author" is both an entry and a fact: the prefix says which one is meant
    f.write_text("near_misses:\n  fact:about-author: [how old is the author]\n  fact:no-such-fact: [what is it]\n")
    out = problems(kb_copy)
    assert any("no fact with id 'no-such-fact'" in p for p in out), out
    assert not any("about-author" in p for p in out), out
    f.write_text("near_misses:\n  fact:about-author: [how old is the author]\n")
    assert dict(load_knowledge(kb_copy).near_misses) == {"fact:about-author": ("how old is the author",)}


def test_questions_asked_out_of_scope_are_kept_apart_and_never_stop_a_curator(kb_copy):
    from bot.core.loader import load_knowledge

    f = kb_copy / "asked_out_of_scope.yaml"
    # the generated list, gone stale: an entry it filed questions under was removed, and a question it holds is now
    # a curated phrasing. Neither stops the knowledge from loading (the curator's word wins); `check` says so.
    f.write_text("asked_out_of_scope:\n  no-such-entry: [how old is nobody, how tall is nobody]\n"
                 "  about-author: [who is the author, how tall is the author]\n")
    report = load_report(kb_copy)
    k = report.knowledge
    assert report.stale_asked == 3
    assert dict(k.asked_out_of_scope) == {"about-author": ("how tall is the author",)}
    assert "how tall is the author" not in {q for _, qs in k.near_misses for q in qs}
    assert ("about-author", ("how tall is the author",)) in k.all_near_misses
    code, out, _ = run_check(kb_copy)
    assert code == 0 and "3 of them left out" in out and "train_decision.py" in out, out
    # its strings are still checked, and it is part of the knowledge's version
    f.write_text("asked_out_of_scope:\n  about-author: [42]\n")
    assert problems(kb_copy)
    f.write_text("asked_out_of_scope:\n  about-author: [how tall is the author really]\n")
    assert load_knowledge(kb_copy).version != k.version
