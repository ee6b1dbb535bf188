"""The fields of the services' requests as the console's forms name them.

A problem names the field it refuses (``year: 2027``, ``facts.amount: …``); a
person reads the form's label instead (建设年度, 总投资).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from libs.vocab._policy import FACT_LABELS

__all__ = ["FIELD_LABELS", "FORM_FIELDS"]

FIELD_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        **{f"facts.{k}": v for k, v in FACT_LABELS.items()},
        "name": "项目名称",
        "unit_id": "建设单位",
        "year": "建设年度",
        "description": "项目概述",
        "demand_item_id": "年度需求计划条目",
        "title": "题名",
        "doc_type": "文件类型",
        "doc_date": "成文日期",
        "author_unit": "责任者",
        "file": "文件",
        "amount": "金额",
        "opinion": "意见",
        "outcome": "结论",
        "conclusion": "结论",
        "reason": "理由",
        "kind": "类别",
        "method": "采购方式",
        "started_on": "采购启动日期",
        "signed_on": "签订日期",
        "completed_on": "建成日期",
        "held_on": "验收日期",
        "in_operation_on": "投入使用日期",
        "submitted_on": "提交日期",
        "until": "延期至",
        "approved_amount": "核定金额",
        "adjustment_amount": "资金调整数额",
        "new_total": "调整后总金额",
        "report_document_id": "报告文件",
        "evidence_document_ids": "证明文件",
        "document_ids": "文件",
        "experts": "评审专家",
        "state": "状态",
        # The budget's forms (预算安排, 科目, 调整, 支付, 使用情况报告, 结余退回).
        "notice_no": "预算下达文号",
        "notified_on": "下达日期",
        "funding": "资金来源",
        "service_year": "运维年度",
        "finance_opinion_document_id": "财政部门意见",
        "note": "说明",
        "from_line_id": "调出科目",
        "to_line_id": "调入科目",
        "line_id": "预算科目",
        "paid_on": "支付日期",
        "voucher_no": "凭证号",
        "contract_id": "合同",
        "period_start": "报告期起",
        "period_end": "报告期止",
        "narrative": "说明",
        "returned_on": "退回日期",
        "channel": "退回渠道",
        "disposition": "数据处置方式",
        "evidence_document_id": "处置证明",
        "credit_code": "统一社会信用代码",
        "level": "层级",
        "parent_code": "上级行政区划",
        "count": "抽取项目数",
        "evaluator_pool": "评估人员库",
        "evaluator_count": "抽取评估人员数",
    }
)

# Where one form names a field otherwise than the shared table: a unit's or a
# system's "name" is not 项目名称 (the console's refusals read the form's label).
FORM_FIELDS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "unit": MappingProxyType({"name": "单位名称"}),
        "system": MappingProxyType({"name": "系统名称", "reason": "停用原因"}),
        "tenant": MappingProxyType({"name": "名称", "code": "行政区划代码"}),
        "parameter": MappingProxyType(
            {"name": "参数", "value": "参数值", "document": "设定文件文号"}
        ),
        "exception": MappingProxyType({"rule": "决定例外的条款", "reason": "书面理由"}),
    }
)
