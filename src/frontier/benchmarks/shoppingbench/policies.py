"""Scripted baseline policies: model-free players that use only the episode's tools.

What a policy reads (`visible_request`): the task's query text and the structured
request the query states — per item the sku-option pairs, attribute pairs,
required services and price bounds; the voucher's type, threshold, discount,
cap and budget. It never reads the gold product ids, the gold titles, the
voucher's price_after_voucher, the web family's Knowledge_Attribute or its gold
record: those are the answer. Everything else comes from the catalog via tools.

Profiles (weakest first):
- hasty: one find_product with the raw query; recommends the top hit (sometimes the second).
- novice: one search per item with its stated terms (random terms dropped), no filters,
  no inspection; takes the top unused hit.
- diligent: per-item search with price/service filters (each sometimes forgotten), views
  the top candidates and checks sku/attribute pairs; looks up web facts; ignores the
  one-shop and voucher-budget requirements.
- careful: searches with key terms and every filter, two pages, inspects candidates, checks
  attributes, price and services, keeps shop-family items in one shop (searching within
  a shop), and re-picks cheaper matches until the voucher arithmetic fits the budget.
`rng` makes the k attempts differ (dropped terms, skipped checks, second-hit picks).

Skill (`make_policy(profile, skill)`, the heuristic agent's `ModelRef.skill`): the
profile is played, but each decision point (per item: the search terms, the filters,
the pages, the inspection budget, the attribute check, the pick; per task: the web
lookup, the one-shop rule, the voucher budget) is played the weak way with
probability 1 - skill. The weak way is the novice's (no filters, one page, no
checks), and a weak inspection keeps a budget of floor(skill * inspect) candidates.
Whether a point is weak is a keyed draw per (attempt, point), independent of the
control flow: for skills s < t the points t plays weakly are a subset of those s
does, so a stronger agent solves roughly a superset of what a weaker one solves
(an item-response structure), and a task's difficulty is how many points it needs
played well.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass, field, replace
from typing import Any

from frontier.benchmarks.shoppingbench.models import ItemRequest, Voucher, parse_record
from frontier.benchmarks.shoppingbench.text import keywords, tokens
from frontier.benchmarks.shoppingbench.websearch import question_of
from frontier.domain.interfaces import Episode

PROFILES = ("hasty", "novice", "diligent", "careful")


@dataclass(frozen=True)
class VisibleItem:
    sku_options: list[tuple[str, str]]
    attributes: list[tuple[str, str]]
    service: list[str]
    price_low: float | None
    price_high: float | None

    def pairs(self) -> list[tuple[str, str]]:
        return [*self.sku_options, *self.attributes]


@dataclass(frozen=True)
class VisibleRequest:
    family: str
    query: str
    items: list[VisibleItem]
    voucher: Voucher | None


def visible_request(payload: dict[str, Any], query: str) -> VisibleRequest:
    """The request as the query states it, without the answer (see the module docstring)."""
    record = parse_record(payload)

    def vis(it: ItemRequest) -> VisibleItem:
        lo, hi = it.price_interval()
        return VisibleItem(list(it.sku_options), list(it.attributes), list(it.service), lo, hi)

    items = [vis(i) for i in record.items]  # a web item states only its motif's constraints
    voucher = (
        record.voucher.model_copy(update={"price_after_voucher": None}) if record.voucher else None
    )
    return VisibleRequest(record.family, query, items, voucher)


@dataclass
class Candidate:
    hit: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)
    score: tuple[float, ...] = ()

    @property
    def id(self) -> str:
        return str(self.hit["product_id"])

    @property
    def price(self) -> float:
        return float(self.hit.get("price") or 0.0)


def _pairs_ok(info: dict[str, Any], pairs: list[tuple[str, str]]) -> int:
    attrs = {
        (k.lower(), str(v).lower()) for k, vs in (info.get("attributes") or {}).items() for v in vs
    }
    best = 0
    for variant in [{}, *(info.get("sku_options") or {}).values()]:
        flat = {(k.lower(), str(v).lower()) for k, v in variant.items()}
        best = max(best, sum((k.lower(), v.lower()) in flat | attrs for k, v in pairs))
    return best


@dataclass(frozen=True)
class Style:
    name: str
    per_item: bool
    drop_term: float
    use_filters: float
    pages: int
    inspect: int
    check_pairs: bool
    web_lookup: bool
    one_shop: bool
    budget: bool
    second_pick: float


STYLES = {
    "novice": Style("novice", True, 0.3, 0.0, 1, 0, False, False, False, False, 0.15),
    "diligent": Style("diligent", True, 0.1, 0.7, 1, 3, True, True, False, False, 0.05),
    "careful": Style("careful", True, 0.05, 1.0, 2, 8, True, True, True, True, 0.0),
}


WEAK = STYLES["novice"]
"""What a decision point played the weak way uses (see the module docstring)."""


@dataclass(frozen=True)
class SkillGate:
    """Which decision points of one attempt are played the weak way, for a skill in [0, 1].

    `draw(point)` is a uniform keyed by (attempt, point), not drawn from a stream, so
    it does not depend on which points came before: a point is weak when its draw is
    at least the skill, hence weak for every lower skill too.
    """

    skill: float
    key: int

    @classmethod
    def for_attempt(cls, skill: float, rng: random.Random) -> SkillGate:
        """The gate of the attempt whose policy rng is `rng` (read, not advanced)."""
        digest = hashlib.sha256(repr(rng.getstate()).encode()).digest()
        return cls(skill, int.from_bytes(digest[:8], "big"))

    def draw(self, point: str) -> float:
        digest = hashlib.sha256(f"{self.key}:{point}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def weak(self, point: str) -> bool:
        return self.draw(point) >= self.skill

    def item_style(self, style: Style, idx: int) -> Style:
        """`style` for item `idx`, each per-item decision weakened when its draw says so."""
        weak = WEAK

        def w(name: str) -> bool:
            return self.weak(f"{name}:{idx}")

        return replace(
            style,
            drop_term=max(style.drop_term, weak.drop_term) if w("terms") else style.drop_term,
            use_filters=min(style.use_filters, weak.use_filters)
            if w("filters")
            else style.use_filters,
            pages=min(style.pages, weak.pages) if w("pages") else style.pages,
            inspect=math.floor(self.skill * style.inspect) if w("inspect") else style.inspect,
            check_pairs=style.check_pairs and not w("pairs"),
            second_pick=max(style.second_pick, weak.second_pick)
            if w("pick")
            else style.second_pick,
        )

    def task_style(self, style: Style) -> Style:
        """`style` with the per-task decisions (web lookup, one shop, budget) weakened."""
        return replace(
            style,
            web_lookup=style.web_lookup and not self.weak("web"),
            one_shop=style.one_shop and not self.weak("shop"),
            budget=style.budget and not self.weak("budget"),
        )


async def _call(episode: Episode, name: str, args: dict[str, Any]) -> Any:
    out = await episode.call(name, args)
    if out.is_error:
        return None
    try:
        return json.loads(out.content)
    except ValueError:
        return out.content


class HastyPolicy:
    name = "hasty"

    def __init__(self, skill: float | None = None) -> None:
        self.skill = skill

    async def play(self, episode: Episode, rng: random.Random) -> None:
        gate = None if self.skill is None else SkillGate.for_attempt(self.skill, rng)
        hits = await _call(episode, "find_product", {"q": episode.task.query, "page": 1}) or []
        if hits:
            second = len(hits) > 1 and (
                rng.random() < 0.2 or (gate is not None and gate.weak("pick:0"))
            )
            pick = hits[1] if second else hits[0]
            await episode.call("recommend_product", {"product_ids": str(pick["product_id"])})
        await episode.call("terminate", {})


class SearchPolicy:
    """novice / diligent / careful: one parameterised strategy."""

    def __init__(self, style: Style, skill: float | None = None) -> None:
        self.style = style
        self.name = style.name
        self.skill = skill

    async def play(self, episode: Episode, rng: random.Random) -> None:
        task = episode.task
        req = visible_request(task.payload, task.query)
        gate = None if self.skill is None else SkillGate.for_attempt(self.skill, rng)
        st = self.style if gate is None else gate.task_style(self.style)
        extra_terms: list[str] = []
        fact: str | None = None
        if req.family == "web":
            rest = task.query[len(question_of(task.query)) :]
            extra_terms = keywords(rest)
            if st.web_lookup:
                results = (
                    await _call(episode, "web_search", {"query": question_of(task.query)}) or []
                )
                for r in results if isinstance(results, list) else []:
                    m = re.search(r"Answer:\s*(.+?)\.?$", str(r.get("snippet", "")))
                    if m:
                        fact = m.group(1).strip()
                        break
            extra_terms = [*tokens(fact), *extra_terms] if fact else keywords(task.query)
        query_words = set(keywords(task.query)) | set(tokens(fact or ""))
        chosen: list[Candidate] = []
        pools: list[list[Candidate]] = []
        shop: str | None = None
        for idx, item in enumerate(req.items):
            ist = st if gate is None else gate.item_style(st, idx)
            terms = [v for _, v in item.pairs()] + extra_terms
            if not terms:
                terms = keywords(task.query)
            terms = [t for t in terms if rng.random() >= ist.drop_term] or terms[:1]
            use_shop = shop if (st.one_shop and req.family == "shop" and idx > 0) else None
            cands = await self._search(episode, ist, item, " ".join(terms), rng, use_shop)
            if not cands and use_shop:
                cands = await self._search(episode, ist, item, " ".join(terms), rng, None)
            cands = [c for c in cands if c.id not in {x.id for x in chosen}]
            if not cands:
                pools.append([])
                continue
            ranked = await self._rank(episode, ist, cands, item, query_words, fact, rng)
            pools.append(ranked)
            chosen.append(ranked[0])
            if idx == 0 and st.one_shop:
                shop = str(ranked[0].hit.get("shop_id"))
        if st.budget and req.voucher is not None and chosen:
            chosen = self._fit_budget(chosen, pools, req.voucher)
        if chosen:
            await episode.call("recommend_product", {"product_ids": ",".join(c.id for c in chosen)})
        await episode.call("terminate", {})

    @staticmethod
    async def _search(
        episode: Episode, st: Style, item: Any, q: str, rng: random.Random, shop: str | None
    ) -> list[Candidate]:
        args: dict[str, Any] = {"q": q, "page": 1}
        if rng.random() < st.use_filters and (
            item.price_low is not None or item.price_high is not None
        ):
            lo = "" if item.price_low is None else f"{item.price_low:g}"
            hi = "" if item.price_high is None else f"{item.price_high:g}"
            args["price"] = f"{lo}-{hi}"
        if rng.random() < st.use_filters and item.service:
            args["service"] = ",".join(item.service)
        if shop:
            args["shop_id"] = shop
        hits: list[dict[str, Any]] = []
        for page in range(1, st.pages + 1):
            got = await _call(episode, "find_product", {**args, "page": page}) or []
            hits.extend(got if isinstance(got, list) else [])
            if len(got) < 10:
                break
        return [Candidate(h) for h in hits]

    @staticmethod
    async def _rank(
        episode: Episode,
        st: Style,
        cands: list[Candidate],
        item: VisibleItem,
        query_words: set[str],
        fact: str | None,
        rng: random.Random,
    ) -> list[Candidate]:
        if st.inspect == 0:
            if len(cands) > 1 and rng.random() < st.second_pick:
                return [cands[1], cands[0], *cands[2:]]
            return cands
        top = cands[: st.inspect]
        infos = (
            await _call(
                episode, "view_product_information", {"product_ids": ",".join(c.id for c in top)}
            )
            or []
        )
        by_id = {str(i.get("product_id")): i for i in infos if isinstance(i, dict)}
        for c in top:
            c.info = by_id.get(c.id, {})

        def score(pos: int, c: Candidate) -> tuple[float, ...]:
            pairs = item.pairs()
            pair_hits = _pairs_ok(c.info, pairs) if st.check_pairs and pairs else 0
            price_ok = (item.price_low is None or c.price >= item.price_low) and (
                item.price_high is None or c.price <= item.price_high
            )
            services = c.hit.get("service") or []
            serv_ok = sum(s in services for s in item.service)
            title_words = set(tokens(str(c.hit.get("title", ""))))
            overlap = len(title_words & query_words) / (len(title_words) or 1)
            fact_ok = 0
            if fact:
                text = (
                    str(c.hit.get("title", "")) + " " + str(c.info.get("description", ""))
                ).lower()
                fact_ok = int(fact.lower() in text)
            return (fact_ok, pair_hits + price_ok + serv_ok, overlap, -pos)

        for pos, c in enumerate(top):
            c.score = score(pos, c)
        ranked = sorted(enumerate(top), key=lambda pc: pc[1].score, reverse=True)
        out = [c for _, c in ranked]
        if len(out) > 1 and rng.random() < st.second_pick:
            out = [out[1], out[0], *out[2:]]
        return out + cands[st.inspect :]

    @staticmethod
    def _fit_budget(
        chosen: list[Candidate], pools: list[list[Candidate]], voucher: Voucher
    ) -> list[Candidate]:
        def fits(sel: list[Candidate]) -> bool:
            total = sum(c.price for c in sel)
            shops = {str(c.hit.get("shop_id")) for c in sel}
            return voucher.fits(total, shops)

        if fits(chosen) or len(pools) != len(chosen):
            return chosen
        # swap in the cheapest equally good alternative, item by item, until it fits
        sel = list(chosen)
        for i, pool in enumerate(pools):
            if not pool:
                continue
            best = pool[0]
            equals = [
                c for c in pool if c.score and c.score[:2] == best.score[:2] and c is not best
            ]
            for alt in sorted(equals, key=lambda c: c.price):
                if alt.price < sel[i].price and alt.id not in {c.id for c in sel}:
                    trial = [*sel[:i], alt, *sel[i + 1 :]]
                    if fits(trial):
                        return trial
        return sel


def make_policy(profile: str, skill: float | None = None) -> HastyPolicy | SearchPolicy:
    """The player of `profile`; with a `skill` in [0, 1], graded (see the module docstring)."""
    if skill is not None and not 0.0 <= skill <= 1.0:
        raise ValueError(f"skill must be in [0, 1], not {skill!r}")
    if profile == "hasty":
        return HastyPolicy(skill)
    if profile in STYLES:
        return SearchPolicy(STYLES[profile], skill)
    raise ValueError(f"unknown profile {profile!r}; available: {', '.join(PROFILES)}")
