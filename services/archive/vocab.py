"""The archive's controlled lists: codes machines exchange, labels people read.

These extend vocabulary.md for the archive (docs/adr/0005-archive.md). A code is
never renamed; a new one may be added.
"""

from __future__ import annotations

from typing import Literal

#: 文件类型: what a document is in the project's life (one code per kind).
DOCUMENT_TYPES: dict[str, str] = {
    "project_proposal": "项目建议书/申报书",
    "feasibility_study": "可行性研究报告、初步设计、投资概算",
    "implementation_plan": "建设方案/实施方案",
    "review_opinion": "评审/论证意见",
    "approval_document": "立项批复/备案文件",
    "procurement_document": "采购文件",
    "contract": "合同",
    "supervision_report": "监理报告",
    "test_report": "测试/测评报告",
    "security_assessment_report": "安全评估/等级保护测评报告",
    "crypto_assessment_report": "密码应用安全性评估报告",
    "acceptance_report": "验收报告",
    "evaluation_report": "自评价/绩效评价报告",
    "other": "其他",
}
DocumentType = Literal[
    "project_proposal",
    "feasibility_study",
    "implementation_plan",
    "review_opinion",
    "approval_document",
    "procurement_document",
    "contract",
    "supervision_report",
    "test_report",
    "security_assessment_report",
    "crypto_assessment_report",
    "acceptance_report",
    "evaluation_report",
    "other",
]

#: 密级. Classified material (秘密/机密/绝密) is out of these rules (涉密项目按有关规定)
#: and is never accepted by this system.
SECURITY_LEVELS: dict[str, str] = {"non_secret": "非密", "internal": "内部"}
SecurityLevel = Literal["non_secret", "internal"]

#: 保管期限: 永久、定期30年、定期10年 (国家档案局令第8号 机关文件材料归档范围和文书档案保管期限规定).
RETENTION_PERIODS: dict[str, str] = {"permanent": "永久", "y30": "定期30年", "y10": "定期10年"}
RetentionPeriod = Literal["permanent", "y30", "y10"]
#: Years of COMPLIANCE lock per period; "permanent" is locked for a century and
#: extended by the preservation audit long before it ends (a lock can only grow).
RETENTION_YEARS: dict[str, int] = {"permanent": 100, "y30": 30, "y10": 10}

#: Formats accepted for long-term preservation (GB/T 18894-2016 §7.5: 版式文件 OFD/PDF,
#: XML, and the common image formats), by file extension as identified from the bytes.
ARCHIVAL_FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "ofd": "application/ofd",
    "xml": "application/xml",
    "jpg": "image/jpeg",
    "png": "image/png",
}

#: 四性: the four properties DA/T 70 checks.
PROPERTIES: dict[str, str] = {
    "authenticity": "真实性",
    "integrity": "完整性",
    "usability": "可用性",
    "security": "安全性",
}
#: The stages DA/T 70 checks at: 归档, 移交与接收, 长期保存.
STAGES: dict[str, str] = {
    "archiving": "归档",
    "transfer": "移交与接收",
    "preservation": "长期保存",
}
Stage = Literal["archiving", "transfer", "preservation"]

#: Outcomes of one check item.
OUTCOMES: dict[str, str] = {
    "pass": "通过",
    "fail": "不通过",
    "not_run": "未检测",
    "manual_pending": "待人工确认",
}
