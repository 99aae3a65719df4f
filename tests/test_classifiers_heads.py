"""Label heads: per-topic document cuts, shared passage and agenda-list cuts, saved and loaded."""

from __future__ import annotations

import numpy as np

from classifiers.heads import (
    NEVER,
    Head,
    TopicCuts,
    TopicEvidence,
    fit_topic_head,
    load_heads,
    save_heads,
    stricter_cut,
    topic_cuts,
    topic_evidence,
)


def evidence(
    document: list[float],
    passage: list[float],
    y: list[int],
    named: list[bool] | None = None,
    listed: list[float] | None = None,
) -> TopicEvidence:
    return TopicEvidence(
        np.array(document, np.float32),
        np.array(passage, np.float32),
        np.array(listed or [0.0] * len(y), np.float32),
        np.array(named or [False] * len(y)),
        np.array(y, np.int8),
    )


def test_passage_cut_is_used_when_bodies_name_what_leads_do_not() -> None:
    # items 0-3 are about the topic: two say so in the lead, two only in a later passage
    e = evidence(
        [0.9, 0.8, 0.2, 0.1, 0.3, 0.2, 0.1, 0.1],
        [0.99, 0.99, 0.995, 0.99, 0.5, 0.6, 0.4, 0.0],
        [1, 1, 1, 1, 0, 0, 0, 0],
    )
    cuts = topic_cuts({"a": e, "b": e})
    assert 0.3 < cuts.document["a"] <= 0.8 and 0.6 < cuts.passage <= 0.99
    assert cuts.listed == NEVER  # no item has a list


def test_passage_cut_is_off_when_passages_only_add_noise() -> None:
    e = evidence(
        [0.9, 0.8, 0.7, 0.1, 0.2, 0.1], [0.5, 0.4, 0.6, 0.999, 0.999, 0.99], [1, 1, 1, 0, 0, 0]
    )
    assert topic_cuts({"a": e}).passage == NEVER


def test_list_cut_is_chosen_after_the_passage_cut_and_only_when_lists_help() -> None:
    # items 2 and 3 name the topic only as an item of an agenda list
    helps = evidence(
        [0.9, 0.8, 0.1, 0.2, 0.1, 0.2],
        [0.0] * 6,
        [1, 1, 1, 1, 0, 0],
        listed=[0, 0, 0.95, 0.97, 0.6, 0],
    )
    noise = evidence(
        [0.9, 0.8, 0.7, 0.1, 0.2, 0.1],
        [0.0] * 6,
        [1, 1, 1, 0, 0, 0],
        listed=[0.5, 0, 0, 0.99, 0.99, 0.98],
    )
    assert 0.6 < topic_cuts({"a": helps}).listed <= 0.95
    assert topic_cuts({"a": noise}).listed == NEVER


def test_named_items_count_as_positives_when_cuts_are_chosen() -> None:
    # two positives are only named: no document cut needs to reach down to them
    e = evidence(
        [0.9, 0.2, 0.2, 0.3, 0.1], [0.0] * 5, [1, 1, 1, 0, 0], [False, True, True, False, False]
    )
    assert 0.3 < topic_cuts({"a": e}).document["a"] <= 0.9


def test_topic_evidence_is_out_of_fold_on_items_only() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int8)
    items = np.arange(60) < 40
    passages = [x[i : i + 1] if items[i] else np.zeros((0, 8), np.float32) for i in range(60)]
    found = topic_evidence(
        x, y, items=items, passages=passages, lists=passages, mentioned=np.zeros(60, bool)
    )
    assert found is not None and len(found.y) == 40
    assert np.mean((found.document >= 0.5) == (found.y == 1)) > 0.85
    assert np.allclose(found.document, found.passage, atol=1e-5)  # the passage is the item
    assert np.allclose(found.document, found.listed, atol=1e-5)


def test_rows_that_choose_cuts_only_are_scored_but_never_fitted() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int8)
    empty = [np.zeros((0, 8), np.float32)] * 60
    # the last 20 rows carry labels that contradict the rest: fitted on, they would drag the
    # folds' predictions for them towards their own labels
    y[40:] = 1 - y[40:]
    kwargs = {"items": np.ones(60, bool), "passages": empty, "lists": empty}
    apart = topic_evidence(
        x, y, mentioned=np.zeros(60, bool), fit_rows=np.arange(60) < 40, **kwargs
    )
    assert apart is not None and len(apart.y) == 60
    # scored by models fitted on the first 40 rows only: they keep predicting the sign of x0
    assert np.mean((apart.document[40:] >= 0.5) == (x[40:, 0] > 0)) > 0.85


def test_too_few_labelled_items_give_no_evidence() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int8)
    empty = [np.zeros((0, 4), np.float32)] * 30  # only topics.toml examples: a new topic
    assert (
        topic_evidence(
            x,
            y,
            items=np.zeros(30, bool),
            passages=empty,
            lists=empty,
            mentioned=np.zeros(30, bool),
        )
        is None
    )


def test_fit_topic_head_keeps_the_chosen_cuts() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int8)
    head = fit_topic_head(x, y, 0.6, TopicCuts({}, 0.97, 0.95))
    assert (head.threshold, head.passage_threshold, head.list_threshold) == (0.6, 0.97, 0.95)
    assert np.mean((head.probability(x) >= 0.5) == (y == 1)) > 0.85


def test_heads_round_trip_with_their_passage_and_list_thresholds() -> None:
    heads = {
        "topic:amr": Head(np.ones(3, np.float32), -0.5, 0.6, 0.85, 0.95),
        "relevant": Head(np.zeros(3, np.float32), 0.1, 0.3),
    }
    loaded = load_heads(save_heads(heads))
    assert loaded["topic:amr"].passage_threshold == np.float32(0.85)
    assert loaded["topic:amr"].list_threshold == np.float32(0.95)
    assert loaded["relevant"].passage_threshold == NEVER
    assert loaded["relevant"].list_threshold == NEVER
    assert loaded["topic:amr"].threshold == np.float32(0.6)


def test_heads_saved_before_agenda_lists_load_with_no_list_cut() -> None:
    import io

    buffer = io.BytesIO()
    np.savez(
        buffer,
        **{"topic:amr.w": np.ones(3, np.float32), "topic:amr.bt": np.array([-0.5, 0.6, 0.85])},
    )
    loaded = load_heads(buffer.getvalue())
    assert loaded["topic:amr"].passage_threshold == np.float32(0.85)
    assert loaded["topic:amr"].list_threshold == NEVER


def test_a_stricter_cut_for_the_weaker_rows_only_when_it_pays() -> None:
    # rows 4-7 name a single party: there the head's 0.5-0.8 are wrong, 0.95 is right
    p = np.array([0.9, 0.6, 0.2, 0.1, 0.95, 0.8, 0.6, 0.55], np.float32)
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0], np.int8)
    weak = np.array([False] * 4 + [True] * 4)
    cut = stricter_cut(p, y, weak, 0.5)
    assert 0.8 < cut <= 0.95
    # when the weak rows are right at the head's own cut, the cut stays there
    y_right = np.array([1, 1, 0, 0, 1, 1, 1, 1], np.int8)
    assert stricter_cut(p, y_right, weak, 0.5) <= 0.55
