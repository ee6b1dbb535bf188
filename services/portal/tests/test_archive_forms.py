"""The archive pages' own form checks: what the console refuses before calling the archive."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData, UploadFile

from services.portal.pages.archive import Invalid, manual_payload


def test_a_manual_finding_is_sent_as_the_archive_takes_it() -> None:
    form = FormData([("outcome", "fail"), ("note", "  操作日志缺少审批记录  ")])
    assert manual_payload(form) == {"outcome": "fail", "note": "操作日志缺少审批记录"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([("note", "已核验运行环境")], "请选择人工确认结果"),
        ([("outcome", "not_run"), ("note", "已核验运行环境")], "请选择人工确认结果"),
        ([("outcome", "pass"), ("note", " 好 ")], "至少2个字"),
        ([("outcome", "pass"), ("note", "查" * 501)], "不能超过500个字"),
    ],
)
def test_a_manual_finding_the_archive_would_refuse_is_explained_in_chinese(
    fields: list[tuple[str, str | UploadFile]], message: str
) -> None:
    with pytest.raises(Invalid, match=message):
        manual_payload(FormData(fields))
