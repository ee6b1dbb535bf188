"""One layout, two outputs: the HTML the console prints and the PDF the archive keeps."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape

from libs.gongwen._dates import document_date
from libs.gongwen._model import OfficialDocument


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("libs.gongwen", "templates"),
        autoescape=select_autoescape(["html"]),
    )


@cache
def stylesheet() -> str:
    """The GB/T 9704-2012 layout as CSS (page box, 版头, 版记, page numbers)."""
    return files("libs.gongwen").joinpath("templates/gongwen.css").read_text(encoding="utf-8")


def render_fragment(doc: OfficialDocument) -> str:
    """The document as an HTML ``<article>``, to embed in a page that links :func:`stylesheet`."""
    return (
        _environment()
        .get_template("gongwen.html")
        .render(
            doc=doc,
            signed_on=document_date(doc.signed_on),
            printed_on=document_date(doc.printed_on),
        )
    )


def render_html(doc: OfficialDocument) -> str:
    """A complete HTML document: the fragment and its stylesheet."""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_escape(doc.title)}</title><style>{stylesheet()}</style></head>"
        f"<body>{render_fragment(doc)}</body></html>"
    )


def render_pdf(doc: OfficialDocument) -> bytes:
    """The document as PDF, typeset by WeasyPrint (Pango; the CJK fonts of fonts-noto-cjk).

    Imported here so that a process that only shows documents (the console)
    needs neither WeasyPrint nor Pango.
    """
    from weasyprint import HTML

    pdf = HTML(string=render_html(doc)).write_pdf(
        pdf_identifier=(doc.number or doc.title).encode(), uncompressed_pdf=False
    )
    if pdf is None:  # write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint produced no PDF")
    return bytes(pdf)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
