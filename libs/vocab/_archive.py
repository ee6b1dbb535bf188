"""The archive's controlled lists (docs/adr/0005-archive.md): codes never renamed, labels people read."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "ARCHIVE_ACCEPTANCE_OUTCOMES",
    "CHECK_ITEMS",
    "CHECK_OUTCOMES",
    "CHECK_PROPERTIES",
    "CHECK_STAGES",
    "DOCUMENT_TYPES",
    "FIXITY_FINDINGS",
    "RETENTION_PERIODS",
    "SECURITY_LEVELS",
    "VIRUS_DATABASES",
    "CheckStage",
    "DocumentType",
    "RetentionPeriod",
    "SecurityLevel",
]

# 文件类型: what a document is in the project's life (one code per kind).
DOCUMENT_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
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
        # The archive's own report of a 四性检测 (DA/T 70-2018), filed by the archive.
        "check_report": "四性检测报告",
        "other": "其他",
    }
)
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
    "check_report",
    "other",
]

# 密级. Classified material (秘密/机密/绝密) is out of these rules (涉密项目按有关规定)
# and is never accepted by this system.
SECURITY_LEVELS: Final[Mapping[str, str]] = MappingProxyType(
    {"non_secret": "非密", "internal": "内部"}
)
SecurityLevel = Literal["non_secret", "internal"]

# 保管期限 (国家档案局令第8号 机关文件材料归档范围和文书档案保管期限规定).
RETENTION_PERIODS: Final[Mapping[str, str]] = MappingProxyType(
    {"permanent": "永久", "y30": "定期30年", "y10": "定期10年"}
)
RetentionPeriod = Literal["permanent", "y30", "y10"]

# 四性: the four properties DA/T 70-2018 checks.
CHECK_PROPERTIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "authenticity": "真实性",
        "integrity": "完整性",
        "usability": "可用性",
        "security": "安全性",
    }
)
# The stages DA/T 70 checks at: 归档, 移交与接收, 长期保存.
CHECK_STAGES: Final[Mapping[str, str]] = MappingProxyType(
    {"archiving": "归档", "transfer": "移交与接收", "preservation": "长期保存"}
)
CheckStage = Literal["archiving", "transfer", "preservation"]

# The verdict of one check item.
CHECK_OUTCOMES: Final[Mapping[str, str]] = MappingProxyType(
    {"pass": "通过", "fail": "不通过", "not_run": "未检测", "manual_pending": "待人工确认"}
)

# The items of services/archive/checks/catalogue.yaml, by id, with the name a
# report prints (the catalogue's name without its technical parenthesis; a test
# keeps the two lists in step).
CHECK_ITEMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "AUTH-01": "固化信息有效性检测",
        "AUTH-02": "元数据项值域符合度检测",
        "AUTH-03": "内容数据的电子属性一致性检测",
        "AUTH-04": "归档信息包一致性检测",
        "INTG-01": "总件数相符性检测",
        "INTG-02": "总字节数相符性检测",
        "INTG-03": "元数据必填著录项目检测",
        "INTG-04": "归档信息包完整性检测",
        "USAB-01": "内容数据格式检测",
        "USAB-02": "内容数据的可读性检测",
        "USAB-03": "信息包中元数据的可读性检测",
        "USAB-04": "软硬件环境合规性检测",
        "SECU-01": "病毒感染检测",
        "SECU-02": "密级检测",
        "SECU-03": "保管期限锁定检测",
        "SECU-04": "操作过程安全性检测",
    }
)

# Which signature database the virus scanner (clamd) answered with: the official
# ClamAV database names its version in clamd's VERSION reply; the development
# database (`govproj dev up` without one) holds only the EICAR test signature.
VIRUS_DATABASES: Final[Mapping[str, str]] = MappingProxyType(
    {"official": "ClamAV 官方病毒库", "test_only": "开发环境：病毒库仅含测试特征码"}
)

# 档案验收: the transfer-stage 四性检测 decides it (Potou 第二十三条).
ARCHIVE_ACCEPTANCE_OUTCOMES: Final[Mapping[str, str]] = MappingProxyType(
    {"passed": "档案验收通过", "failed": "档案验收不通过"}
)

# What a preservation audit (fixity) finds about a stored object.
FIXITY_FINDINGS: Final[Mapping[str, str]] = MappingProxyType(
    {"changed": "内容被改动", "missing": "文件缺失", "untracked": "存储中有未登记的文件"}
)
