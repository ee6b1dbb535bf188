"""The GB/T 9704-2012 layout: every element in its place, in HTML and in the PDF."""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from libs.gongwen import Attachment, OfficialDocument, document_date, render_html, render_pdf

DOC = OfficialDocument(
    issuer="郁南县政务和数据局",
    mark="郁南县政务和数据局文件",
    number="郁政数立〔2026〕7号",
    title="郁南县政务和数据局关于“<县域>平台”项目立项的批复",
    recipients=["县农业农村局"],
    paragraphs=[
        "你单位报送的立项申请收悉。",
        "一、同意立项，核定项目总投资80万元（800,000元）。",
        "此复。",
    ],
    attachments=[Attachment(title="立项判定依据", paragraphs=["依据第十条。"])],
    signed_on=date(2026, 1, 5),
    printer="郁南县政务和数据局办公室",
    printed_on=date(2026, 1, 6),
)


def test_dates_are_written_in_full_without_leading_zeros() -> None:
    # 7.3.5.1: 阿拉伯数字将年、月、日标全……月、日不编虚位（即1不编为01）
    assert document_date(date(2026, 1, 5)) == "2026年1月5日"
    assert document_date(date(2026, 12, 31)) == "2026年12月31日"


def test_html_sets_each_element_and_escapes_the_content() -> None:
    html = render_html(DOC)
    assert '<p class="mark">郁南县政务和数据局文件</p>' in html
    assert '<p class="number">郁政数立〔2026〕7号</p>' in html
    assert '<p class="recipients">县农业农村局：</p>' in html  # 全角冒号 after the last recipient
    assert "附件：立项判定依据" in html
    assert "2026年1月5日" in html and "2026年1月6日印发" in html
    # Content is text, never markup: a project called “<县域>” is shown, not parsed.
    assert "&lt;县域&gt;" in html and "<县域>" not in html
    assert "color: #e60012" in html  # the 版头 in red


def test_pdf_carries_the_number_the_title_and_the_colophon_in_order() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(DOC)))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    order = [
        "郁南县政务和数据局文件",
        "郁政数立〔2026〕7号",
        "关于“<县域>平台”项目立项的批复",
        "县农业农村局：",
        "80万元（800,000元）",
        "附件：立项判定依据",
        "2026年1月5日",
        "依据第十条。",
        "2026年1月6日印发",
    ]
    positions = [text.find(part) for part in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)
    # The attachment starts a page of its own (8: 附件应当另面编排).
    assert any(re.match(r"\s*附件\s*立项判定依据", p.extract_text()) for p in reader.pages[1:])


def test_a_record_without_a_number_prints_no_number_line() -> None:
    # Reports and records (issue 18) are not issued documents: no 发文字号 to print.
    record = DOC.model_copy(update={"number": "", "mark": "项目验收结论"})
    html = render_html(record)
    assert '<p class="mark">项目验收结论</p>' in html
    assert 'class="number"' not in html
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(record))).pages)
    assert "项目验收结论" in text and "〔" not in text
