"""A specification as a Word document (python-docx): headings, bullet lists and paragraphs of
plain text. Markdown is read line by line and each line's text goes through
tracker.markdown.markdown_to_text: no HTML, link or field of the source reaches the document
as anything but text (python-docx writes text runs, escaped)."""

from __future__ import annotations

import io
import re

from docx import Document

from tracker.markdown import markdown_to_text

# Characters XML 1.0 refuses (python-docx would raise on them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")


def _text(markdown: str) -> str:
    text = markdown_to_text(markdown).replace("\n", " ").strip()
    return _NOT_XML.sub("", text)


def specification_docx(title: str, body: str) -> bytes:
    document = Document()
    document.core_properties.title = _NOT_XML.sub("", title)[:255]
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = _text(" ".join(paragraph))
            if text:
                document.add_paragraph(text)
            paragraph.clear()

    for line in (body or "").splitlines():
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        numbered = _NUMBERED.match(line)
        if heading:
            flush()
            document.add_heading(_text(heading.group(2)), level=min(len(heading.group(1)), 4))
        elif bullet:
            flush()
            document.add_paragraph(_text(bullet.group(1)), style="List Bullet")
        elif numbered:
            flush()
            document.add_paragraph(_text(numbered.group(1)), style="List Number")
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
