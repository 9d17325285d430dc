"""Markdown to safe HTML: CommonMark rendering, then an allow-list sanitizer.

Raw HTML in the source is escaped by the renderer, and the output is cleaned again by nh3
(ammonia), so no script, event handler, style or `javascript:` link survives either step.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(source: str | None) -> Markup:
    if not source:
        return Markup("")
    html = _renderer.render(source)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704 - sanitized by nh3 just above


def markdown_to_text(source: str | None) -> str:
    """Markdown as plain text, for the text part of an e-mail: no `**` or `###` left, headings
    on their own line, list items with a dash, links followed by their address."""
    if not source:
        return ""
    writer = _PlainText()
    writer.feed(_renderer.render(source))
    writer.close()
    return writer.text()


class _PlainText(HTMLParser):
    _BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "blockquote", "table"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [is_ordered, next number]
        self._href: list[str | None] = []
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS and not self._lists:
            self._blank_line()
        if tag in ("ul", "ol"):
            start = int(dict(attrs).get("start") or 1)
            self._lists.append([tag == "ol", start])
        elif tag == "li" and self._lists:
            ordered, number = self._lists[-1]
            self._new_line()
            indent = "  " * (len(self._lists) - 1)
            self._out.append(f"{indent}{number}. " if ordered else f"{indent}- ")
            self._lists[-1][1] += 1
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._link_text.append("")
        elif tag in ("br", "tr"):
            self._new_line()
        elif tag in ("td", "th") and self._out and not self._out[-1].endswith("\n"):
            self._out.append(" | ")
        elif tag == "hr":
            self._blank_line()
            self._out.append("----------\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
            if not self._lists:
                self._new_line()
        elif tag == "a" and self._href:
            href, text = self._href.pop(), self._link_text.pop()
            if href and href != text.strip() and not href.startswith("mailto:"):
                self._out.append(f" ({href})")
        elif tag in self._BLOCKS and not self._lists:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if "\n" in data and not data.strip():
            return  # the renderer's line breaks between tags
        if self._link_text:
            self._link_text[-1] += data
        self._out.append(data)

    def _new_line(self) -> None:
        if self._out and not self._out[-1].endswith("\n"):
            self._out.append("\n")

    def _blank_line(self) -> None:
        self._new_line()
        if self._out and not "".join(self._out[-2:]).endswith("\n\n"):
            self._out.append("\n")

    def text(self) -> str:
        lines = [line.rstrip() for line in "".join(self._out).splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
