"""消息中心 pages: the sentence, Beijing time, the way to the project, and no ids on the page."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from libs.vocab import NOTIFICATION_KINDS, notification_text
from services.portal.web import templates

PID = "0192f0c4-5a1b-7c3d-9e8f-0123456789ab"
NID = "0192f0c4-5a1b-7c3d-9e8f-ba9876543210"


def _visible(html: str) -> str:
    """The text a person reads: tags and attribute values removed."""
    return re.sub(r"<[^>]+>", " ", html)


def _page(page: dict[str, Any]) -> str:
    user = SimpleNamespace(
        roles=frozenset({"unit_officer"}),
        tenant="445322",
        subject=SimpleNamespace(name="单位经办人"),
        has=lambda *roles: "unit_officer" in roles,
    )
    return templates.env.get_template("notifications/list.html").render(
        user=user, tenant_names={"445322": "郁南县"}, csrf="t", page=page, unread_only=False
    )


def test_a_message_reads_as_a_sentence_in_beijing_time_and_opens_its_project() -> None:
    text = notification_text(
        "project_returned", "县域政务服务平台升级", {"route": "filing", "reason": "请补充绩效目标"}
    )
    html = _page(
        {
            "items": [
                {
                    "id": NID,
                    "kind": "project_returned",
                    "kind_label": NOTIFICATION_KINDS["project_returned"],
                    "text": text,
                    "project_id": PID,
                    "project_name": "县域政务服务平台升级",
                    "created_at": "2026-12-04T13:04:15.776290+00:00",
                    "read": False,
                }
            ],
            "next_cursor": None,
            "unread": 1,
        }
    )
    seen = _visible(html)
    assert "项目「县域政务服务平台升级」的备案已退回修改。原因：请补充绩效目标" in seen
    assert "2026-12-04 21:04" in seen and "+00:00" not in seen
    assert "未读 1 条" in seen and "退回修改" in seen
    assert f'action="/notifications/{NID}/open"' in html  # 查看项目 marks it read, then goes there
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", seen)
    assert "project_returned" not in seen


def test_every_kind_has_a_label_and_a_sentence_without_codes() -> None:
    facts = {"step": "finance_review", "mode": "conformity_review", "deadline": "acceptance_due",
             "due_on": "2027-01-03", "days_left": 30, "days_overdue": 2, "number": "郁政数〔2026〕3号",
             "reason": "材料不全", "route": "approval"}  # fmt: skip
    for kind in NOTIFICATION_KINDS:
        sentence = notification_text(kind, "智慧政务平台", facts)
        assert sentence.startswith(("项目「智慧政务平台」", "您被指派", "上级已收到")), sentence
        assert not re.search(r"[a-z]+_[a-z]+|None", sentence), sentence


def test_an_empty_message_centre_says_so() -> None:
    assert "暂无消息" in _visible(_page({"items": [], "next_cursor": None, "unread": 0}))
