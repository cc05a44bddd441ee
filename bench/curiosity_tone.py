"""How well the curiosity practice tells critical from curious, with the tone overall judged by
our own word lists (what Hearth uses) or by a lexicon library (VADER, `pip install
vaderSentiment`, not one of Hearth's dependencies): precision and recall of "critical or not"
on the two tables in tests/unit/curiosity_table.py, and the time one reading takes.

    python -m bench.curiosity_tone

The figures decided the choice: see docs/performance.md ("Curious, not critical").
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from cogs.curiosity import logic
from tests.unit.curiosity_table import FRESH, TABLE, precision_recall


class VaderTone:
    """VADER's compound score in place of our lists: harsh at -0.5 or below when aimed at
    someone (or at -0.75 anyway), warm at 0.4 or above."""

    def __init__(self, language: logic.Language) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.analyzer = SentimentIntensityAnalyzer()
        self.language = language

    def _score(self, sentence: str) -> float:
        return float(self.analyzer.polarity_scores(sentence)["compound"])

    def harsh(self, sentence: str) -> bool:
        score = self._score(sentence)
        aimed = self.language.count("addressed", sentence) > 0
        return score <= -0.75 or (score <= -0.5 and aimed)

    def warm(self, sentence: str) -> bool:
        return self._score(sentence) >= 0.4


def measure(tone: logic.Tone, language: logic.Language) -> list[tuple[str, float, float]]:
    sets: list[tuple[str, Sequence[tuple[str, bool]]]] = [
        ("table", [(r.text, r.kind is not None) for r in TABLE]),
        ("fresh", FRESH),
    ]
    rows = []
    for name, sentences in sets:
        predicted = [logic.read(text, language, tone).critical for text, _ in sentences]
        precision, recall = precision_recall(predicted, [critical for _, critical in sentences])
        rows.append((name, precision, recall))
    return rows


def timing(tone: logic.Tone, language: logic.Language) -> float:
    """Milliseconds for the slowest of a few long, hostile inputs."""
    worst = 0.0
    samples = [
        "why would you " * 80,
        "you " * 300,
        ("a" * 999),
        "YOU ALWAYS " * 90,
        re.sub(" ", ",", "you idiot " * 100),
    ]
    logic.read("warm up the word-list sets", language, tone)
    for text in samples:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            logic.read(text, language, tone)
            runs.append((time.perf_counter() - start) * 1000)
        worst = max(worst, min(runs))  # the machine's noise aside
    return worst


def main() -> None:
    language = logic.load_languages()["en"]
    tones: list[tuple[str, logic.Tone]] = [("our word lists", logic.WordListTone(language))]
    try:
        tones.append(("VADER 3.3.2", VaderTone(language)))
    except ImportError:
        print("(VADER isn't installed: pip install vaderSentiment to compare)")
    print(f"{'tone overall':<16} {'set':<6} {'precision':>9} {'recall':>7} {'worst ms':>9}")
    for label, tone in tones:
        worst = timing(tone, language)
        for name, precision, recall in measure(tone, language):
            print(f"{label:<16} {name:<6} {precision:>9.2f} {recall:>7.2f} {worst:>9.1f}")


if __name__ == "__main__":
    main()
