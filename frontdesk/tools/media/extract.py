"""Text out of documents and web pages.

`document_text(data, mime)`: plain text and CSV (UTF-8, else Latin-1), PDF (pypdf, page by page),
DOCX (python-docx: paragraphs, then table rows). Other OOXML (XLSX, PPTX) and anything else raise
`Invalid`. `page_text(html, url)`: a page's readable text (trafilatura's main-content extraction,
falling back to every visible text node when it finds no main content, e.g. a very short page).
Parsing is CPU work: callers run these in a worker thread.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from frontdesk.errors import Invalid

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_PDF_PAGES = 200


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _csv_text(text: str) -> str:
    rows = csv.reader(io.StringIO(text))
    return "\n".join(", ".join(cell.strip() for cell in row) for row in rows if any(c.strip() for c in row))


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Invalid("The PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except Invalid:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise Invalid(f"The PDF could not be read ({type(e).__name__})") from e
    return "\n\n".join(p.strip() for p in pages if p.strip())


def _docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as e:
        raise Invalid(f"The DOCX file could not be read ({type(e).__name__})") from e
    parts = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if any(cells):
                parts.append(", ".join(cells))
    return "\n\n".join(parts)


def document_text(data: bytes, mime: str) -> str:
    """The text of a document whose sniffed type is `mime`."""
    if mime == "text/csv":
        return _csv_text(decode_text(data))
    if mime.startswith("text/"):
        return decode_text(data)
    if mime == "application/pdf":
        return _pdf_text(data)
    if mime == DOCX:
        return _docx_text(data)
    raise Invalid(f"No text can be read from {mime} files; send text, CSV, PDF or DOCX")


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    title: str
    text: str


def _visible_text(html: str) -> tuple[str, str]:
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as e:
        raise Invalid("The page is not readable HTML") from e
    for bad in root.xpath("//script|//style|//noscript|//template|//head"):
        bad.drop_tree()
    blocks = [" ".join(t.split()) for t in root.itertext()]
    return "", "\n".join(b for b in blocks if b)


def page_text(html: str, url: str) -> Page:
    """The readable text of an HTML page (boilerplate such as menus and footers left out)."""
    import trafilatura

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=True, favor_recall=True, deduplicate=True
    )
    metadata = trafilatura.extract_metadata(html, default_url=url)
    title = (metadata.title if metadata is not None else None) or ""
    if not text:
        _, text = _visible_text(html)
    text = re.sub(r"\n{3,}", "\n\n", text or "").strip()
    return Page(url, title.strip(), text)
