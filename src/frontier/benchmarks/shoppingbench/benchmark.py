"""ShoppingBench as a Benchmark plugin: load, prepare the catalog, play, grade, mutate, verify.

Options (all optional): catalog "embedded" (default) or "http" with base_url;
seed (int, default 0); distractors (per gold product, default 2); db_path (SQLite
file for the embedded catalog, default in memory); web_search "offline"
(default) or "http" with web_search_url; title_similarity "lexical" (default)
or "embedding" (the optional extra `embeddings`, see embedding.py).

With catalog "http" the search server is the only truth: grounding and mutation
read gold products from it, never from the embedded builder, which invents
attributes and prices a real product may not have.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from frontier.benchmarks.shoppingbench.catalog import Catalog, EmbeddedCatalog, SearchRequest
from frontier.benchmarks.shoppingbench.episode import ShoppingEpisode
from frontier.benchmarks.shoppingbench.grader import grade_record, item_relevance
from frontier.benchmarks.shoppingbench.http_catalog import HttpCatalog
from frontier.benchmarks.shoppingbench.loader import BENCHMARK, load_tasks
from frontier.benchmarks.shoppingbench.mentions import missing_mentions
from frontier.benchmarks.shoppingbench.models import Product, ShoppingRecord, parse_record
from frontier.benchmarks.shoppingbench.mutations import (
    MOTIFS,
    WEB_MOTIFS,
    GoldCatalog,
    NotApplicable,
    mutate_record,
)
from frontier.benchmarks.shoppingbench.policies import PROFILES, make_policy
from frontier.benchmarks.shoppingbench.text import LEXICAL, TitleMeasure
from frontier.benchmarks.shoppingbench.websearch import (
    HttpWebSearch,
    OfflineWebSearch,
    WebSearch,
    question_of,
)
from frontier.domain.interfaces import LoadResult, MutationProposal, ScriptedPolicy
from frontier.domain.tasks import FinalAnswer, Grade, Grounding, Lineage, Origin, Task

CHECK_MOTIFS = {
    "price": ["price_shift"],
    "service": ["require_service"],
    "sku": ["add_sku"],
    "attribute": ["add_attribute"],
    "title": ["add_attribute", "add_sku", "bind_web_fact"],
    "shop": ["add_shop_item"],
    "voucher_budget": ["switch_voucher", "to_voucher"],
    "knowledge": ["add_attribute", "add_sku"],
    "answer": ["price_shift"],
}


class ShoppingBench:
    name = BENCHMARK

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        opts = dict(options or {})
        self.seed = int(opts.get("seed", 0))
        self.titles = _title_measure(opts.get("title_similarity", "lexical"))
        self.embedded = EmbeddedCatalog(
            seed=self.seed,
            distractors=int(opts.get("distractors", 2)),
            path=str(opts.get("db_path", ":memory:")),
            titles=self.titles,
        )
        backend = opts.get("catalog", "embedded")
        self.catalog: Catalog
        self.http: HttpCatalog | None = None
        if backend == "embedded":
            self.catalog = self.embedded
        elif backend == "http":
            if not opts.get("base_url"):
                raise ValueError("shoppingbench option base_url is required with catalog: http")
            self.http = HttpCatalog(str(opts["base_url"]), timeout=float(opts.get("timeout", 30)))
            self.catalog = self.http
        else:
            raise ValueError(
                f"shoppingbench option catalog must be 'embedded' or 'http', got {backend!r}"
            )
        self.offline_web = OfflineWebSearch()
        self.web: WebSearch = (
            HttpWebSearch(str(opts["web_search_url"]))
            if opts.get("web_search") == "http"
            else self.offline_web
        )
        self._records: dict[str, ShoppingRecord] = {}

    # ---- tasks ---------------------------------------------------------------------
    def load(self, paths: Sequence[str], *, on_error: str = "fail") -> LoadResult:
        return load_tasks(paths, on_error=on_error)

    def record(self, task: Task) -> ShoppingRecord:
        rec = self._records.get(task.id)
        if rec is None:
            rec = parse_record(task.payload)
            self._records[task.id] = rec
        return rec

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Add the tasks' products to the embedded catalog and their facts to the offline web.

        Order: base tasks before mutated ones (by lineage depth), so a child always
        finds its parent's products; among them, voucher tasks that state a price
        after the voucher first (they pin their items' prices, which a product or
        shop task sharing a gold product then reuses); then by id. The catalog thus
        does not depend on the caller's order, and a Job that rebuilds it from the
        stored tasks gets the same gold products. Records that do not parse (a
        rejected proposal's placeholder) have nothing to add and are passed over.
        """
        parsed: list[tuple[Task, ShoppingRecord]] = []
        for task in tasks:
            try:
                parsed.append((task, self.record(task)))
            except ValueError:
                continue

        def order(pair: tuple[Task, ShoppingRecord]) -> tuple[int, bool, str]:
            task, rec = pair
            pinned = rec.voucher is not None and rec.voucher.price_after_voucher is not None
            return (task.lineage.depth, not pinned, task.id)

        for task, rec in sorted(parsed, key=order):
            self.embedded.add_record(task.id, rec, extend=task.lineage.origin == "base")
            if rec.family == "web" and rec.knowledge is not None:
                self.offline_web.add(rec.query, rec.knowledge)

    def episode(self, task: Task) -> ShoppingEpisode:
        return ShoppingEpisode(task, self.catalog, self.web)

    def grade(self, task: Task, answer: FinalAnswer | None) -> Grade:
        rec = self.record(task)
        ids: list[str] = []
        if answer is not None:
            raw = answer.content.get("product_ids", [])
            ids = (
                [str(x) for x in raw]
                if isinstance(raw, list)
                else [p.strip() for p in str(raw).split(",") if p.strip()]
            )
        return grade_record(rec, ids, self.catalog.products(ids), titles=self.titles)

    def gold_answer(self, task: Task) -> FinalAnswer:
        return FinalAnswer(
            content={"product_ids": [it.product_id for it in self.record(task).items]}
        )

    def decoy_answer(self, task: Task) -> FinalAnswer:
        self.prepare([task])
        return FinalAnswer(content={"product_ids": list(self.embedded.decoys.get(task.id, []))})

    def export(self, task: Task) -> dict[str, Any]:
        return dict(task.payload)

    # ---- mutation --------------------------------------------------------------------
    def motifs(self) -> list[str]:
        return list(MOTIFS)

    def suggest_motifs(self, task: Task, failed_checks: Sequence[str]) -> list[str]:
        out: list[str] = []
        for name in failed_checks:
            for m in CHECK_MOTIFS.get(name, []):
                if m not in out:
                    out.append(m)
        if task.family == "web":
            return [m for m in out if m in WEB_MOTIFS] or ["require_service", "price_shift"]
        return out or ["price_shift", "require_service", "to_voucher"]

    def mutate(
        self, task: Task, *, motifs: Sequence[str], rng: random.Random, round: int
    ) -> list[MutationProposal]:
        self.prepare([task])
        rec = self.record(task)
        golds: GoldCatalog = self.embedded
        if self.http is not None:
            self._locate_http_golds(rec)
            golds = self.http
        out: list[MutationProposal] = []
        for motif in motifs:
            try:
                native, note = mutate_record(rec, motif, golds, rng, self.offline_web.facts())
            except NotApplicable:
                continue
            child = self._child(task, native, motif, round, "procedural")
            out.append(MutationProposal(task=child, motif=motif, note=note))
        return out

    def _child(
        self, parent: Task, native: dict[str, Any], motif: str, round: int, origin: Origin
    ) -> Task:
        rec = parse_record(native)
        lineage = Lineage(
            origin=origin,
            parent_id=parent.id,
            root_id=parent.root_id,
            motif=motif,
            round=round,
            depth=parent.lineage.depth + 1,
        )
        return Task.create(BENCHMARK, rec.family, rec.query, native, lineage)

    def parse_candidate(
        self, parent: Task, payload: dict[str, Any], motif: str, round: int
    ) -> Task:
        if not isinstance(payload, dict):
            raise ValueError(f"candidate must be a JSON object, got {type(payload).__name__}")
        parse_record(payload)  # raises ValueError naming the field
        return self._child(parent, payload, motif, round, "llm")

    def check_grounding(self, task: Task) -> Grounding:
        try:
            rec = self.record(task)
        except ValueError as exc:
            return Grounding(grounded=False, reason=f"malformed record: {exc}")
        if rec.voucher is not None and rec.voucher.price_after_voucher is not None:
            if rec.voucher.implied_total() is None:
                return Grounding(
                    grounded=False, reason="voucher arithmetic: price_after_voucher is inconsistent"
                )
            if rec.voucher.price_after_voucher > rec.voucher.budget:
                return Grounding(
                    grounded=False, reason="voucher: the gold basket costs more than the budget"
                )
        golds, problem = (
            self._embedded_golds(task, rec) if self.http is None else self._http_golds(rec)
        )
        if problem:
            return Grounding(grounded=False, reason=problem)
        grade = grade_record(rec, [it.product_id for it in rec.items], golds, titles=self.titles)
        if not grade.success:
            failed = [c.detail for c in grade.checks if not c.passed]
            return Grounding(
                grounded=False, reason=f"the gold answer fails its own checks: {failed}"
            )
        # the gold must also pass on its merits (not only by id): check every constraint
        for i, it in enumerate(rec.items):
            prod = golds.get(it.product_id)
            probe = prod.model_copy(update={"product_id": "__probe__"}) if prod else None
            # a web item's title is the gold's own; only a web motif's constraints can fail
            wanted = it.model_copy(update={"title": []}) if rec.family == "web" else it
            score, checks = item_relevance(probe, wanted, titles=self.titles)
            if score < 1.0:
                failed = [c.detail for c in checks if not c.passed]
                return Grounding(
                    grounded=False,
                    reason=f"item {i + 1}: the gold product does not satisfy {failed}",
                )
        if rec.family == "web" and task.lineage.origin != "base":
            problem = self._web_fact_problem(task.query, rec, golds)
            if problem:
                return Grounding(grounded=False, reason=problem)
        if task.lineage.origin != "base":
            missing = missing_mentions(task.query, list(rec.items), rec.voucher)
            if missing:
                return Grounding(
                    grounded=False, reason=f"the query does not state: {', '.join(missing)}"
                )
        return Grounding(grounded=True)

    def _embedded_golds(
        self, task: Task, rec: ShoppingRecord
    ) -> tuple[dict[str, Product], str | None]:
        """The gold products in the embedded catalog (built from base tasks), or why not."""
        problem = self.embedded.add_record(task.id, rec, extend=task.lineage.origin == "base")
        if problem:
            return {}, problem
        for it in rec.items:
            if it.product_id not in self.embedded:
                return {}, f"gold product {it.product_id} is not in the catalog"
        return self.embedded.products([it.product_id for it in rec.items]), None

    def _http_golds(self, rec: ShoppingRecord) -> tuple[dict[str, Product], str | None]:
        """The gold products as the search server has them, or why they cannot be checked.

        The server's view proves an id exists and gives its sku options and
        attributes; its title and price come only from a search hit, so each gold
        is searched by the titles the task requests for it.
        """
        assert self.http is not None
        golds: dict[str, Product] = {}
        for it in rec.items:
            if not self.http.exists(it.product_id):
                return {}, f"gold product {it.product_id} is not on the search server"
            found = self.http.locate(it.product_id, it.title)
            if found is None:
                return {}, (
                    f"gold product {it.product_id}: no search for its requested title finds it, "
                    "so its title and price are unknown"
                )
            golds[it.product_id] = found
        total = rec.voucher.implied_total() if rec.voucher is not None else None
        prices = sum(g.price for g in golds.values())
        if total is not None and abs(prices - total) > 0.05:
            return {}, (
                f"voucher arithmetic: gold prices sum to {prices:.2f}, the voucher implies {total:.2f}"
            )
        return golds, None

    def _locate_http_golds(self, rec: ShoppingRecord) -> None:
        """Fetch a task's gold products (and, in one-shop tasks, shop mates) for mutation."""
        assert self.http is not None
        one_shop = rec.family == "shop" or (
            rec.voucher is not None and rec.voucher.voucher_type == "shop"
        )
        for it in rec.items:
            gold = self.http.locate(it.product_id, it.title)
            if gold is not None and one_shop:
                self.http.find(SearchRequest(q=gold.title, shop_id=gold.shop_id))

    def _web_fact_problem(
        self, query: str, rec: ShoppingRecord, golds: dict[str, Product]
    ) -> str | None:
        """Why a mutated web task's fact cannot be looked up or does not pick its product."""
        assert rec.knowledge is not None and rec.web_product is not None
        gold = golds.get(rec.web_product.product_id) or rec.web_product
        answer = rec.knowledge.strip().lower()
        if answer not in gold.title.lower() and answer not in gold.description.lower():
            return f"the gold product does not name the web fact's answer {rec.knowledge!r}"
        if self.web is self.offline_web:
            known = self.offline_web.answer(query)
            if known is None or known.strip().lower() != answer:
                return "the web search knows no answer to the task's question"
        if answer in query.lower().replace(question_of(query).lower(), "", 1):
            return "the query gives the web fact's answer away"
        return None

    # ---- baselines --------------------------------------------------------------------
    def scripted_policy(self, profile: str) -> ScriptedPolicy:
        return make_policy(profile)

    def skilled_policy(self, profile: str, skill: float) -> ScriptedPolicy:
        """`profile` played at `skill` in [0, 1] (see `policies`; the heuristic agent's skill)."""
        return make_policy(profile, skill)

    def profiles(self) -> list[str]:
        return list(PROFILES)


def _title_measure(choice: object) -> TitleMeasure:
    if choice == "lexical":
        return LEXICAL
    if choice == "embedding":
        from frontier.benchmarks.shoppingbench.embedding import EMBEDDING, check_available

        check_available()  # fail now, naming the option; the model itself loads on first use
        return EMBEDDING
    raise ValueError(
        f"shoppingbench option title_similarity must be 'lexical' or 'embedding', got {choice!r}"
    )
