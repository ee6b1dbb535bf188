"""Official documents (公文) in the layout of GB/T 9704-2012 党政机关公文格式.

The content is plain data (:class:`OfficialDocument`); one template lays it
out as HTML (the console's print view) and, through WeasyPrint, as PDF (what
the archive files). Amounts, articles and wording are the caller's: this
package only sets them in type.
"""

from __future__ import annotations

from libs.gongwen._dates import document_date
from libs.gongwen._model import Attachment, OfficialDocument
from libs.gongwen._render import render_fragment, render_html, render_pdf, stylesheet

__all__ = [
    "Attachment",
    "OfficialDocument",
    "document_date",
    "render_fragment",
    "render_html",
    "render_pdf",
    "stylesheet",
]
