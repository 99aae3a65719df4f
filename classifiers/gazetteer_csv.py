"""gazetteer.csv: its rows read and checked, every problem with its line (pure but for reading).

gazetteer.csv has one alias per row, ``code,lang,name``:

- ``code`` is an alpha-2 code, several joined by ``+`` for a combined form that names
  more than one country (``한중일`` -> ``KR+CN+JP``), or ``-`` for a *stop phrase*: text
  that looks like a country name but is not one (``Indian Ocean``, ``发展中国家``
  "developing countries", ``Japanese encephalitis``). A stop phrase is matched like any
  alias and then ignored, so the shorter name inside it is not found either.
- ``lang`` is the ISO 639-1 code of the alias (``*`` when it is language-neutral). A
  plain code only documents the row: the alias is matched in text of any language.
  With ``!`` appended (``vi!``) the row is *local*: it is used only when the caller says
  the text is in that language, because only there is the name unmistakable. In a
  Vietnamese text ``Bộ Y tế`` (the Ministry of Health) is Viet Nam's, in a Korean one
  ``정부`` (the government) is Korea's, in an Indonesian one ``Papua`` is the province.
  A name may have one plain row and one local row per language, with different codes:
  the local row wins in its language (``-,vi!,Lao``: in Vietnamese "lao" is
  tuberculosis or labour, never Laos).
- ``name`` is matched exactly, case-sensitively (``Chile`` is not ``chili``, ``ROK``
  must be upper case). Latin-script names of four letters or more also match in ALL
  CAPS, apostrophes match in both ``'`` and ``’`` forms, and names written in lower case
  (``nước Anh``) also match with a capital first letter.

Matching the rows in text is `classifiers.gazetteer`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from classifiers.errors import GazetteerError, Problem

BUNDLED_NAME = "gazetteer.csv"
HEADER = ("code", "lang", "name")
STOP = "-"
LOCAL_MARK = "!"
CODE_RE = re.compile(r"^[A-Z]{2}(\+[A-Z]{2})*$")
LANG_RE = re.compile(r"^([a-z]{2,3}!?|\*)$")


@dataclass(frozen=True)
class Alias:
    """One row of the gazetteer: a name and the countries it stands for.

    Attributes:
        name: The text to match.
        codes: ISO 3166-1 alpha-2 codes; empty for a stop phrase.
        lang: ISO 639-1 code of the name, or ``*``.
        line: Line in the CSV file (0 for generated variants).
        local: Used only in text of language `lang` (a ``lang!`` row).
    """

    name: str
    codes: tuple[str, ...]
    lang: str = "*"
    line: int = 0
    local: bool = False


def parse_gazetteer(text: str, source: str) -> list[Alias]:
    """Validate the text of a gazetteer CSV.

    Args:
        text: CSV text with the header ``code,lang,name``; ``#`` lines are comments.
        source: Name used in error messages.

    Returns:
        The aliases in file order.

    Raises:
        GazetteerError: Every problem found (bad header, code, language or name, a name
            listed twice with different codes for the same language condition).
    """
    problems: list[Problem] = []
    aliases: list[Alias] = []
    first_seen: dict[tuple[str, str | None], tuple[tuple[str, ...], int]] = {}
    rows = csv.reader(io.StringIO(text))
    header_done = False
    for row in rows:
        line = rows.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if not header_done:
            header_done = True
            if tuple(cell.strip() for cell in row) != HEADER:
                problems.append(Problem(source, line, f"header must be {','.join(HEADER)}"))
                break
            continue
        if len(row) != len(HEADER):
            problems.append(Problem(source, line, f"expected 3 columns, got {len(row)}"))
            continue
        code, lang, name = (cell.strip() for cell in row)
        if code != STOP and not CODE_RE.match(code):
            problems.append(
                Problem(source, line, f"bad code {code!r}: use alpha-2 (KR), KR+JP, or '-'")
            )
            continue
        if not LANG_RE.match(lang):
            problems.append(
                Problem(source, line, f"bad lang {lang!r}: use ISO 639-1, 'xx!' or '*'")
            )
            continue
        if not name:
            problems.append(Problem(source, line, "empty name"))
            continue
        local = lang.endswith(LOCAL_MARK)
        lang = lang.removesuffix(LOCAL_MARK)
        codes = () if code == STOP else tuple(code.split("+"))
        key = (name, lang if local else None)
        earlier = first_seen.get(key)
        if earlier is not None:
            if earlier[0] != codes:
                where = f" in {lang}{LOCAL_MARK} rows" if local else ""
                problems.append(
                    Problem(
                        source,
                        line,
                        f"{name!r} is {code} here but {'+'.join(earlier[0]) or STOP} "
                        f"at line {earlier[1]}{where}",
                    )
                )
            continue
        first_seen[key] = (codes, line)
        aliases.append(Alias(name=name, codes=codes, lang=lang, line=line, local=local))
    if not header_done and not problems:
        problems.append(Problem(source, None, "empty file: no header"))
    if problems:
        raise GazetteerError(problems)
    return aliases


def read_gazetteer(path: Path | None = None) -> list[Alias]:
    """The aliases of a gazetteer CSV file.

    Args:
        path: A gazetteer CSV; None reads the one bundled with the package.

    Raises:
        GazetteerError: The file cannot be read or is invalid.
    """
    source = BUNDLED_NAME if path is None else str(path)
    try:
        if path is None:
            text = resources.files("classifiers").joinpath(BUNDLED_NAME).read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GazetteerError([Problem(source, None, f"cannot read: {exc}")]) from exc
    return parse_gazetteer(text, source)
