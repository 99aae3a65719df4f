"""Headlines of visits to companies and plants: weaker evidence of cooperation."""

from __future__ import annotations

import pytest

from classifiers.company_visits import company_visit


@pytest.mark.parametrize(
    "title",
    [
        "Indonesian health delegation tours German medical device maker",
        "卫健委代表团参观日本医疗器械企业",
        "保健省幹部、ドイツの製薬大手工場を視察",
        "식약처장, 미국 제약사 생산시설 방문",
        "Delegasi Kemenkes Kunjungi Pabrik Vaksin di Korea Selatan",
        "Đoàn công tác Bộ Y tế thăm nhà máy sản xuất thuốc tại Nhật Bản",
        "คณะผู้บริหารกระทรวงสาธารณสุขเยี่ยมชมโรงงานผลิตวัคซีนในเกาหลี",
    ],
)
def test_visits_to_companies_and_plants_in_every_main_language(title: str) -> None:
    assert company_visit(title)


@pytest.mark.parametrize(
    "title",
    [
        "Vietnamese health minister visits Japan, meets counterpart",  # a ministry, not a firm
        "Korea, Laos sign MOU on vaccine plant",  # no visit
        "한-베 보건장관회담 개최",
        "Plantation workers screened for malaria",  # "plant" only inside a word
    ],
)
def test_other_headlines_are_not_company_visits(title: str) -> None:
    assert not company_visit(title)
