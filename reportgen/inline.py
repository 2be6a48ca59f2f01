"""Inline markup of content strings: Markdown (bold, italic, links) plus data references.

Strings are parsed with markdown-it-py, never with ad-hoc regular expressions over the whole text. A small
inline rule adds the report's own syntax, `{value:ID}`, `{year:ID}`, `{cite:ID}` and `{ref:ID}`, as tokens
of the same parse, so a reference inside bold text or a link label works like any other markup.
Raw HTML is off: `<b>` in content stays the four characters `<b>`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

REF_KINDS = ("value", "year", "cite", "ref")
_REF = re.compile(r"\{(value|year|cite|ref):([a-z0-9][a-z0-9-]*)\}")


@dataclass(frozen=True)
class RawSpan:
    """A parsed inline piece before data are resolved: kind is text/strong/em/link/value/year/cite/ref."""

    kind: str
    text: str = ""          # text, or the id of a reference
    href: str = ""          # links only
    children: tuple = ()    # strong, em, link


def _data_reference_rule(state, silent: bool) -> bool:
    if state.src[state.pos] != "{":
        return False
    match = _REF.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("dataref", "", 0)
        token.meta = {"kind": match.group(1), "id": match.group(2)}
    state.pos = match.end()
    return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False})
    md.enable(["emphasis", "link", "escape", "backticks", "newline"])
    md.inline.ruler.before("emphasis", "dataref", _data_reference_rule)
    md.validateLink = lambda url: True   # every link reaches refused_links, which names the bad ones (no silent text)
    return md


@lru_cache(maxsize=8192)
def parse_inline(text: str) -> tuple[RawSpan, ...]:
    """Parse one content string into a tuple of RawSpan trees."""
    tokens = _parser().parseInline(text.strip())
    children = tokens[0].children if tokens else []
    spans, _ = _build(children, 0, None)
    return tuple(spans)


_CLOSERS = {"strong_open": "strong_close", "em_open": "em_close", "link_open": "link_close"}


def _build(tokens, index: int, closer: str | None) -> tuple[list[RawSpan], int]:
    spans: list[RawSpan] = []
    while index < len(tokens):
        token = tokens[index]
        if token.type == closer:
            return spans, index + 1
        if token.type in _CLOSERS:
            inner, index = _build(tokens, index + 1, _CLOSERS[token.type])
            kind = token.type.removesuffix("_open")
            href = token.attrGet("href") or "" if kind == "link" else ""
            spans.append(RawSpan(kind, href=str(href), children=tuple(inner)))
            continue
        if token.type == "dataref":
            spans.append(RawSpan(token.meta["kind"], token.meta["id"]))
        elif token.type in ("softbreak", "hardbreak"):
            _append_text(spans, " ")
        else:  # text, code_inline and anything unknown fall back to their literal content
            _append_text(spans, token.content)
        index += 1
    return spans, index


def _append_text(spans: list[RawSpan], text: str) -> None:
    if spans and spans[-1].kind == "text":
        spans[-1] = RawSpan("text", spans[-1].text + text)
    else:
        spans.append(RawSpan("text", text))


def references(spans: tuple[RawSpan, ...]) -> list[tuple[str, str]]:
    """Every (kind, id) data reference in `spans`, in reading order."""
    found: list[tuple[str, str]] = []
    for span in spans:
        if span.kind in REF_KINDS:
            found.append((span.kind, span.text))
        found.extend(references(span.children))
    return found


LINK_SCHEMES = ("http", "https", "mailto")


def refused_links(spans: tuple[RawSpan, ...]) -> list[str]:
    """Link targets that are not absolute http, https or mailto URLs: a relative path would point into the build
    folder (and leak its path), and other schemes (file:, smb:, data:, search-ms:...) open local programs."""
    refused = []
    for span in spans:
        if span.kind == "link":
            url = urlsplit(span.href)
            web = url.scheme.lower() in ("http", "https") and url.netloc
            if not (web or (url.scheme.lower() == "mailto" and url.path)):
                refused.append(span.href)
        refused.extend(refused_links(span.children))
    return refused


def plain_text(spans: tuple[RawSpan, ...]) -> str:
    return "".join(span.text if span.kind == "text" else plain_text(span.children) for span in spans)
