"""The embedded default backend end to end: the real model, the shipped heads, real text."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from classifiers.base import Document
from classifiers.e5_encoder import E5Encoder
from classifiers.embedding import MAX_CHARS, EmbeddingClassifier
from classifiers.taxonomy import load_taxonomy, parse_taxonomy
from classifiers.vector_cache import BUNDLED_DIR

SEED_ITEMS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "seed_items.jsonl")
    .read_text("utf-8")
    .splitlines()
]


# The seed-like stories, written for the tests (in no training or evaluation file):
# China-Japan-Korea ministers on AI, UHC, mental health and ageing; Korea-ASEAN on digital
# health and AMR; the Korea-Indonesia AI teleconsultation MOU; each in the seven languages.
SEED_TOPICS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "seed_topics.jsonl")
    .read_text("utf-8")
    .splitlines()
]


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    return E5Encoder()


@pytest.fixture(scope="module")
def classifier(encoder: E5Encoder, tmp_path_factory: pytest.TempPathFactory) -> EmbeddingClassifier:
    return EmbeddingClassifier(encoder, cache_dir=tmp_path_factory.mktemp("models"))


def test_shipped_heads_match_the_shipped_data(classifier: EmbeddingClassifier) -> None:
    """After editing train.jsonl or topics.toml, run `python -m classifiers.embedding`."""
    assert (BUNDLED_DIR / f"heads-{classifier.digest}.npz").exists()


@pytest.mark.parametrize("seed", SEED_ITEMS, ids=[s["id"] for s in SEED_ITEMS])
def test_seed_cooperation_items_in_every_language(
    classifier: EmbeddingClassifier, seed: dict[str, object]
) -> None:
    [labels] = classifier.classify(
        [Document(str(seed["id"]), str(seed["title"]), str(seed["text"]))]
    )
    assert labels.language == seed["language"]
    assert labels.relevant and labels.cooperation, labels
    assert set(labels.topics) & set(seed["topics"]), labels.topics  # type: ignore[arg-type]
    assert set(seed["countries"]) <= set(labels.countries), labels.countries  # type: ignore[arg-type]
    assert 0 < len(labels.summary) <= 300


@pytest.mark.parametrize("seed", SEED_TOPICS, ids=[s["id"] for s in SEED_TOPICS])
def test_seed_stories_get_every_one_of_their_topics(
    classifier: EmbeddingClassifier, seed: dict[str, object]
) -> None:
    [labels] = classifier.classify(
        [Document(str(seed["id"]), str(seed["title"]), str(seed["text"]))]
    )
    assert labels.language == seed["language"]
    assert labels.relevant and labels.cooperation, labels
    assert set(seed["topics"]) <= set(labels.topics), labels.topic_scores  # type: ignore[arg-type]


COURTESY_CALLS = [
    (
        "Health minister receives courtesy call from new ambassador of Peru",
        "The Minister of Health received the newly appointed Ambassador of Peru at the "
        "ministry on Thursday. The two sides reaffirmed the friendship between their countries "
        "and agreed to keep in close contact to deepen cooperation in the health sector.",
    ),
    (
        "보건복지부 장관, 주한 페루대사 접견",
        "보건복지부 장관은 신임 주한 페루대사를 접견하고 양국 간 우호 관계를 확인했다. "
        "양측은 보건 분야 협력을 더욱 발전시키기 위해 긴밀히 소통하기로 했다.",
    ),
]


@pytest.mark.parametrize(("title", "text"), COURTESY_CALLS)
def test_a_courtesy_call_names_no_specific_topic(
    classifier: EmbeddingClassifier, title: str, text: str
) -> None:
    """No forced best guess: cooperation that names no area gets no topic."""
    [labels] = classifier.classify([Document("c", title, text)])
    assert labels.relevant and labels.cooperation
    assert labels.topics == (), labels.topic_scores


def test_a_topic_named_only_at_the_end_of_a_long_text_counts(
    classifier: EmbeddingClassifier,
) -> None:
    title = "Viet Nam, Japan health ministers meet in Hanoi"
    body = (
        "The health ministers of Viet Nam and Japan met in Hanoi on Tuesday and reviewed the "
        "cooperation between the two ministries over the past year. The two sides praised the "
        "close relations between the two countries and their peoples. The Vietnamese minister "
        "thanked Japan for its support over many years. The Japanese minister said his country "
        "would remain a reliable partner. Both ministers noted that next year marks an "
        "important anniversary of diplomatic relations. They agreed that officials of the two "
        "ministries would meet regularly to follow up. The meeting was held in a warm and "
        "friendly atmosphere, the ministry said in a statement. The delegation later visited a "
        "hospital in the capital and met its director."
    )
    body += (
        " The talks covered the schedule of visits for the coming year. Officials from both "
        "sides exchanged information on the organisation of their ministries. The Japanese "
        "side presented the work of its embassy in Hanoi. The two ministers posed for photos "
        "after the meeting. They also exchanged gifts and attended a lunch hosted by the "
        "Vietnamese side."
    )
    # named outright ("maternal and child health"): past the lead, a name counts wherever it
    # is; a sentence that only describes the area would need the passage cut, which is fitted
    # (off with the n-grams: on long news-shaped items lower cuts took background mentions)
    last = (
        "Under the new plan, Japan will support maternal and child health: it will help train "
        "midwives and cut deaths among mothers and newborn babies in remote mountain provinces."
    )
    with_it, without = classifier.classify(
        [Document("a", title, f"{body}\n{last}"), Document("b", title, body)]
    )
    assert len(body) > MAX_CHARS  # the last paragraph is past what the document vector sees
    assert "maternal_child" in with_it.topics, with_it.topic_scores
    assert "maternal_child" not in without.topics


def test_items_for_cooperation_contrasts_teach_no_topic() -> None:
    from classifiers.embedding import COOPERATION, TOPIC, _rows
    from classifiers.gold import GoldItem
    from classifiers.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    item = GoldItem("c", "en", "Ministry to propose vaccine hub", "...", True, False, ("amr",), ())
    every = {origin: known for _, known, origin in _rows([item], taxonomy)}
    contrast = replace(item, use="cooperation")
    only = {origin: known for _, known, origin in _rows([contrast], taxonomy)}
    assert every["c"][TOPIC + "amr"] == 1
    assert only["c"][COOPERATION] == 0 and not any(k.startswith(TOPIC) for k in only["c"])


def test_each_area_of_a_numbered_work_plan_is_read_on_its_own(
    classifier: EmbeddingClassifier,
) -> None:
    """The lead's vector blurs a five-point plan into its strongest areas; the listed items,
    scored one by one against their own cut, keep the others."""
    title = "Cambodia, Japan hold annual health policy dialogue in Phnom Penh"
    opening = (
        "PHNOM PENH -- Senior officials of the health ministries of Cambodia and Japan held "
        "their annual policy dialogue in Phnom Penh on Thursday, the tenth since the two "
        "countries began the meetings. The Cambodian side thanked Japan for decades of support "
        "and both delegations praised the friendly relations between the two peoples. After "
        "reviewing the past year, the two sides agreed on next year's work plan, which covers "
    )
    plan = (
        "(1) the national health insurance fund and fees for the poor, (2) training of "
        "midwives in rural districts, (3) control of tuberculosis and dengue, (4) supply of "
        "X-ray machines and ambulances to provincial referral hospitals and (5) salt reduction "
        "and screening for diabetes."
    )
    without_3_and_4 = (
        "(1) the national health insurance fund and fees for the poor, (2) training of "
        "midwives in rural districts and (5) salt reduction and screening for diabetes."
    )
    listed, control = classifier.classify(
        [Document("a", title, opening + plan), Document("b", title, opening + without_3_and_4)]
    )
    assert {"uhc", "ncd", "health_security", "health_systems"} <= set(listed.topics), listed
    assert not {"health_security", "health_systems"} & set(control.topics), control.topics


def test_a_delegation_touring_a_foreign_plant_is_cooperation_only_when_it_signs(
    classifier: EmbeddingClassifier,
) -> None:
    tour, deal = classifier.classify(
        [
            Document(
                "tour",
                "Health ministry delegation tours vaccine maker in Germany",
                "BERLIN -- A delegation of the Indonesian health ministry toured the plant of a "
                "German vaccine maker on Tuesday and learned about its production lines.",
            ),
            Document(
                "deal",
                "Health ministry delegation tours vaccine maker in Germany, signs MOU",
                "BERLIN -- A delegation of the Indonesian health ministry toured the plant of a "
                "German vaccine maker on Tuesday and signed a memorandum of understanding with "
                "the German government on technology transfer for vaccine production.",
            ),
        ]
    )
    assert tour.relevant and not tour.cooperation, tour.cooperation_score
    assert deal.relevant and deal.cooperation, deal.cooperation_score


def test_ransomware_on_government_data_is_not_health_news(
    classifier: EmbeddingClassifier,
) -> None:
    """The demo's own trap (monitor/demo_feeds/kemkes-id.xml): a computer virus, not a virus."""
    [labels] = classifier.classify(
        [
            Document(
                "r",
                "Serangan Virus Komputer Ganggu Layanan Data Pemerintah",
                "Badan Siber dan Sandi Negara menyelidiki serangan virus komputer jenis "
                "ransomware yang mengganggu pusat data pemerintah.",
            )
        ]
    )
    assert not labels.relevant and labels.topics == ()


HARD_NEGATIVES = [
    (
        "Korea, Indonesia sign trade pact on EV batteries and nickel",
        "The two countries signed a "
        "comprehensive economic partnership covering battery supply chains and nickel processing.",
    ),
    (
        "한국·인도네시아, 방산 협력 강화…잠수함 공동개발 합의",
        "양국 국방부는 잠수함 공동개발과 방산 기술 이전을 위한 협정을 체결했다.",
    ),
    (
        "Bank Mandiri terapkan kecerdasan buatan untuk deteksi penipuan kartu kredit",
        "Bank BUMN itu memakai model AI untuk memantau jutaan transaksi setiap hari.",
    ),
    (
        "新型勒索病毒攻击多家企业服务器",
        "网络安全公司提醒，这种计算机病毒通过钓鱼邮件传播，已造成多家企业数据被加密。",
    ),
    (
        "Già hóa dân số gây áp lực lên quỹ hưu trí",
        "Tỷ lệ người lao động đóng bảo hiểm xã hội trên "
        "mỗi người hưởng lương hưu đang giảm nhanh, theo báo cáo của Bộ Tài chính.",
    ),
    (
        "日中韓首脳、半導体サプライチェーンで協力確認",
        "3カ国の首脳は経済安全保障と貿易の円滑化で一致した。",
    ),
]


@pytest.mark.parametrize(("title", "text"), HARD_NEGATIVES)
def test_hard_negatives_are_not_health_cooperation(
    classifier: EmbeddingClassifier, title: str, text: str
) -> None:
    [labels] = classifier.classify([Document("n", title, text)])
    assert not labels.cooperation
    assert not labels.relevant
    assert labels.topics == ()


DOMESTIC = [
    (
        "보건복지부, 치매 국가책임제 강화…장기요양 서비스 확대",
        "정부는 치매 환자 가족의 돌봄 부담을 줄이기 위해 "
        "장기요양보험 재가 서비스를 확대한다고 밝혔다.",
    ),
    (
        "BPJS Kesehatan perluas layanan cuci darah di puskesmas",
        "Pasien gagal ginjal kini bisa menjalani hemodialisis lebih dekat dari rumah.",
    ),
    (
        "厚労省、自殺対策の新大綱を決定 若者の相談窓口を拡充",
        "政府は若年層の自殺者数の増加を受け、SNS相談の体制を強化する。",
    ),
]


# the text names one party (the stricter cooperation cut); the rule does not catch every
# such item yet (docs/classifier-quality.md, "What remains")
ONE_COUNTRY_OR_NOT_AGREED = [
    (
        "Ministry of Health and Ministry of Finance sign memorandum on hospital budgets",
        "The two ministries agreed to review how public hospitals are funded next year.",
    ),
]


@pytest.mark.parametrize(("title", "text"), ONE_COUNTRY_OR_NOT_AGREED)
def test_one_country_memoranda_and_unagreed_plans_are_not_cooperation(
    classifier: EmbeddingClassifier, title: str, text: str
) -> None:
    [labels] = classifier.classify([Document("d", title, text)])
    assert labels.relevant and not labels.cooperation


@pytest.mark.parametrize(("title", "text"), DOMESTIC)
def test_domestic_health_news_is_relevant_but_not_cooperation(
    classifier: EmbeddingClassifier, title: str, text: str
) -> None:
    [labels] = classifier.classify([Document("d", title, text)])
    assert labels.relevant and not labels.cooperation
    assert labels.topics


def test_bad_input_never_breaks_a_batch(classifier: EmbeddingClassifier) -> None:
    docs = [
        Document("empty", "", ""),
        Document("title-only", "WHO warns of dengue surge in Southeast Asia", ""),
        Document("huge", "보건 협력", "한국과 베트남은 보건 협력을 강화한다. " * 40_000),  # ~1 MB
        Document("junk", "\x00\x01\ufffd\x7f", bytes(range(256)).decode("latin-1") * 20),
        Document(
            "mixed", "Korea–Vietnam 보건 협력 MOU", "Hai nước ký kết hợp tác y tế về bệnh lao."
        ),
    ]
    labels = {d.id: lab for d, lab in zip(docs, classifier.classify(docs), strict=True)}
    assert not labels["empty"].relevant and labels["empty"].summary == ""
    assert labels["title-only"].relevant and labels["title-only"].summary
    assert labels["huge"].language == "ko" and 0 < len(labels["huge"].summary) <= 300
    assert not labels["junk"].relevant
    assert labels["mixed"].countries[:2] in (("KR", "VN"), ("VN", "KR"))
    assert classifier.classify([]) == []


def test_labels_are_deterministic(classifier: EmbeddingClassifier) -> None:
    doc = Document("x", SEED_ITEMS[0]["title"], SEED_ITEMS[0]["text"])
    assert classifier.classify([doc]) == classifier.classify([doc])


def test_an_added_topic_works_without_code_changes(encoder: E5Encoder, tmp_path: Path) -> None:
    """An operator adds [[topic]] oral_health to topics.toml: it gets a head of its own."""
    source = (Path(load_taxonomy.__code__.co_filename).parent / "topics.toml").read_text("utf-8")
    examples = {
        "en": [
            "Free dental check-ups for schoolchildren",
            "Fluoride varnish programme cuts tooth decay",
            "Dentists warn of gum disease among older adults",
        ],
        "ko": [
            "어린이 불소 도포 사업 확대",
            "노인 틀니 건강보험 적용 확대",
            "치과 주치의 시범사업 시작",
        ],
        "zh": ["儿童口腔健康检查免费开展", "牙周病防治宣传周启动", "窝沟封闭项目覆盖全市小学"],
        "ja": ["歯科検診の無料化を拡大", "虫歯予防のフッ化物洗口を推進", "高齢者の口腔ケアを強化"],
        "id": [
            "Pemeriksaan gigi gratis untuk anak sekolah",
            "Kampanye sikat gigi dengan fluorida",
            "Dokter gigi ingatkan bahaya penyakit gusi",
        ],
        "vi": [
            "Khám răng miệng miễn phí cho học sinh",
            "Chương trình trám bít hố rãnh răng",
            "Bác sĩ cảnh báo bệnh nha chu ở người cao tuổi",
        ],
        "th": [
            "ตรวจฟันฟรีให้นักเรียนประถม",
            "รณรงค์แปรงฟันด้วยยาสีฟันผสมฟลูออไรด์",
            "ทันตแพทย์เตือนโรคเหงือกในผู้สูงอายุ",
        ],
    }
    table = "\n".join(
        f"{lang} = {json.dumps(texts, ensure_ascii=False)}" for lang, texts in examples.items()
    )
    added = (
        f'{source}\n\n[[topic]]\nslug = "oral_health"\nname = "Oral health"\n'
        f'description = "Oral and dental health: tooth decay, gum disease, dental care."\n'
        f"[topic.examples]\n{table}\n"
    )
    taxonomy = parse_taxonomy(added, "topics.toml")
    classifier = EmbeddingClassifier(encoder, taxonomy=taxonomy, cache_dir=tmp_path)
    [labels] = classifier.classify(
        [
            Document(
                "o", "Ministry expands free dental sealants for children to prevent tooth decay", ""
            )
        ]
    )
    assert "oral_health" in labels.topic_scores
    assert labels.topics[0] == "oral_health"
    assert classifier.model_id != EmbeddingClassifier(encoder, cache_dir=tmp_path).model_id


# Quality floors on the held-out dev split (the README's targets; the figures themselves
# are printed by `monitor eval`). A change that loses quality fails here, not in production.
MAIN_LANGUAGES = ("en", "ko", "zh", "ja", "id", "vi", "th")
TARGETS = {"relevant": 0.92, "cooperation": 0.88, "topics": 0.80, "countries": 0.92}


def test_dev_split_meets_the_targets_in_every_main_language(
    classifier: EmbeddingClassifier,
) -> None:
    from classifiers.evaluate import ALL, evaluate
    from classifiers.gold import DEV_FILE, load_gold

    report = evaluate(load_gold(DEV_FILE), classifier)

    misses = [
        f"{label} {language}: {report.counts[(label, language)].f1:.3f} < {target}"
        for language in (*MAIN_LANGUAGES, ALL)
        for label, target in TARGETS.items()
        if report.counts[(label, language)].f1 < target
    ]
    misses += [
        f"language {language}: {report.language_accuracy(language):.3f}"
        for language in (*MAIN_LANGUAGES, ALL)
        if report.language_accuracy(language) < 0.98
    ]
    assert not misses


def test_headlines_alone_are_understood(classifier: EmbeddingClassifier) -> None:
    """Many feeds carry only headlines: relevance and cooperation must hold up without text."""
    from dataclasses import replace

    from classifiers.evaluate import ALL, evaluate
    from classifiers.gold import DEV_FILE, load_gold

    headlines = [replace(g, text="") for g in load_gold(DEV_FILE)]

    report = evaluate(headlines, classifier)

    # full texts score 0.99 and 0.96; heads trained without headline rows reached 0.96 and 0.92;
    # with the meeting-opening items (cooperation, headlines such as "... opens in Geneva")
    # cooperation on headlines went from 0.94 to 0.93 (0.928: three domestic "... opens" titles)
    assert report.counts[("relevant", ALL)].f1 >= 0.97
    assert report.counts[("cooperation", ALL)].f1 >= 0.925


# today 0.93 / 0.92 / 90 % / 100 %; the floors leave room for another CPU's vectors
HELDOUT_TOPIC_TARGETS = {"micro": 0.88, "macro": 0.85, "two or more kept": 0.80, "none kept": 0.90}
# the news-shaped split (issue #21): today topics 0.933, cooperation 0.984, 85 % and 100 %,
# health_systems the weakest topic at 0.80 (docs/classifier-quality.md), which meet the
# issue's targets (0.92, 0.97, 85 %, every topic 0.80); the floors are the targets, with one
# item of room where a figure sits on its target, for another CPU's vectors
HELDOUT_NEWS_FLOORS = {
    "topics micro": 0.92,
    "cooperation": 0.97,
    "two or more kept": 0.83,
    "none kept": 0.95,
    "weakest topic": 0.77,
}


def test_news_shaped_split_keeps_its_floors(classifier: EmbeddingClassifier) -> None:
    """The split written like published news: agenda lists, bare headlines, proposals,
    domestic memoranda, company visits and another country's domestic news."""
    from classifiers.evaluate import ALL, TOPIC, evaluate
    from classifiers.gold import HELDOUT_NEWS_FILE, load_gold

    report = evaluate(load_gold(HELDOUT_NEWS_FILE), classifier)

    multi, multi_total = report.multi_topic_rate()
    none, none_total = report.no_topic_rate()
    figures = {
        "topics micro": report.counts[("topics", ALL)].f1,
        "cooperation": report.counts[("cooperation", ALL)].f1,
        "two or more kept": multi / multi_total,
        "none kept": none / none_total,
        "weakest topic": min(report.counts[(TOPIC + s, ALL)].f1 for s in report.topics()),
    }
    assert not [
        f"{k}: {figures[k]:.3f} < {v}" for k, v in HELDOUT_NEWS_FLOORS.items() if figures[k] < v
    ]


def test_heldout_split_meets_the_targets(classifier: EmbeddingClassifier) -> None:
    """The real-shaped held-out split (never fitted on): topic targets overall, the other
    labels' targets in every main language."""
    from classifiers.evaluate import ALL, evaluate
    from classifiers.gold import HELDOUT_FILE, load_gold

    report = evaluate(load_gold(HELDOUT_FILE), classifier)

    multi, multi_total = report.multi_topic_rate()
    none, none_total = report.no_topic_rate()
    figures = {
        "micro": report.counts[("topics", ALL)].f1,
        "macro": report.topic_macro_f1(),
        "two or more kept": multi / multi_total,
        "none kept": none / none_total,
    }
    misses = [
        f"topics {name}: {figures[name]:.3f} < {target}"
        for name, target in HELDOUT_TOPIC_TARGETS.items()
        if figures[name] < target
    ]
    misses += [
        f"{label} {language}: {report.counts[(label, language)].f1:.3f} < {target}"
        for language in (*MAIN_LANGUAGES, ALL)
        for label, target in TARGETS.items()
        if label != "topics" and report.counts[(label, language)].f1 < target
    ]
    misses += [
        f"language {language}: {report.language_accuracy(language):.3f}"
        for language in (*MAIN_LANGUAGES, ALL)
        if report.language_accuracy(language) < 0.98
    ]
    assert not misses


def test_an_item_sure_to_be_specific_takes_its_best_topic_near_the_cut() -> None:
    from classifiers.embedding import NEAR_CUT, _topics

    near = {"health_security": NEAR_CUT + 0.05, "amr": NEAR_CUT - 0.1, "ncd": 0.02}
    assert _topics(near, specific=True) == ("health_security",)
    # a courtesy call or framework MOU (the unspecific head unsure) keeps no topic
    assert _topics(near, specific=False) == ()
    # nothing near its cut: no forced best guess
    far = {"health_security": NEAR_CUT - 0.01, "amr": 0.1}
    assert _topics(far, specific=True) == ()
    # a topic that passes decides alone
    passing = {"health_security": 0.7, "amr": 0.45}
    assert _topics(passing, specific=True) == ("health_security",)


def test_a_bare_headline_about_one_subject_gets_its_topic(
    classifier: EmbeddingClassifier,
) -> None:
    """The headline scores under the cut of its one topic (cuts chosen on items with several)
    but the unspecific head is sure it is about something specific."""
    headline = "Indonesia's health ministry opens new cardiac centre in Makassar"
    [labels] = classifier.classify([Document("d", headline, "")])
    assert labels.relevant
    assert labels.topic_scores["health_systems"] < 0.5
    assert "health_systems" in labels.topics, labels.topic_scores
