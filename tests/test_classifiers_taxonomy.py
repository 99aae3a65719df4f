"""Tests for classifiers.taxonomy: the bundled file and every validation rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from classifiers.errors import ClassifierDataError, TaxonomyError
from classifiers.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy

SPEC_SLUGS = (
    "uhc",
    "digital_health",
    "mental_health",
    "ageing",
    "health_security",
    "amr",
    "ncd",
    "maternal_child",
    "traditional_medicine",
    "health_industry",
    "workforce",
    "health_systems",
)
TARGET_LANGUAGES = ("en", "ko", "zh", "ja", "id", "vi", "th")

LABELS = """\
[relevance]
description = "Health news."
negatives = ["Stock market rises"]
[relevance.examples]
en = ["Hospital opens"]

[cooperation]
description = "Cross-border health cooperation."
[cooperation.examples]
en = ["Korea and Viet Nam sign health MOU"]
"""

TOPIC = """
[[topic]]
slug = "{slug}"
name = "Topic {slug}"
description = "About {slug}."
[topic.examples]
en = ["An example about {slug}"]
"""


def build(*topics: str, labels: str = LABELS) -> str:
    return labels + "".join(topics)


def problems_of(text: str) -> list[str]:
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text, "topics.toml")
    return [str(problem) for problem in info.value.problems]


# -- the bundled file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Taxonomy:
    return load_taxonomy()


def test_bundled_has_the_spec_slugs_in_order(bundled: Taxonomy) -> None:
    assert bundled.slugs == SPEC_SLUGS
    assert len(bundled) == 12


@pytest.mark.parametrize("slug", SPEC_SLUGS)
def test_bundled_topic_has_three_examples_per_target_language(bundled: Taxonomy, slug: str) -> None:
    topic = bundled.get(slug)
    assert topic is not None
    for language in TARGET_LANGUAGES:
        assert len(topic.examples.get(language, ())) >= 3, (slug, language)
    assert len(topic.all_examples) >= 21
    assert topic.name and topic.name_ko and topic.description


def test_bundled_zh_examples_mix_simplified_and_traditional(bundled: Taxonomy) -> None:
    zh = " ".join(text for topic in bundled for text in topic.examples["zh"])
    assert "国" in zh or "医" in zh  # simplified
    assert "醫" in zh or "國" in zh  # traditional


def test_bundled_labels_have_examples_and_negatives(bundled: Taxonomy) -> None:
    for spec in (bundled.relevance, bundled.cooperation):
        for language in TARGET_LANGUAGES:
            assert len(spec.examples[language]) >= 3, (spec.name, language)
        assert len(spec.negatives) >= 5
    assert bundled.relevance.name == "relevance"
    assert bundled.cooperation.name == "cooperation"


def test_bundled_hard_negatives(bundled: Taxonomy) -> None:
    digital = bundled.get("digital_health")
    security = bundled.get("health_security")
    assert digital is not None and security is not None
    assert any("bank" in text.lower() for text in digital.negatives)
    assert any("computer virus" in text.lower() for text in security.negatives)


def test_get_unknown_slug_is_none(bundled: Taxonomy) -> None:
    assert bundled.get("nope") is None


def test_load_from_path(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(build(TOPIC.format(slug="one"), TOPIC.format(slug="two")), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.slugs == ("one", "two")
    topic = taxonomy.get("one")
    assert topic is not None
    assert topic.name_ko == topic.name == "Topic one"  # name_ko defaults to name
    assert dict(topic.examples) == {"en": ("An example about one",)}
    assert taxonomy.relevance.negatives == ("Stock market rises",)


def test_new_topic_needs_no_code_change() -> None:
    extra = TOPIC.format(slug="one_health").replace(
        "[topic.examples]",
        'name_ko = "원헬스"\nnegatives = ["x"]\n[topic.examples]\nko = ["원헬스"]',
    )
    taxonomy = parse_taxonomy(build(extra), "t.toml")
    topic = taxonomy.get("one_health")
    assert topic is not None
    assert topic.name_ko == "원헬스"
    assert topic.examples["ko"] == ("원헬스",)


def test_topic_is_hashable_and_frozen(bundled: Taxonomy) -> None:
    topic = bundled.topics[0]
    hash(topic)
    with pytest.raises(AttributeError):
        topic.slug = "x"  # type: ignore[misc]


def test_whitespace_in_texts_is_normalised() -> None:
    text = build(TOPIC.format(slug="a")).replace('"An example about a"', '"  two\\n  words "')
    text = text.replace('"About a."', '"""\nline one\nline two"""')
    topic = parse_taxonomy(text, "t.toml").topics[0]
    assert topic.examples["en"] == ("two words",)
    assert topic.description == "line one line two"


def test_negatives_may_be_per_language() -> None:
    text = build(TOPIC.format(slug="a")).replace(
        "[topic.examples]", '[topic.negatives]\nen = ["no"]\nko = ["아니"]\n[topic.examples]'
    )
    assert parse_taxonomy(text, "t").topics[0].negatives == ("no", "아니")


# -- the rules ----------------------------------------------------------------------------


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(build(TOPIC.format(slug="a")) + "\nslug = = 3\n", encoding="utf-8")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert str(path) in message
    assert "TOML syntax error" in message
    line = len(build(TOPIC.format(slug="a")).splitlines()) + 2
    assert f":{line}:" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.toml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TaxonomyError, match="UTF-8"):
        load_taxonomy(path)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        parse_taxonomy("x = 1", "t")
    assert issubclass(TaxonomyError, ClassifierDataError)


def test_duplicate_slug_names_both_lines() -> None:
    text = build(TOPIC.format(slug="uhc"), TOPIC.format(slug="uhc"))
    lines = text.splitlines()
    first = lines.index('slug = "uhc"') + 1
    second = lines.index('slug = "uhc"', first) + 1
    assert problems_of(text) == [
        f"topics.toml:{second}: topic 'uhc': duplicate slug (first defined at line {first})"
    ]


@pytest.mark.parametrize("slug", ["Digital", "1abc", "digital-health", "", "a b", "é"])
def test_bad_slug(slug: str) -> None:
    text = build(TOPIC.format(slug=slug))
    (problem,) = problems_of(text)
    line = text.splitlines().index(f'slug = "{slug}"') + 1
    assert problem.startswith(f"topics.toml:{line}: ")
    assert "bad slug" in problem


def test_slug_not_a_string() -> None:
    text = build(TOPIC.format(slug="a").replace('slug = "a"', "slug = 3"))
    assert "bad slug 3" in problems_of(text)[0]


def test_missing_slug_points_at_topic_header() -> None:
    text = build(TOPIC.format(slug="a").replace('slug = "a"\n', ""))
    line = text.splitlines().index("[[topic]]") + 1
    assert problems_of(text) == [f"topics.toml:{line}: topic #1: missing 'slug'"]


def test_missing_description() -> None:
    text = build(TOPIC.format(slug="a").replace('description = "About a."\n', ""))
    (problem,) = problems_of(text)
    assert "topic 'a': missing 'description'" in problem


def test_empty_description_names_its_line() -> None:
    text = build(TOPIC.format(slug="a").replace('"About a."', '"   "'))
    line = text.splitlines().index('description = "   "') + 1
    assert problems_of(text) == [f"topics.toml:{line}: topic 'a': 'description' is empty"]


def test_missing_name() -> None:
    text = build(TOPIC.format(slug="a").replace('name = "Topic a"\n', ""))
    assert "topic 'a': missing 'name'" in problems_of(text)[0]


def test_unknown_key_names_its_line() -> None:
    text = build(TOPIC.format(slug="a").replace('name = "Topic a"', 'name = "A"\nlabel = "x"'))
    line = text.splitlines().index('label = "x"') + 1
    (problem,) = problems_of(text)
    assert problem.startswith(f"topics.toml:{line}: topic 'a': unknown key 'label'")
    assert "expected one of" in problem


def test_unknown_top_level_table() -> None:
    text = build(TOPIC.format(slug="a")) + '\n[[topics]]\nslug = "b"\n'
    line = text.splitlines().index("[[topics]]") + 1
    assert problems_of(text)[0].startswith(f"topics.toml:{line}: unknown top-level key 'topics'")


def test_unknown_key_in_label_table() -> None:
    text = build(TOPIC.format(slug="a")).replace(
        'description = "Health news."', 'description = "Health news."\nthreshold = 0.5'
    )
    line = text.splitlines().index("threshold = 0.5") + 1
    assert problems_of(text)[0].startswith(f"topics.toml:{line}: [relevance]: unknown key")


def test_missing_label_table() -> None:
    labels = LABELS.split("[cooperation]")[0]
    assert "missing [cooperation] table" in problems_of(build(labels=labels))[0]


def test_no_examples_at_all() -> None:
    topic = TOPIC.format(slug="a").split("[topic.examples]")[0]
    line = build(topic).splitlines().index("[[topic]]") + 1
    assert problems_of(build(topic)) == [
        f"topics.toml:{line}: topic 'a': no examples: add an [examples] table of language "
        "-> list of sentences"
    ]


def test_all_example_lists_empty() -> None:
    text = build(TOPIC.format(slug="a").replace('en = ["An example about a"]', "en = []"))
    assert "no examples: every list is empty" in problems_of(text)[0]


def test_examples_not_a_table() -> None:
    topic = TOPIC.format(slug="a").replace(
        '[topic.examples]\nen = ["An example about a"]', 'examples = ["a", "b"]'
    )
    text = build(topic)
    line = text.splitlines().index('examples = ["a", "b"]') + 1
    (problem,) = problems_of(text)
    assert problem.startswith(f"topics.toml:{line}: topic 'a': 'examples' must be a table")


def test_examples_value_not_a_list() -> None:
    text = build(TOPIC.format(slug="a").replace('en = ["An example about a"]', 'en = "one"'))
    line = text.splitlines().index('en = "one"') + 1
    assert problems_of(text) == [
        f"topics.toml:{line}: topic 'a': examples.en must be a list of strings"
    ]


def test_examples_item_not_a_string() -> None:
    text = build(TOPIC.format(slug="a").replace('["An example about a"]', '["ok", 3]'))
    assert "examples.en[2] must be a string, not 3" in problems_of(text)[0]


def test_examples_bad_language_key() -> None:
    text = build(TOPIC.format(slug="a").replace("en = [", "English = ["))
    assert "'English' is not a language code" in problems_of(text)[0]


def test_examples_as_dotted_keys_locate_line() -> None:
    topic = TOPIC.format(slug="a").replace(
        '[topic.examples]\nen = ["An example about a"]', 'examples.en = "x"'
    )
    text = build(topic)
    line = text.splitlines().index('examples.en = "x"') + 1
    assert problems_of(text)[0].startswith(f"topics.toml:{line}: ")


def test_negatives_must_be_strings() -> None:
    text = build(TOPIC.format(slug="a").replace('name = "Topic a"', 'name = "A"\nnegatives = [1]'))
    assert "negatives[1] must be a string" in problems_of(text)[0]


def test_topic_must_be_array_of_tables() -> None:
    text = build(labels='topic = "x"\n' + LABELS)
    assert "'topic' must be an array of tables" in problems_of(text)[0]


def test_all_problems_reported_at_once() -> None:
    bad_one = TOPIC.format(slug="Bad").replace('name = "Topic Bad"', 'name = "x"\ncolour = 1')
    bad_two = TOPIC.format(slug="b").replace('description = "About b."\n', "")
    good = TOPIC.format(slug="c")
    problems = problems_of(build(bad_one, bad_two, good, TOPIC.format(slug="c")))
    joined = "\n".join(problems)
    assert len(problems) == 4, joined
    assert "bad slug 'Bad'" in joined
    assert "unknown key 'colour'" in joined
    assert "topic 'b': missing 'description'" in joined
    assert "topic 'c': duplicate slug" in joined


def test_message_lists_every_problem() -> None:
    text = build(TOPIC.format(slug="A"), TOPIC.format(slug="B"))
    with pytest.raises(TaxonomyError) as info:
        parse_taxonomy(text, "my/topics.toml")
    message = str(info.value)
    assert message.startswith("my/topics.toml: 2 problems:")
    assert "'A'" in message and "'B'" in message


def test_bundled_file_text_round_trips() -> None:
    path = Path(__file__).resolve().parents[1] / "classifiers" / "topics.toml"
    taxonomy = parse_taxonomy(path.read_text(encoding="utf-8"), str(path))
    assert taxonomy.slugs == SPEC_SLUGS


def test_zero_topics_is_allowed() -> None:
    assert parse_taxonomy(textwrap.dedent(LABELS), "t").topics == ()


# -- names: what names a topic outright ---------------------------------------------------


def test_names_are_read_per_language() -> None:
    topic = TOPIC.format(slug="amr").replace(
        "[topic.examples]",
        '[topic.names]\nen = ["antimicrobial resistance", "AMR"]\nja = ["薬剤耐性"]\n'
        "[topic.examples]",
    )
    amr = parse_taxonomy(build(topic), "topics.toml").topics[0]
    assert amr.names["ja"] == ("薬剤耐性",)
    assert amr.all_names == ("antimicrobial resistance", "AMR", "薬剤耐性")


def test_names_are_optional() -> None:
    assert parse_taxonomy(build(TOPIC.format(slug="amr")), "topics.toml").topics[0].names == {}


def test_too_short_name_names_its_line() -> None:
    topic = TOPIC.format(slug="amr").replace(
        "[topic.examples]", '[topic.names]\nen = ["AMR", "A"]\n[topic.examples]'
    )
    text = build(topic)
    line = text.splitlines().index('en = ["AMR", "A"]') + 1
    assert problems_of(text) == [
        f"topics.toml:{line}: topic 'amr': names.en[2] 'A' is too short to name a topic "
        "(at least 2 characters)"
    ]


def test_names_of_the_wrong_shape() -> None:
    topic = TOPIC.format(slug="amr").replace(
        "[topic.examples]", '[topic.names]\nko = "항생제 내성"\n[topic.examples]'
    )
    text = build(topic)
    line = text.splitlines().index('ko = "항생제 내성"') + 1
    assert problems_of(text) == [
        f"topics.toml:{line}: topic 'amr': names.ko must be a list of strings"
    ]


def test_bundled_topics_are_named_in_every_target_language(bundled: Taxonomy) -> None:
    for topic in bundled.topics:
        assert set(TARGET_LANGUAGES) <= set(topic.names), topic.slug
