"""Hostile Markdown renders inert: in a brick's description, prerequisites and comments.

Each payload goes where people type Markdown (and into the plain-text fields for good measure),
then the brick page is read the way a browser would: no script of ours missing its `src`, no
event handler attribute, no `style` attribute, no embedding tag, and no link or source with a
javascript:, vbscript: or data: address (after decoding entities and dropping the whitespace
and control characters browsers ignore).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import update

from tests.factories import make_brick
from tracker.backlog.models import Brick
from tracker.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '![x](x" onerror="alert(1))',
    "![x](javascript:alert(1))",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#9;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x]: javascript:alert(1)\n\nSee [the link][x].",
    "<javascript:alert(1)>",
    '<https://example.com" onmouseover="alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>body{display:none}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<details open ontoggle=alert(1)>x</details>",
    "<body onload=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "`<script>alert(1)</script>`",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "<!-- --><script>alert(1)</script><!-- -->",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "math", "style", "base", "meta", "frame"}


def _normalized(url: str) -> str:
    # Browsers drop ASCII whitespace and control characters inside a scheme.
    return re.sub(r"[\x00-\x20\x7f]+", "", url).lower()


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.in_script = True
            if not (attributes.get("src") or "").startswith("/static/"):
                self.problems.append(f"script not ours: {attrs}")
        if tag == "meta" and "http-equiv" in attributes:
            self.problems.append(f"meta: {attrs}")
        elif tag in FORBIDDEN_TAGS - {"meta"}:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                url = _normalized(value)
                if url.startswith(("javascript:", "vbscript:", "data:")):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script: {data[:60]!r}")


def problems_in(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


def test_the_inspector_catches_what_it_must():
    # The checks are only worth something if they fail on live payloads.
    for raw in (
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<p style="color:red">x</p>',
        "<svg></svg>",
        '<img src="data:image/svg+xml,x">',
        '<meta http-equiv="refresh" content="0">',
    ):
        assert problems_in(raw), raw


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_renderer_makes_the_payload_inert(payload):
    assert problems_in(str(render_markdown(payload))) == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_brick_and_comment_render_inert(client, db_session, world, login, payload):
    brick = make_brick(
        db_session,
        world.academy,
        payload[:200],
        actor=world.manager,
        summary=payload[:500],
        description=payload,
        prerequisites=payload,
        vendor=payload[:120],
        target_audience=payload[:255],
        objectives=[(payload[:500], "apply")],
    )
    # A link stored without the service's check (an old import, say) is not linked either.
    db_session.execute(
        update(Brick).where(Brick.id == brick.id).values(content_url="javascript:alert(1)")
    )
    login(world.designer)
    posted = client.post(
        f"/a/{world.academy.slug}/bricks/{brick.number}/comments", data={"body": payload}
    )
    assert posted.status_code == 303

    page = client.get(f"/a/{world.academy.slug}/bricks/{brick.number}")
    form = client.get(f"/a/{world.academy.slug}/bricks/{brick.number}/edit")

    assert page.status_code == form.status_code == 200
    html = page.get_data(as_text=True)
    assert problems_in(html) == []
    assert problems_in(form.get_data(as_text=True)) == []
    assert "<script>alert" not in html
