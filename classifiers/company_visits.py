"""Headlines of a delegation's visit to a company, a plant or a private hospital group.

A ministry delegation touring a foreign vaccine plant or a device maker reads, to the
embedding, much like a visit to a foreign ministry; it is cooperation only when something
is agreed there. Such a headline is weaker evidence of cooperation: with no agreement in the
title or lead, the cooperation head must pass its stricter cut (as for texts naming one
party; `classifiers.embedding`). On the news-shaped split, six of the seven wrong
cooperation verdicts were such visits.

Only the headline is read: a lead may mention a plant visit as one stop of a state visit.
"""

from __future__ import annotations

import re

# visiting, touring, inspecting
_VISIT = re.compile(
    r"(?i:\b(?:tours?|toured|visits?|visited|inspects?|inspected)\b"
    r"|\b(?:kunjungi|mengunjungi|kunjungan|meninjau|tinjau|lawatan|melawat)\b"
    r"|\bthăm\b|\bkhảo sát\b|\b(?:bumisita|binisita|bisita)\b)"
    r"|参观|參觀|访问|訪問|考察|视察|視察|见学|見学|방문|시찰|견학|둘러봐|둘러본"
    r"|เยี่ยมชม|ดูงาน|เยือน"
)
# a company, a plant or a private hospital group
_COMPANY = re.compile(
    r"(?i:\b(?:company|companies|maker|makers|manufacturer|manufacturers|plant|plants"
    r"|factory|factories|firm|firms|drugmaker|pharma|hospital group)\b"
    r"|\b(?:pabrik|perusahaan|syarikat|kilang)\b"
    r"|\b(?:nhà máy|doanh nghiệp|công ty|tập đoàn)\b|\b(?:pabrika|kompanya)\b)"
    r"|企业|企業|公司|工厂|工廠|药企|藥企|工場|メーカー|製薬大手|기업|공장|제약사|업체"
    r"|โรงงาน|บริษัท"
)


def company_visit(title: str) -> bool:
    """Does the headline report a visit to a company, a plant or a private hospital group?"""
    return bool(_VISIT.search(title) and _COMPANY.search(title))
