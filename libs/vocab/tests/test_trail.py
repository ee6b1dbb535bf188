"""A trail row says what happened in Chinese, with its amounts and article, never a code."""

from __future__ import annotations

import re

import pytest

from libs.vocab import EVENT_LABELS, actor_name, describe_event

# What a person must never read in a sentence: a dotted type, a snake_case code, a UUID.
_CODE = re.compile(r"govproj|[a-z]+_[a-z]+|[a-z]+\.[a-z]+|[0-9a-f]{8}-[0-9a-f]{4}")

_DATA = {
    "project_id": "0192f0a0-0000-7000-8000-000000000001",
    "code": "expert_review",
    "conclusion": "agree",
    "outcome": "approve",
    "opinion": "方案可行，同意立项。",
    "from": "submitted",
    "to": "under_review",
    "route": "approval",
    "stage": "archiving",
    "acceptable": True,
    "item_count": 3,
    "title": "可行性研究报告",
    "doc_type": "feasibility_study",
    "experts": [{"user": "e1", "name": "李专家"}],
    "approval": {"number": "郁政数〔2026〕1号", "approved_amount": 640_000},
    "amount": 800_000,
}


@pytest.mark.parametrize("event_type", sorted(EVENT_LABELS))
def test_every_event_type_reads_as_a_chinese_sentence(event_type: str) -> None:
    line = describe_event(event_type, _DATA)
    assert line.sentence
    assert not _CODE.search(line.sentence), line.sentence


def test_an_expert_opinion_names_the_conclusion_and_quotes_the_opinion() -> None:
    line = describe_event("govproj.approval.step.expert_opinion_recorded.v1", _DATA)
    assert line.sentence == "专家意见已提交（同意）：“方案可行，同意立项。”"


def test_the_finance_answer_carries_the_approved_amount_and_its_article() -> None:
    data = {
        "outcome": "approve",
        "opinion": "同意安排",
        "requested_amount": 800_000,
        "approved_amount": 640_000,
        "article": "第十二条第（三）项",
    }
    line = describe_event("govproj.budget.finance_review.completed.v1", data)
    assert line.sentence.startswith("财政资金审核已完成：同意")
    assert line.amounts == (("申请金额", 800_000), ("核定金额", 640_000))
    assert line.article == "第十二条第（三）项"


def test_an_approval_names_its_document_number_and_approved_amount() -> None:
    line = describe_event("govproj.approval.project.approved.v1", {"approval": _DATA["approval"]})
    assert line.sentence == "项目已立项（文号 郁政数〔2026〕1号）"
    assert line.amounts == (("核定金额", 640_000),)


def test_a_state_change_names_both_states_and_not_the_standing_total() -> None:
    line = describe_event("govproj.registry.project.state_changed.v1", _DATA)
    assert line.sentence.startswith("项目状态由「已申报」变为「审核中」")
    assert line.amounts == ()


def test_an_unknown_type_reads_neutrally() -> None:
    assert describe_event("govproj.nobody.thing.done.v9", {}).sentence == "其他操作"


def test_actors_are_named_by_person_or_by_kind_of_system() -> None:
    assert actor_name({"type": "user", "id": "u1", "name": "张三"}) == "张三"
    unnamed = {"type": "user", "id": "0192f0a0-0000-7000-8000-000000000001"}
    assert actor_name(unnamed) == "（未署名）"
    assert actor_name({"type": "system", "id": "approval-deadlines"}) == "平台自动处理"
    assert actor_name({"type": "external", "id": "finance-system@445322"}) == "外部业务系统"
