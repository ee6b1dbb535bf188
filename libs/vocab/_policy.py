"""The policy engine's codes (vocabulary.md, vocabulary-extensions.md) and their labels.

Routes, roles, stages, requirement codes, time-limit codes and what a time limit
counts from, plus the project facts and the values they take. The policy packs
cite these codes; a person reads the labels in explanations and in the console.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "BASE_LABELS",
    "CATEGORIES",
    "DIFF_KINDS",
    "EXCLUDED_KINDS",
    "FACT_LABELS",
    "FROM_LABELS",
    "FUNDING",
    "LIGHTNESS",
    "PACK_SECTIONS",
    "PACK_STATUSES",
    "PROJECT_CLASSES",
    "RELATIONS",
    "REQUIREMENT_LABELS",
    "ROLES",
    "ROLE_BODIES",
    "ROLE_LABELS",
    "ROUTES",
    "ROUTE_LABELS",
    "SERVICE_TYPES",
    "STAGE_LABELS",
    "TENANT_LEVELS",
    "TIME_LIMIT_LABELS",
    "VALUE_LABELS",
    "RoleCode",
    "RouteCode",
    "StageCode",
]

RouteCode = Literal[
    "approval",
    "filing",
    "self_managed",
    "out_of_scope",
    "government_investment",
    "classified_rules",
    "ineligible",
]
RoleCode = Literal[
    "unit_officer",
    "bureau_officer",
    "expert",
    "finance_officer",
    "crypto_officer",
    "auditor",
    "overseer",
    "platform_admin",
]
StageCode = Literal["planning", "approval", "implementation", "acceptance", "post"]

# vocabulary.md "Routes (how a project is managed)".
ROUTE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "approval": "立项审批",
        "filing": "备案",
        "self_managed": "建设单位自行管理",
        "out_of_scope": "不适用本办法",
        "government_investment": "按政府投资项目程序",
        "classified_rules": "涉密项目按有关规定",
        "ineligible": "不予立项",
    }
)
ROUTES: Final[frozenset[str]] = frozenset(ROUTE_LABELS)

# How heavy a route's procedure is; routes outside this order (out_of_scope, ...)
# are not comparable by amount.
LIGHTNESS: Final[Mapping[str, int]] = MappingProxyType(
    {"self_managed": 0, "filing": 1, "approval": 2}
)

# vocabulary.md "Roles", word for word: the role a person holds (the console's
# header, the login page, Keycloak's role descriptions).
ROLE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unit_officer": "建设单位/项目管理专员",
        "bureau_officer": "政务服务数据管理局",
        "expert": "专家",
        "finance_officer": "财政",
        "crypto_officer": "密码管理部门",
        "auditor": "审计",
        "overseer": "上级主管部门",
        "platform_admin": "平台管理员",
    }
)
# The same roles read as the body that acts in a sentence: the policy engine
# writes "监理（实施阶段，建设单位）", the console "由财政部门办理". Two tables for two
# uses, not two spellings of one: docs/vocabulary-extensions.md "Labels".
ROLE_BODIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "unit_officer": "建设单位",
        "bureau_officer": "政务服务数据管理局",
        "expert": "专家",
        "finance_officer": "财政部门",
        "crypto_officer": "密码管理部门",
        "auditor": "审计部门",
        "overseer": "上级主管部门",
        "platform_admin": "平台管理员",
    }
)
ROLES: Final[frozenset[str]] = frozenset(ROLE_LABELS)

# The stages a pack's requirements and time limits belong to.
STAGE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "planning": "规划阶段",
        "approval": "立项阶段",
        "implementation": "实施阶段",
        "acceptance": "验收阶段",
        "post": "运行阶段",
    }
)

REQUIREMENT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # vocabulary.md "Requirements"; where it gives two terms, the first (the
        # one most packs use) is the label.
        "internal_review": "内部论证",
        "expert_review": "专家评审",
        "cost_review": "造价审核",
        "finance_review": "资金审核",
        "finance_opinion_before_application": "立项前征求财政部门意见",
        "crypto_review": "密码应用审核",
        "data_resource_catalog": "政务数据资源目录",
        "feasibility_study": "可行性研究报告、初步设计、投资概算",
        "resource_usage_list": "资源使用清单",
        "localization_statement": "安全可靠情况说明",
        "supervision": "监理",
        "third_party_testing": "第三方测试",
        "security_assessment": "安全评估",
        "conformity_review": "符合性审查",
        "archive_acceptance": "档案验收",
        "acceptance": "验收",
        "self_evaluation": "应用效果自评价",
        "performance_evaluation": "绩效评价",
        "standard_authoring": "编制工程标准或团体标准",
        "report_to_parent": "批复结果报送上级",
        "ipv6_support": "支持IPv6",
        # docs/vocabulary-extensions.md "Requirement codes", raised by the pack engineers.
        "fund_usage_report": "资金使用情况定期报告",
        "demand_aggregation": "公共类需求汇总报送",
        "archive_management": "项目档案管理",
        "government_consent": "报本级人民政府同意",
        "funding_application": "申请资金",
        "procurement": "按政府采购或招投标组织建设",
        "change_filing": "重大变更、逾期、终止、调整的备案或报告",
        "central_filing": "向大数据局集中备案/管理平台申报",
        "market_approval": "市场运营类项目核准",
        "civil_works_separate": "土建工程单独立项",
        "construction_approvals": "工程建设审批手续",
        "secrecy_management": "保密管理",
        "ip_ownership": "知识产权归属",
        "surplus_return": "结余资金收回",
        "information_disclosure": "信息公开",
        "acceptance_extension": "延期验收申请",
        "decommission_plan": "停用方案",
    }
)

TIME_LIMIT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "annual_plan_due": "年度需求计划截止",
        "approval_due": "立项截止",
        "approval_validity": "审批意见有效期",
        "acceptance_due": "验收期限",
        "self_evaluation_due": "自评价期限",
        "standard_due": "标准发布期限",
        "free_maintenance_min": "免费运维期",
        "maintenance_cost_cap": "年运维费上限",
        "adjustment_limit": "自行调整上限",
        # docs/vocabulary-extensions.md "Time-limit codes and anchors".
        "performance_report_due": "绩效报告期限",
    }
)

# What a time limit counts from: lifecycle states of vocabulary.md read as the
# event of entering them (so 立项批复, not 已立项), plus the budget year of
# calendar cut-offs (docs/vocabulary-extensions.md).
FROM_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "draft": "起草",
        "submitted": "申报",
        "under_review": "受理审核",
        "approved": "立项批复",
        "filed": "备案",
        "procuring": "启动采购",
        "implementing": "开始实施",
        "completed": "完工",
        "acceptance_review": "提交验收前置审核",
        "accepted": "通过验收",
        "in_operation": "投入运行",
        "evaluated": "完成自评价",
        "decommissioned": "停用",
        "budget_year": "预算年度",
    }
)

PROJECT_CLASSES: Final[Mapping[str, str]] = MappingProxyType(
    {"public": "公共类", "professional": "专业类"}
)
CATEGORIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "governance": "政务治理类",
        "public_service": "公共服务类",
        "market_operation": "市场运营类",
    }
)
SERVICE_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "infrastructure": "基础设施服务",
        "software_development": "软件开发服务",
        "operations_maintenance": "运行维护服务",
        "business_operation": "系统业务运营服务",
        "third_party": "第三方服务",
    }
)
FUNDING: Final[Mapping[str, str]] = MappingProxyType(
    {
        "fiscal": "本级财政资金",
        "non_fiscal": "自有资金、上级补助、社会资金",
    }
)
EXCLUDED_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "office_equipment": "日常办公设备/通用设备",
        "short_term_maintenance": "非长期固定的运维外包",
        "medical_lab": "医疗化验",
        "audio_lighting": "音响灯光",
        "internal_wiring": "内部布线",
        "special_equipment": "专用设备和服务",
        "new_media": "网站/公众号/小程序等新媒体",
        "digital_art": "影视文化数字艺术",
    }
)
# docs/vocabulary-extensions.md "System facts": the project's relation to a system.
RELATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {"build": "新建", "operate": "运行维护", "upgrade": "升级改造"}
)

# Every enum value a fact may take, for rendering a fact inside an explanation.
VALUE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        **PROJECT_CLASSES,
        **CATEGORIES,
        **SERVICE_TYPES,
        **FUNDING,
        **EXCLUDED_KINDS,
    }
)

# vocabulary.md "Project facts": the short name a form or an explanation uses.
# What a ratio is a share of (a policy time limit's ``base``): the texts name different totals.
BASE_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "budget_estimate": "概算总投资",  # 莱州 第十九条第二款
        "construction_total": "建设总投入",  # 莱州 第二十九条
        "project_total": "项目总金额",  # 坡头 第二十一条
        "approved_total": "批复总投资",
    }
)

FACT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "project_class": "项目类别",
        "category": "项目分类",
        "service_types": "服务类型",
        "amount": "总投资",
        "software_amount": "应用软件开发费用",
        "funding": "资金来源",
        "new_fiscal_funds": "涉及财政新增资金",
        "uses_crypto": "涉及密码应用",
        "classified": "涉密",
        "fixed_asset_investment": "涉及固定资产投资",
        "excluded_kind": "排除情形",
        "in_annual_plan": "纳入年度建设计划",
        "mandated": "上级明确要求",
        "systems": "政务信息系统",
        "submitted_on": "申报日期",
        "route_choice": "建设单位选择的管理方式",
    }
)

# A pack's own status (the policy document's standing on the decision date).
PACK_STATUSES: Final[Mapping[str, str]] = MappingProxyType(
    {"in_force": "现行有效", "draft": "征求意见稿（未生效）", "repealed": "已废止"}
)
# A pack's sections as the 政策对比 page names them.
PACK_SECTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "document": "文件信息",
        "validity": "有效期",
        "status": "状态",
        "authorities": "职责",
        "facts": "项目事实",
        "parameters": "参数",
        "scope": "适用范围",
        "routes": "管理方式",
        "requirements": "程序与要求",
        "time_limits": "期限",
    }
)
# How two packs differ, item by item.
DIFF_KINDS: Final[Mapping[str, str]] = MappingProxyType(
    {"added": "新增", "removed": "删除", "changed": "修改", "moved": "顺序调整"}
)

# vocabulary.md "Tenants": a jurisdiction's level.
TENANT_LEVELS: Final[Mapping[str, str]] = MappingProxyType(
    {"province": "省", "city": "市", "county": "县（市、区）"}
)
