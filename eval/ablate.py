"""Does each answer rule earn its keep, on the question sets it was not picked on? Measured, not assumed.

    python -m eval ablate [--rules a,b] [--out eval/reports]

The rules after the model drafts (completion, the fallback's choices, the veto and overrule of a refusal,
the support checks' special cases) were each picked on the few stored answers of the sets that existed
then, mostly the first two or three. Each is switched off here, one at a time, and every committed local
run (``eval/reports/<set>/local``) is replayed, its drafts read back (see ``eval.run.replay``), side by
side with a replay that has every rule on: what each rule does to the same drafts, now, on all seven sets,
the last of which (the leisure centre's) was written after every rule was made.

The yes/no judge's P("Yes") is computed once per question and passages and shared by every replay of a
set, so a difference between two replays is the rule's, not the judge's run-to-run noise (up to 0.07, see
``eval.run.replay``). The second reading of a refusal the judge upholds is not among the rules: a replay
reads the run's one stored draft at both readings, so it cannot tell what a second reading changes.
Writes ``ablation.md`` and ``ablation.json``.
"""

from __future__ import annotations

import json
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from rag import answer, refusal, support
from rag.errors import RagError

from .run import aggregate, open_replay, replay_rows

RUNS = Path("eval/reports")
FIRST = ("beijing_initiative", "city_water_charter", "cycle_share_terms")  # the sets the rules were made on, mostly


@dataclass(frozen=True)
class Rule:
    name: str
    what: str  # what the rule does, as the report says it
    off: tuple[tuple[object, str, object], ...]  # (module or class, attribute, value) that switch it off


def _never(*_args, **_kwargs):
    return None


RULES = [
    Rule("completion", "the answer completed with a cited paragraph's most relevant sentence, quoted, and with "
         "the top paragraph's when it is clearly more relevant (`Asker._complete`)",
         ((answer.Asker, "_complete", _never),)),
    Rule("lead", "of completion, only the top paragraph's sentence the answer does not cite (`LEAD_MARGIN`)",
         ((answer, "LEAD_MARGIN", float("inf")),)),
    Rule("locate", "a draft that only says where, or a question asking where, answered by the paragraphs it "
         "names (`Asker._locate`)", ((answer.Asker, "_locate", _never),)),
    Rule("restates", "a sentence that only restates the question is dropped (`support.restates`)",
         ((answer, "restates", lambda question, claim: False),)),
    Rule("fragment", "a fragment (\"2030 [7]\") is checked together with the question (`FRAGMENT_SUPPORT_FLOOR`)",
         ((answer, "FRAGMENT_SUPPORT_FLOOR", 0.0),)),
    Rule("translated", "a Chinese sentence's English translation must be supported too "
         "(`TRANSLATED_SUPPORT_FLOOR`)", ((answer, "TRANSLATED_SUPPORT_FLOOR", 0.0),)),
    Rule("number-anchor", "more lexical credit for a sentence stating every number of the claim "
         "(`NUMBER_ANCHOR_BONUS`)", ((support, "NUMBER_ANCHOR_BONUS", 0.0),)),
    Rule("negation", "a claim negated where its sentence is not (or the reverse) is judged by its words alone "
         "(`support._negated`)", ((support, "_negated", lambda sentence: False),)),
    Rule("reanswer", "an answer lacking the number, sum or measure asked for is answered from the passages "
         "when the judge finds it there, before answer-kind declines it (`Asker._reanswer`)",
         ((answer.Asker, "_reanswer", _never),)),
    Rule("answer-kind", "a question asking for a number, sum or measure the answer and evidence lack is declined "
         "(`refusal.asks_for_what_it_lacks`, wherever it is asked: before the judge, by reanswer, at the end)", ((refusal, "asks_for_what_it_lacks", lambda question, text: False),)),
    Rule("named", "a paragraph the user named that addresses the question overrules a refusal "
         "(`_named_and_addressed`)", ((answer, "_named_and_addressed", lambda evidence, question: False),)),
    Rule("restating", "a sentence restating the question is strong evidence against a refusal, and leads the "
         "fallback (`STRONG_EVIDENCE`)", ((answer, "STRONG_EVIDENCE", float("inf")),)),
    Rule("veto", "the judge may veto that strong evidence below `STRONG_VETO`",
         ((answer, "STRONG_VETO", 0.0),)),
    Rule("fallback-alone", "the fallback answers from one paragraph (`FALLBACK_ALONE`)",
         ((answer, "FALLBACK_ALONE", False),)),
    Rule("fallback-lead", "the fallback leads with a restating paragraph over the one the model cited "
         "(`answer._lead`)", ((answer, "_lead", lambda cited, evidence: cited),)),
]


@contextmanager
def switched_off(rule: Rule):
    with ExitStack() as stack:
        for target, attribute, value in rule.off:
            stack.enter_context(mock.patch.object(target, attribute, value))
        yield


@contextmanager
def judged_once():
    """``Asker._judge`` asked once per question and passages, its P("Yes") reused by every later replay."""
    original = answer.Asker._judge
    seen: dict[tuple, float | None] = {}

    def judge(self, question, evidence, timings):
        key = (question, tuple((e.label, e.text) for e in evidence))
        if key not in seen:
            seen[key] = original(self, question, evidence, timings)
        return seen[key]

    with mock.patch.object(answer.Asker, "_judge", judge):
        yield


def counts(records: list[dict]) -> dict:
    """What the report compares, as counts where a count says more than a rate: answerable questions that
    cite a right paragraph, that are declined, unanswerable ones declined; and precision and key facts."""
    metrics = aggregate(records)
    answerable = [r for r in records if r["answerable"]]
    return {"answerable": len(answerable), "unanswerable": len(records) - len(answerable),
            "right": sum(1 for r in answerable if r.get("cites_correct") == 1.0),
            "wrongly_declined": sum(1 for r in answerable if r.get("wrongly_declined")),
            "declined": sum(1 for r in records if not r["answerable"] and r.get("declined")),
            "precision": metrics["citation_precision"], "key_facts": metrics["key_fact_recall"]}


def outcome(record: dict) -> tuple:
    return record.get("answer"), tuple(record.get("citations") or ()), record.get("refused")


def ablate(run_dir: Path, rules: list[Rule], progress: bool = True) -> dict:
    """One run replayed with every rule on, then with each of ``rules`` off: the counts of each, and the
    questions each rule changes (their outcome with the rule on and off)."""
    run = open_replay(run_dir)
    with judged_once():
        base, generated = replay_rows(run, progress)
        out = {"all on": counts(base), "rules": {}, **({"generated": {"all on": generated}} if generated else {})}
        for rule in rules:
            with switched_off(rule):
                records, generated = replay_rows(run, progress)
            if generated:  # a draft the model wrote afresh differs between replays: the difference is not the rule's
                out.setdefault("generated", {})[rule.name] = generated
            changed = [{"id": b["id"], "answerable": b["answerable"], "on": _said(b), "off": _said(r),
                        "reworded": outcome(b)[1:] == outcome(r)[1:]}
                       for b, r in zip(base, records) if outcome(b) != outcome(r)]
            out["rules"][rule.name] = {**counts(records), "changed": changed}
    return out


def _said(record: dict) -> str:
    return "declined" if record.get("refused") else f"cites {record.get('citations')}"


def run(out: Path, rules: list[Rule] = RULES, runs: Path = RUNS, progress: bool = True) -> dict:
    sets = sorted((d.parent.name for d in runs.glob("*/local") if (d / "results.jsonl").is_file()),
                  key=lambda name: (name not in FIRST, FIRST.index(name) if name in FIRST else 0, name))
    if not sets:
        raise RagError(f"No local run in {runs}/<set>/local to replay (run from the project's folder).")
    results = {name: ablate(runs / name / "local", rules, progress) for name in sets}
    data = {"rules": {r.name: r.what for r in rules}, "first": list(FIRST), "sets": results}
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.json").write_text(json.dumps(data, indent=1, ensure_ascii=False))
    (out / "ablation.md").write_text(render(data))
    return data


def pooled(sets: dict[str, dict], names: list[str], rule: str | None) -> dict:
    """Counts summed over ``names`` (precision and key facts weighted by answerable questions), for one rule
    off, or every rule on (``rule`` None)."""
    rows = [sets[n]["all on"] if rule is None else sets[n]["rules"][rule] for n in names]
    weight = sum(r["answerable"] for r in rows) or 1
    total = {k: sum(r[k] for r in rows) for k in ("answerable", "unanswerable", "right", "wrongly_declined",
                                                  "declined")}
    for k in ("precision", "key_facts"):
        total[k] = sum((r[k] or 0.0) * r["answerable"] for r in rows) / weight
    return total


_COLUMNS = ("right", "not wrongly declined", "unanswerable declined", "precision", "key facts")


def _delta(off: dict, on: dict) -> str:
    """The rule's worth: what the answers lose when it is switched off (on minus off), as counts; signed so that
    a positive number is good for the rule."""
    cells = [on["right"] - off["right"], off["wrongly_declined"] - on["wrongly_declined"],
             on["declined"] - off["declined"]]
    return " | ".join(f"{c:+d}" if c else "0" for c in cells) + f" | {on['precision'] - off['precision']:+.3f}" \
        + f" | {on['key_facts'] - off['key_facts']:+.3f}"


def render(data: dict) -> str:
    sets = data["sets"]
    names = list(sets)
    first = [n for n in names if n in data["first"]]
    later = [n for n in names if n not in data["first"]]
    lines = ["# Do the answer rules earn their keep?", "",
             "Produced by `python -m eval ablate`: each committed local run replayed (its drafts read back) with "
             "every rule on, and again with each rule off, one at a time, in one process; the judge asked once "
             "per question and passages. Each cell is what the rule is worth (on minus off), signed so that "
             "**positive favours the rule**: answerable questions citing a right paragraph, answerable ones *not* "
             "wrongly declined, unanswerable ones declined (counts), citation precision and key-fact recall.", "",
             f"The rules were made on the first sets ({', '.join(first)}) and a few on the next ones; the last set "
             "was written after all of them. Pooled precision and key facts weigh each set by its answerable "
             "questions.", "",
             "| rule | what it does | " + " | ".join(f"{group}: {column}" if column == "right" else column
                                                    for group in (f"first {len(first)} sets", f"later {len(later)} sets")
                                                    for column in _COLUMNS)
             + " | answers changed |",
             "|---|---|" + "---|" * (2 * len(_COLUMNS) + 1)]
    for rule, what in data["rules"].items():
        changed = sum(len(sets[n]["rules"][rule]["changed"]) for n in names)
        lines.append(f"| {rule} | {what} | {_delta(pooled(sets, first, rule), pooled(sets, first, None))} | "
                     f"{_delta(pooled(sets, later, rule), pooled(sets, later, None))} | {changed} |")
    lines += ["", "With every rule on (today's code, the committed drafts): right paragraph / answerable, wrongly "
              "declined, unanswerable declined / unanswerable, precision, key facts:", ""]
    for n in names:
        on = sets[n]["all on"]
        lines.append(f"- {n}: {on['right']}/{on['answerable']}, {on['wrongly_declined']}, "
                     f"{on['declined']}/{on['unanswerable']}, {on['precision']:.3f}, {on['key_facts']:.3f}")
    lines += ["", "## Per set (right paragraph / not wrongly declined / unanswerable declined)", "",
              "| rule | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for rule in data["rules"]:
        cells = []
        for n in names:
            on, off = sets[n]["all on"], sets[n]["rules"][rule]
            cells.append(" / ".join(f"{c:+d}" if c else "0" for c in (
                on["right"] - off["right"], off["wrongly_declined"] - on["wrongly_declined"],
                on["declined"] - off["declined"])))
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    generated = {n: sets[n]["generated"] for n in names if sets[n].get("generated")}
    lines += ["", "Drafts the model wrote afresh (no stored draft; such answers may differ for that reason): "
              + (json.dumps(generated) if generated else "none.")]
    lines += ["", "## The answers each rule changes (with it on -> off)", "",
              "Those whose citations or refusal change; \"reworded\" counts those whose text alone does.", ""]
    for rule in data["rules"]:
        changed = [c for n in names for c in sets[n]["rules"][rule]["changed"]]
        moved = [c for c in changed if not c["reworded"]]
        listed = "; ".join(f"{c['id']} ({'answerable' if c['answerable'] else 'unanswerable'}) {c['on']} -> {c['off']}"
                           for c in moved)
        lines.append(f"- **{rule}**: {listed or 'none'}; {len(changed) - len(moved)} reworded")
    return "\n".join(lines) + "\n"
