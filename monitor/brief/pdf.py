"""A brief's HTML page → PDF, with WeasyPrint.

WeasyPrint (BSD, maintained by CourtBouillon) lays out HTML and CSS for print
itself — ``@page`` size and margins, inline SVG, page breaks — in-process, from a
string, with no browser to start or keep running. It needs Pango from the system
(``scripts/setup`` installs it). The CJK and Thai glyphs come from the system's
fonts (fonts-noto-cjk, fonts-thai-tlwg). It is imported only when a PDF is asked
for, so the rest of the product does not load it.
"""

from __future__ import annotations

from monitor.errors import MonitorError


class PdfUnavailable(MonitorError):
    """WeasyPrint or the system library it needs (Pango) is missing."""


def html_to_pdf(page: str) -> bytes:
    """The PDF of an HTML page that has no external resources.

    Raises:
        PdfUnavailable: WeasyPrint cannot be loaded (the message says what to install).
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango's shared library is missing
        raise PdfUnavailable(
            "PDF output needs WeasyPrint and Pango: pip install weasyprint; "
            f"apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 ({exc})"
        ) from exc
    pdf = HTML(string=page).write_pdf()
    return bytes(pdf or b"")
