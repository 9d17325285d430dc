"""Markdown to safe HTML: CommonMark rendering, then an allow-list sanitizer.

Raw HTML in the source is escaped by the renderer, and the output is cleaned again by nh3
(ammonia), so no script, event handler, style or `javascript:` link survives either step.

E-mails (`render_markdown_for_email`): an image becomes a link to it, so that no message loads
anything from elsewhere when it is opened (a remote image would tell its server who read the
message, and when: a tracking pixel). Images are not proxied: a proxy would fetch any URL a
writer puts in the notes from inside the network.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

_renderer = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])

_email_renderer = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])


def _image_as_link(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env).strip()
    return f'<a href="{escape(src)}">{escape(alt or src)}</a>'


_email_renderer.add_render_rule("image", _image_as_link)

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
    return _render(_renderer, source, ALLOWED_TAGS)


def render_markdown_for_email(source: str | None) -> Markup:
    """As render_markdown, with every image turned into a link (and no <img> allowed at all)."""
    return _render(_email_renderer, source, ALLOWED_TAGS - {"img"})


def _render(renderer: MarkdownIt, source: str | None, tags: set[str]) -> Markup:
    if not source:
        return Markup("")
    html = renderer.render(source)
    cleaned = nh3.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704 - sanitized by nh3 just above
