"""The fidelity checks (bot/core/fidelity.py): each with a broken example, the shipped knowledge base clean,
the curator's loop held to them, and docs/fidelity.md in step with the knowledge base."""

from __future__ import annotations

import importlib.util
import io
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.fidelity import (
    COUNT,
    DATE,
    PERSON,
    PLACE,
    YEAR,
    asked_kinds,
    check_knowledge,
    fidelity_table,
    numbers_in,
    opening_problem,
    phrasing_problems,
    polarity_note,
    stated_kinds,
)
from bot.core.loader import KnowledgeError, load_knowledge
from bot.core.models import Answer, Citation, Match, QAEntry, Status
from conftest import ROOT

PHRASINGS = ("Did China sign Power of Siberia 2?", "did beijing sign the pipeline deal", "china signature pos2",
             "so did china sign or not", "was the gas deal signed by china")


def entry(answer: str, citations: tuple[Citation, ...], questions=PHRASINGS, **kw) -> QAEntry:
    return QAEntry("test-entry", "pos2", tuple(questions), answer, citations, (), "knowledge/qa/test.yaml:1", **kw)


def cite(knowledge, pid: str, quote: str) -> Citation:
    p = knowledge.paragraph(pid)
    assert quote in p.text
    return Citation(pid, quote, p.ref, p.section_title, p.number)


def findings_for(knowledge, e: QAEntry):
    k = replace(knowledge, entries=(e,), facts=())
    return [f for f in check_knowledge(k) if f.item == e.id]


def test_the_shipped_knowledge_base_passes_every_fidelity_check(knowledge):
    assert check_knowledge(knowledge) == []


# ------------------------------------------------------------------ openings


@pytest.mark.parametrize("answer", ["No. China again withheld its final signature at this summit.",
                                    "Yes, the brief says so.", "Most likely yes, the brief judges.",
                                    "No, not necessarily.", "Forty. They posted forty documents.",
                                    "Only a few days later: the summit came just days after.",
                                    "At Tiananmen Square: the ceremony was held there.",
                                    "Because five more years had elapsed, 2026 was the moment."])
def test_an_answer_opening_with_polarity_or_a_bare_value_is_flagged(answer):
    assert opening_problem(answer)


@pytest.mark.parametrize("answer", ["The brief says China again withheld its final signature.",
                                    "No final agreement was reached, the brief says.",
                                    "The brief lists five keywords: a, b, c, d, and e.",
                                    "According to the brief, forty cooperation documents were posted.",
                                    "Putin arrived on the evening of May 19."])
def test_a_statement_opening_is_not_flagged(answer):
    # "No final agreement ..." opens with a statement, not with a bare "No." that answers a yes/no question
    assert opening_problem(answer) is None


def test_a_polarity_opening_is_an_error_unless_the_entry_opts_in(knowledge):
    c = cite(knowledge, "pos2.6", "In the end, however, China again withheld its final signature at this summit.")
    broken = entry("No. The brief says China again withheld its final signature at this summit.", (c,))
    errors = [f for f in findings_for(knowledge, broken) if f.level == "error"]
    assert any("polarity word" in f.message for f in errors)
    # opting in is allowed where every phrasing is a yes/no question asked the same way round ...
    opted = replace(broken, questions=("Did China sign Power of Siberia 2?", "did beijing sign the pipeline deal",
                                       "was the gas deal signed by china", "did china put its name to pos2",
                                       "is pos2 signed"), opens_with_polarity=True)
    assert [f for f in findings_for(knowledge, opted) if f.level == "error"] == []
    # ... and not where one phrasing asks the opposite way round (its "yes" is the entry's "no")
    opposite = replace(opted, questions=opted.questions + ("did china refuse to sign pos2",))
    errors = [f for f in findings_for(knowledge, opposite) if f.level == "error"]
    assert len(errors) == 1 and "opposite way round" in errors[0].message and "refuse" in errors[0].message
    # or is not a yes/no question at all
    open_q = replace(opted, questions=opted.questions + ("what happened to pos2",))
    assert any("not a yes/no question" in f.message for f in findings_for(knowledge, open_q))
    # a flag on an answer that does not need it is an error too: it would hide a later "Yes."
    needless = replace(opted, answer="The brief says China again withheld its final signature at this summit.")
    assert any("drop the flag" in f.message for f in findings_for(knowledge, needless))


def test_the_opt_in_flag_is_loaded_and_type_checked(kb_copy):
    path = kb_copy / "qa" / "about.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - id: about-author\n", "  - id: about-author\n    opens_with_polarity: yes\n", 1),
                    encoding="utf-8")
    assert load_knowledge(kb_copy).entry("about-author").opens_with_polarity is True
    path.write_text(text.replace("  - id: about-author\n", "  - id: about-author\n    opens_with_polarity: maybe\n", 1),
                    encoding="utf-8")
    with pytest.raises(KnowledgeError, match="opens_with_polarity"):
        load_knowledge(kb_copy)


# ------------------------------------------------------------------ numbers, dates, names


def test_numbers_are_compared_by_value():
    assert numbers_in("approximately 2,600 km") == {"2600"}
    assert numbers_in("Putin's twenty-fifth trip") == numbers_in("his 25th trip") == {"25"}
    assert numbers_in("forty cooperation documents") == {"40"}
    assert numbers_in("\u2468 a private informal tea") == {"9"}
    assert numbers_in("(1) the Treaty, one of the items, the first extension") == set()
    assert numbers_in("Third, Beijing and Moscow", ordinals=True) == {"3"}


@pytest.mark.parametrize("answer, missing", [
    ("The brief says Power of Siberia 2 would stretch approximately 3,000 km.", "number 3000"),
    ("The brief says Power of Siberia 2 could supply up to 60 billion cubic meters a year.", "number 60"),
    ("The brief says Medvedev backed Power of Siberia 2.", "name 'Medvedev'"),
    ("The brief says talks began in 2019.", "number 2019"),
    ("The brief says the pipeline runs through Kazakhstan.", "name 'Kazakhstan'"),
])
def test_every_number_date_and_name_must_be_in_a_cited_paragraph(knowledge, answer, missing):
    c = cite(knowledge, "pos2.3", "Power of Siberia 2 is a pipeline project stretching approximately 2,600 km")
    errors = [f for f in findings_for(knowledge, entry(answer, (c,))) if f.level == "error"]
    assert len(errors) == 1 and missing in errors[0].message
    good = entry("The brief says Power of Siberia 2 would run approximately 2,600 km from the Yamal gas fields "
                 "of western Siberia to China via Mongolia.", (c,))
    assert findings_for(knowledge, good) == []


def test_a_count_of_the_items_an_answer_lists_is_given(knowledge):
    c = cite(knowledge, "pos2.3", "The key sticking points reportedly remain the supply price, flexibility in "
                                  "purchase volumes, and cost-sharing for pipeline construction.")
    listed = entry("The brief says the sticking points reportedly remain three: the supply price, flexibility in "
                   "purchase volumes, and cost-sharing for pipeline construction.", (c,))
    assert findings_for(knowledge, listed) == []
    miscounted = replace(listed, answer=listed.answer.replace("three", "four"))
    assert any("number 4" in f.message for f in findings_for(knowledge, miscounted))


def test_a_fact_is_held_to_its_one_citation(knowledge):
    fact = knowledge.fact("pos2-sticking-points")
    broken = replace(fact, text="The brief says Medvedev reportedly objected to the supply price.")
    k = replace(knowledge, entries=(), facts=(broken,))
    found = check_knowledge(k)
    assert [f.level for f in found] == ["error"] and "Medvedev" in found[0].message


# ------------------------------------------------------------------ hedges


def test_a_hedged_quote_needs_a_hedge_or_an_attribution_in_the_answer(knowledge):
    c = cite(knowledge, "pos2.6", "Most likely, Beijing remained wary of becoming overly dependent on Russian energy "
                                  "and believed it could still secure further price concessions.")
    bare = entry("Beijing was wary of becoming overly dependent on Russian energy and wanted further price "
                 "concessions.", (c,))
    found = findings_for(knowledge, bare)
    assert [f.level for f in found] == ["warning"] and "'Most likely'" in found[0].message
    for ok in ("Beijing was most likely wary of becoming overly dependent on Russian energy.",
               "The brief judges that Beijing was wary of becoming overly dependent on Russian energy."):
        assert findings_for(knowledge, replace(bare, answer=ok)) == []


def test_a_hedge_warning_does_not_fail_the_check_command(kb_copy):
    facts = kb_copy / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    old = ('text: "The key sticking points on Power of Siberia 2 reportedly remain the supply price, flexibility in '
           'purchase volumes, and cost-sharing for pipeline construction, the brief says."')
    assert old in text
    facts.write_text(text.replace(old, 'text: "The key sticking points on Power of Siberia 2 are the supply price, '
                                       'flexibility in purchase volumes, and cost-sharing for pipeline construction."'),
                     encoding="utf-8")
    out = io.StringIO()
    assert main(["--knowledge", str(kb_copy), "--lexical", "check"], out=out, err=io.StringIO()) == 0
    assert "fidelity: 0 errors, 1 warnings" in out.getvalue()
    assert "warning: " in out.getvalue() and "pos2-sticking-points" in out.getvalue()


def test_a_fidelity_error_fails_the_check_command(kb_copy):
    qa = kb_copy / "qa" / "about.yaml"
    text = qa.read_text(encoding="utf-8")
    old = "The brief was written by Seho Jang."
    assert old in text
    qa.write_text(text.replace(old, "Yes. The brief was written by Seho Jang in 2025."), encoding="utf-8")
    out = io.StringIO()
    assert main(["--knowledge", str(kb_copy), "--lexical", "check"], out=out, err=io.StringIO()) == 1
    report = out.getvalue()
    assert "polarity word" in report and "number 2025" in report and "[about-author]" in report


# ------------------------------------------------------------------ question kinds


@pytest.mark.parametrize("question, kinds", [
    ("How many cooperation documents were signed?", {COUNT}),
    ("which year was the treaty first extended", {YEAR}),
    ("When did Putin arrive in Beijing?", {DATE}),
    ("when was putin's pre-trip interview", {DATE}),
    ("Who wrote the brief?", {PERSON}),
    ("by whom was the report authored", {PERSON}),
    ("Where was the welcome ceremony held?", {PLACE}),
    ("which city hosted the summit", {PLACE}),
    ("How many days before the summit did Putin give the interview?", {COUNT, DATE}),
    ("What did the Kremlin say about Power of Siberia 2?", set()),
    ("what did putin say when he arrived", set()),  # a clause, not a question about time
    ("Where does the paper say the blame lies?", set()),  # "what does the paper say"
    ("What themed year was launched at the summit?", set()),  # "Year of Educational Cooperation"
])
def test_question_kinds(question, kinds):
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize("answer, kind", [
    ("China and Russia posted forty cooperation documents.", COUNT),
    ("The brief gives two likely reasons: a, and b.", COUNT),
    ("They agreed to a first extension in 2021.", YEAR),
    ("Putin arrived on the evening of May 19.", DATE),
    ("The summit came just days after Trump left.", DATE),
    ("He was received by Foreign Minister Wang Yi.", PERSON),
    ("Some observers argued that China orchestrated it.", PERSON),
    ("The ceremony was held at Tiananmen Square.", PLACE),
    ("The summit took place in Beijing.", PLACE),
])
def test_answer_kinds(answer, kind):
    assert kind in stated_kinds(answer)


def test_a_phrasing_that_asks_a_kind_the_answer_does_not_state_is_an_error(knowledge):
    c = cite(knowledge, "pos2.6", "In the end, however, China again withheld its final signature at this summit.")
    e = entry("The brief says China again withheld its final signature at this summit.", (c,),
              questions=PHRASINGS + ("In which year will China sign?", "How many officials refused to sign?"))
    errors = [f.message for f in findings_for(knowledge, e) if f.level == "error"]
    assert len(errors) == 2
    assert any("which year" in m and "a year" in m for m in errors)
    assert any("How many officials" in m and "a count" in m for m in errors)
    # the answer that states a count answers the count question
    e2 = replace(e, questions=PHRASINGS + ("How many officials refused to sign?",),
                 answer="The brief says China again withheld its final signature at this summit; it does not give "
                        "the number of officials involved.")
    assert findings_for(knowledge, e2) == []


def test_phrasing_problems_is_the_curators_question(knowledge):
    e = knowledge.entry("timing-venue")
    assert phrasing_problems(e, "where did xi and putin meet") == []
    assert phrasing_problems(e, "which year was the summit held") == []  # the answer says May 20, 2026
    e = knowledge.entry("pos2-feasibility")
    problems = phrasing_problems(e, "In which year were the feasibility studies finished?")
    assert problems and "a year" in problems[0]


def test_a_phrasing_aimed_at_the_bot_is_a_problem(knowledge):
    # a phrasing that asks the bot itself would open the engine's guard for every question aimed at the bot
    e = knowledge.entry("about-author")
    assert any("the bot itself" in p for p in phrasing_problems(e, "who do you think wrote this"))
    assert phrasing_problems(e, "who wrote your brief") == []  # "your brief" is the brief


def test_polarity_note_flags_the_opposite_way_round(knowledge):
    e = knowledge.entry("bargain-no-signature")  # its first yes/no phrasing: "Did China sign ...?"
    assert polarity_note(e, "Did China refuse to sign the pipeline deal?")
    assert polarity_note(e, "did beijing put pen to paper on pos2") is None
    assert polarity_note(e, "why did china not sign") is None  # not a yes/no question


# ------------------------------------------------------------------ the curator's loop


def _curate_module():
    spec = importlib.util.spec_from_file_location("curate_from_set", ROOT / "scripts" / "curate_from_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _StubEngine:
    """Misses every question; answering with an entry gives its answer (the labels then accept it)."""

    def __init__(self, knowledge):
        self.knowledge = knowledge

    def _answer(self, q, status, entry=None):
        e = self.knowledge.entry(entry) if entry else None
        return Answer(q, status, e.answer if e else "", e.citations if e else (), (),
                      Match("qa" if e else None, entry, 1.0 if e else 0.0), 1.0 if e else 0.0)

    def ask(self, q):
        return self._answer(q, Status.ABSTAINED)

    def answer_entry(self, entry_id, q):
        return self._answer(q, Status.ANSWERED, entry_id)

    def closeness_by_meaning(self, q):
        return {}


def test_the_curators_loop_proposes_only_phrasings_the_answer_answers(knowledge):
    from bot.core.evaluation import Item

    curate = _curate_module()
    k = replace(knowledge, entries=(knowledge.entry("bargain-no-signature"),))
    items = [Item("Did Beijing put its name to the pipeline deal this time?", True, entry="bargain-no-signature"),
             Item("In which year will China finally sign the pipeline deal?", True, entry="bargain-no-signature"),
             Item("Did China refuse to sign the pipeline deal?", True, entry="bargain-no-signature")]
    result = curate.propose(_StubEngine(k), items)
    assert result["phrasings"] == {"bargain-no-signature": ["Did Beijing put its name to the pipeline deal this time?",
                                                           "Did China refuse to sign the pipeline deal?"]}
    rejected = result["rejected"]["bargain-no-signature"]
    assert len(rejected) == 1 and rejected[0].startswith("In which year") and "a year" in rejected[0]
    flagged = result["flagged"]["bargain-no-signature"]
    assert len(flagged) == 1 and flagged[0].startswith("Did China refuse") and "opposite way round" in flagged[0]


# ------------------------------------------------------------------ the fidelity table


def test_the_committed_fidelity_table_is_up_to_date(knowledge):
    committed = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
    assert committed == fidelity_table(knowledge), (
        "docs/fidelity.md is out of date: run `python -m bot check --fidelity-table docs/fidelity.md`")


def test_the_fidelity_table_shows_every_claim_with_its_paragraph_and_quote(knowledge):
    table = fidelity_table(knowledge)
    for e in knowledge.entries:
        assert f"### `{e.id}`" in table
        for c in e.citations:
            assert f"({c.paragraph_id})" in table
    section = table.split("### `proceedings-sequence`")[1].split("###")[0]
    assert "nine numbered steps" in section and "Timing and Proceedings of the Summit, \u00b65 (timing.5)" in section
    assert all(f"`{f.id}`" in table for f in knowledge.facts)


def test_check_writes_the_fidelity_table(tmp_path, knowledge):
    target = tmp_path / "fidelity.md"
    out = io.StringIO()
    assert main(["--lexical", "check", "--fidelity-table", str(target)], out=out, err=io.StringIO()) == 0
    assert Path(target).read_text(encoding="utf-8") == fidelity_table(knowledge)
