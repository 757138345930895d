"""Whether a query states each constraint of its record: read by meaning, not letter for letter.

ShoppingBench's own queries paraphrase their records: "free delivery" for the
service `freeShipping`, "weighing up to 5kg" for `weight=0-5kg`, "men's" for
`recommended_gender=male`. A check that demands the literal values rejected the
benchmark's own tasks (234 of the 300 non-web dev tasks), so a teacher that kept a
parent's wording could never be grounded. Here a constraint is stated when:

- service: one of its phrasings (SERVICE_PHRASES: "free delivery", "pay on
  delivery", "LazMall", "LazFlash", ...) appears, as normalised words;
- price bound: each end appears in the query as a number (a bound of 17 is not
  stated by "176"); a zero end is what "up to" means and is not required;
- attribute or sku pair: the value is normalised (`words`: lower case, accents
  and punctuation folded, digits split from letters, number words as digits,
  plurals singular, SYNONYMS and PHRASES canonical) and read as alternatives
  ("gray/black", "teens (11-16yrs)", a long value's head). An alternative is
  stated when all its words appear (a number beside them is a code: "03
  black"), or when all its numbers appear (0 and 1 may stay implicit) with at
  least half of its words (FILLERS such as "int", "eu" never count; UNITS such
  as "kg" or "years" need not appear when a number carries them). A yes/no value
  ("yes") is stated by the words of its key ("bluetooth support" for
  `bluetooth=yes`); a value with no meaning a query could state ("none",
  "default", "other/other") by any query. A value word of 5+ letters also
  matches a word it abbreviates ("antibac") or a close misspelling ("unsented").

The whole query is read, not the item's own clause: in a multi-item query a value
stated for another item counts. The voucher block is ShoppingBench's fixed wording:
its values stay literal. All 360 dev tasks' own queries pass (literal: 126), and a
child that keeps its parent's query after one added constraint is still caught in
93.5% of 1083 cases (literal: 99.8%; bench/grounding_by_meaning.py).

No sentence embedding is used: all-MiniLM-L6-v2 (the `title_similarity:
embedding` model) scores a value against its negation or a sibling value as high as
against a paraphrase ("with lid" / "without a lid" 0.85, "red" / "blue" 0.73,
"kids" / "for children" 0.66), so no threshold separates stated from contradicted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

from frontier.benchmarks.shoppingbench.models import ItemRequest, PriceBound, Voucher
from frontier.benchmarks.shoppingbench.render import number_text

SERVICE_PHRASES: dict[str, tuple[str, ...]] = {
    "freeShipping": (
        "freeshipping",
        "free shipping",
        "free delivery",
        "complimentary shipping",
        "complimentary delivery",
        "ships free",
        "shipping is free",
        "no shipping fee",
    ),
    "COD": (
        "cod",
        "cash on delivery",
        "pay on delivery",
        "pay upon delivery",
        "paid on delivery",
        "payment on delivery",
        "cash upon delivery",
        "upon delivery",
    ),
    "official": ("official", "lazmall", "laz mall", "mall"),
    "flashsale": ("flashsale", "flash sale", "lazflash", "laz flash", "flash deal"),
}
"""How a query may say that an item needs a service (each read as normalised words)."""

SYNONYMS: dict[str, str] = {
    # sizes and quantities
    "large": "l",
    "medium": "m",
    "small": "s",
    "piece": "pc",
    "pcs": "pc",
    "pack": "pc",
    "tier": "layer",
    # units
    "meter": "m",
    "metre": "m",
    "month": "m",
    "mo": "m",
    "kilo": "kg",
    "kilogram": "kg",
    "gram": "g",
    "gr": "g",
    "liter": "l",
    "litre": "l",
    "lit": "l",
    "millimeter": "mm",
    "centimeter": "cm",
    "yr": "year",
    "yrs": "year",
    "y": "year",
    "yo": "year",
    "inche": "inch",
    # people
    "children": "kid",
    "child": "kid",
    "men": "male",
    "man": "male",
    "mens": "male",
    "women": "female",
    "woman": "female",
    "womens": "female",
    "lady": "female",
    "ladie": "female",
    "boy": "male",
    "girl": "female",
    # spelling and near-synonyms the dev queries use
    "grey": "gray",
    "colour": "color",
    "aluminium": "aluminum",
    "gemstone": "stone",
    "without": "no",
    "non": "no",
    "not": "no",
    "any": "all",
    "every": "all",
    "drop": "fall",
    "repellent": "resistant",
    "proof": "resistant",
    "sticky": "adhesive",
    "rechargable": "rechargeable",
    "modern": "contemporary",
    "universal": "all",
    "simple": "plain",
    "printed": "print",
    "embroidered": "embroidery",
    "wooden": "wood",
    "sturdy": "solid",
    "trendy": "fashion",
    "outlet": "socket",
    "japanese": "japan",
    "chinese": "china",
    "filipino": "philippines",
    "ph": "philippines",
    "isnt": "no",
    "dont": "no",
    "doesnt": "no",
}
"""Spellings folded to one canonical word, on both sides of the comparison."""

FILLERS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "with",
        "for",
        "in",
        "on",
        "to",
        "at",
        "by",
        "as",
        "is",
        "be",
        "int",
        "eu",
        "other",
        "others",
        "type",
        "size",
        "above",
        "up",
        "over",
        "more",
        "less",
        "than",
        "only",
        "old",
    ]
)
"""Words a value carries for its form only ("int: m", "8 years and above")."""

UNITS = frozenset(
    [
        "m",
        "mm",
        "cm",
        "kg",
        "g",
        "l",
        "ml",
        "inch",
        "year",
        "day",
        "week",
        "pc",
        "gb",
        "mb",
        "tb",
        "mah",
        "v",
        "w",
        "mbps",
        "ppm",
        "oz",
        "ft",
        "spf",
        "hz",
    ]
)
"""Unit words: when the value has a number, the number states it and the unit need not."""

PHRASES: dict[str, str] = {
    "boys and girls": "unisex",
    "men and women": "unisex",
    "male and female": "unisex",
    "for anyone": "unisex",
    "for everyone": "unisex",
    "free size": "all size",
    "one size": "all size",
    "entirely": "100",
    "sensitive skin": "hypoallergenic",
    "crochet hook": "needle",
}
"""Phrases that state a word they do not contain; the word is added after the phrase."""

YES = frozenset(["yes", "true", "with"])
NO_MEANING = frozenset(["none", "default", "no model", "no brand", "no band", "...", "…", "n/a"])
"""Values a query cannot state (the record's placeholder for "not specified")."""

GENERIC_KEY_WORDS = frozenset(
    [
        "type",
        "types",
        "feature",
        "features",
        "hb",
        "la",
        "ptb",
        "fa",
        "option",
        "options",
        "function",
        "kind",
    ]
)
IMPLICIT_NUMBERS = frozenset([0.0, 1.0])
"""Numbers a query states without writing them: "up to 5 kg" (0-5kg), "a random color" (1pc)."""
MIN_FUZZY_LENGTH = 5
FUZZY_RATIO = 0.85
"""A value word of 5+ letters matches a query word it begins, or one this similar (difflib)."""
LONG_VALUE_WORDS = 6
"""A value longer than this is a title ("b1t1 you glow babe ... for men and women"): its head states it."""

_SPLIT_DIGITS = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_ALTERNATIVES = re.compile(r"[/|()\[\]【】{}]")
NUMBER_WORDS = {
    w: str(i + 1)
    for i, w in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    )
}
_NUMBER_WORD = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b")
_X_SIZE = re.compile(r"\b(x{2,5})l\b")
_PROOF = re.compile(r"(?<=[a-z])(proof)\b")


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if len(word) > 5 and word.endswith("ed"):
        return word[:-2]
    return word


@lru_cache(maxsize=65536)
def _canonical(word: str) -> str:
    if word[0].isdigit():
        return str(float(word)).removesuffix(".0")
    word = SYNONYMS.get(word, word)
    return SYNONYMS.get(_stem(word), _stem(word))


def fold(text: str) -> str:
    """Lower case without accents, possessives or apostrophes; digits split from letters."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['’]s\b|['’]", "", text)
    text = _X_SIZE.sub(lambda m: f"{len(m.group(1))}xl", text)
    text = _PROOF.sub(" proof", text)
    for phrase, word in PHRASES.items():
        text = text.replace(phrase, f"{phrase} {word}")
    text = _NUMBER_WORD.sub(lambda m: NUMBER_WORDS[m.group(0)], text)
    return _SPLIT_DIGITS.sub(" ", text)


def words(text: str) -> list[str]:
    """The canonical words of a text, in order (see SYNONYMS)."""
    return [_canonical(w) for w in _TOKEN.findall(fold(text))]


def numbers(text: str) -> set[float]:
    """Every number written in a text ("1,500" is 1500)."""
    return {float(n.replace(",", "")) for n in _NUMBER.findall(text)}


@dataclass(frozen=True)
class QueryText:
    """A query read once: its canonical words, their joined neighbours, its numbers."""

    text: str
    sequence: tuple[str, ...]
    vocabulary: frozenset[str]
    values: frozenset[float]

    @classmethod
    def of(cls, query: str) -> QueryText:
        seq = tuple(words(query))
        joined = {a + b for a, b in pairwise(seq)}
        return cls(query, seq, frozenset({*seq, *joined}), frozenset(numbers(fold(query))))

    def has_phrase(self, phrase: str) -> bool:
        target = tuple(words(phrase))
        n = len(target)
        return any(self.sequence[i : i + n] == target for i in range(len(self.sequence) - n + 1))

    def has_number(self, value: float) -> bool:
        return value in self.values


def states_service(query: QueryText, service: str) -> bool:
    return any(query.has_phrase(p) for p in (service, *SERVICE_PHRASES.get(service, ())))


def states_bound(query: QueryText, bound: PriceBound) -> bool:
    ends = [e for e in (bound.low, bound.high) if e is not None and e != 0]
    return all(query.has_number(float(e)) for e in ends)


def _alternatives(value: str) -> list[str]:
    """The value, its parts ("gray/black", "teens (11-16yrs)") and a long value's head."""
    parts = [p for p in _ALTERNATIVES.split(value) if p.strip()]
    out = [value, *parts] if len(parts) > 1 else [value]
    raw = value.split()
    if len(raw) > LONG_VALUE_WORDS:
        out.append(" ".join(raw[:LONG_VALUE_WORDS]))
    return out


def _has_word(query: QueryText, word: str) -> bool:
    """The word, a word it abbreviates ("antibac"), or a close misspelling ("unsented")."""
    if word in query.vocabulary:
        return True
    if len(word) < MIN_FUZZY_LENGTH:
        return False
    return any(
        w.startswith(word) or SequenceMatcher(None, w, word).ratio() >= FUZZY_RATIO
        for w in query.vocabulary
    )


def _states_alternative(query: QueryText, text: str) -> bool:
    nums = {n for n in numbers(fold(text)) if n not in IMPLICIT_NUMBERS}
    ws = sorted({w for w in words(text) if not w[0].isdigit() and w not in FILLERS})
    if nums:
        ws = [w for w in ws if w not in UNITS]
    if not ws and not any(c.isdigit() for c in text):
        return True  # only form words ("other/other", "a"): nothing to state
    if ws and "".join(ws) in query.vocabulary:
        return True
    found = sum(_has_word(query, w) for w in ws)
    if ws and found == len(ws):
        return True  # the words say it; a number beside them is a code ("03 black")
    if not all(query.has_number(n) for n in nums):
        return False
    return found >= math.ceil(len(ws) / 2)


def states_pair(query: QueryText, key: str, value: str) -> bool:
    """Whether the query states an attribute or sku pair (see the module docstring)."""
    plain = value.strip().lower()
    if plain in NO_MEANING:
        return True
    if plain in YES:
        key_words = [w for w in words(key.replace("_", " ")) if w not in GENERIC_KEY_WORDS]
        return bool(key_words) and sum(w in query.vocabulary for w in key_words) >= math.ceil(
            len(key_words) / 2
        )
    return any(_states_alternative(query, alt) for alt in _alternatives(value))


def missing_mentions(
    query: str,
    items: Iterable[ItemRequest],
    voucher: Voucher | None,
) -> list[str]:
    """Constraints the query does not state (empty when it states them all)."""
    read = QueryText.of(query)
    missing = []
    for i, item in enumerate(items):
        missing += [
            f"item {i + 1} {k}={v}"
            for k, v in [*item.sku_options, *item.attributes]
            if not states_pair(read, k, v)
        ]
        missing += [
            f"item {i + 1} service {s}" for s in item.service if not states_service(read, s)
        ]
        missing += [
            f"item {i + 1} price {b.describe()}" for b in item.price if not states_bound(read, b)
        ]
    if voucher is not None:
        missing += _voucher_missing(query.lower(), voucher)
    return missing


def _voucher_missing(q: str, voucher: Voucher) -> list[str]:
    nums: list[float | None] = [voucher.budget, voucher.threshold]
    nums += (
        [voucher.face_value]
        if voucher.discount_type == "fixed"
        else [round((voucher.discount or 0) * 100)]
    )
    if voucher.discount_type == "percentage" and voucher.cap is not None:
        nums.append(voucher.cap)
    missing = [
        f"voucher value {number_text(float(n))}"
        for n in nums
        if n is not None and f"`{number_text(float(n))}" not in q
    ]
    if (voucher.voucher_type == "shop") != ("same shop" in q):
        missing.append(f"voucher scope {voucher.voucher_type}")
    return missing
