"""monitor.filters: one filter model for subscriptions and digests."""

from __future__ import annotations

import pytest

from classifiers.base import Labels
from monitor.filters import Filter


def labels(**kw: object) -> Labels:
    base: dict[str, object] = {
        "language": "ko",
        "relevant": True,
        "cooperation": True,
        "topics": ("digital_health", "uhc"),
        "countries": ("KR", "ID"),
        "summary": "한국과 인도네시아가 원격의료 협력에 합의했다.",
    }
    base.update(kw)
    return Labels(**base)  # type: ignore[arg-type]


def test_the_default_filter_takes_relevant_cooperation_only() -> None:
    assert Filter().matches(labels(), title="t")
    assert not Filter().matches(labels(cooperation=False), title="t")
    assert not Filter().matches(labels(relevant=False), title="t")
    assert Filter(cooperation_only=False).matches(labels(cooperation=False), title="t")
    assert not Filter(cooperation_only=False).matches(labels(relevant=False), title="t")


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter(topics=frozenset({"uhc"})), True),
        (Filter(topics=frozenset({"amr"})), False),
        (Filter(countries=frozenset({"ID", "VN"})), True),
        (Filter(countries=frozenset({"VN"})), False),
        (Filter(languages=frozenset({"ko"})), True),
        (Filter(languages=frozenset({"en"})), False),
        (Filter(keywords=("원격의료",)), True),
        (Filter(keywords=("TELEMEDICINE",)), True),  # case-folded, found in the text
        (Filter(keywords=("dengue",)), False),
        (Filter(topics=frozenset({"uhc"}), countries=frozenset({"VN"})), False),
    ],
)
def test_each_dimension_narrows(flt: Filter, expected: bool) -> None:
    assert flt.matches(labels(), title="Korea, Indonesia", text="telemedicine pilot") is expected


def test_json_round_trip() -> None:
    flt = Filter(
        topics=frozenset({"amr", "uhc"}),
        countries=frozenset({"KR"}),
        languages=frozenset({"th"}),
        keywords=("원격의료", "AI"),
        cooperation_only=False,
    )
    assert Filter.from_json(flt.to_json()) == flt
    assert Filter.from_json({}) == Filter()
