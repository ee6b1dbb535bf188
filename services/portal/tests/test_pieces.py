"""The console's own small rules: signed sessions, amounts as people read them, form checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.datastructures import FormData, UploadFile

from libs.common.settings import SERVICES, CommonSettings
from libs.vocab import format_amount as money
from services.portal import session
from services.portal.app import create_app
from services.portal.charts import bar_chart
from services.portal.client import ApiError
from services.portal.pages.forms import FormErrors, project_payload
from services.portal.settings import PortalSettings
from services.portal.web import templates


def test_a_session_cookie_signed_by_another_secret_reads_as_empty() -> None:
    cookie = session.encode("secret-a", {"token": "t"})
    assert session.decode("secret-a", cookie) == {"token": "t"}
    assert session.decode("secret-b", cookie) == {}
    payload, mac = cookie.rsplit(".", 1)
    assert session.decode("secret-a", payload[:-2] + "xx." + mac) == {}


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (800_000, "80万元（800,000元）"),
        (1_000_000, "100万元（1,000,000元）"),
        (12_345, "1.2345万元（12,345元）"),
        (9_999, "0.9999万元（9,999元）"),
        (0, "0元"),
        (None, "—"),
    ],
)
def test_amounts_read_in_wan_yuan(amount: int | None, text: str) -> None:
    assert money(amount) == text


def _form(**fields: str | list[str]) -> FormData:
    items: list[tuple[str, str | UploadFile]] = []
    for k, v in fields.items():
        items.extend((k, x) for x in (v if isinstance(v, list) else [v]))
    return FormData(items)


def _project_form(**fields: str | list[str]) -> FormData:
    """A professional software project's form for 2027, with ``fields`` typed over it."""
    typical: dict[str, str | list[str]] = {
        "name": "平台",
        "unit_id": "u",
        "year": "2027",
        "project_class": "professional",
        "service_types": ["software_development"],
    }
    return _form(**(typical | fields))


@pytest.mark.parametrize("typed", ["80万", "80万元", "800,000", "800000", "80 万元"])
def test_an_amount_is_understood_in_wan_or_yuan(typed: str) -> None:
    body = project_payload(_project_form(amount=typed))
    assert body["facts"]["amount"] == 800_000


def test_an_amount_in_chinese_numerals_is_refused_in_chinese() -> None:
    with pytest.raises(FormErrors) as caught:
        project_payload(_project_form(amount="八十万"))
    assert "总投资请用阿拉伯数字填写" in caught.value.errors["amount"]


def test_software_above_the_total_is_refused() -> None:
    with pytest.raises(FormErrors) as caught:
        project_payload(_project_form(amount="100", software_amount="200"))
    assert "不能超过总投资" in caught.value.errors["software_amount"]


def test_a_complete_form_becomes_the_registry_body_in_integer_yuan() -> None:
    body = project_payload(
        _form(
            name=" 平台 ",
            unit_id="u",
            year="2027",
            project_class="public",
            amount="800,000",
            service_types=["software_development"],
            uses_crypto="on",
        )
    )
    assert body["name"] == "平台" and body["facts"]["amount"] == 800_000
    assert body["facts"]["uses_crypto"] is True and body["facts"]["classified"] is False


def test_charts_escape_their_labels_and_describe_themselves() -> None:
    svg = str(bar_chart("项目数", [("<郁南县>", 3, "3个")]))
    assert "&lt;郁南县&gt;" in svg and 'role="img"' in svg and "项目数" in svg


def test_a_hand_edited_address_is_answered_in_chinese(tmp_path: Path) -> None:
    settings = PortalSettings(
        session_secret="s", service_urls={s: "http://127.0.0.1:9" for s in SERVICES}
    )
    app = create_app(settings, CommonSettings(home=tmp_path))
    with TestClient(app) as client:
        missing = client.get("/no-such-page")
        assert missing.status_code == 404 and "没有这个页面" in missing.text
        wrong = client.get("/steps/abc", follow_redirects=False)  # no session: log in first
        assert wrong.status_code in (303, 307) and wrong.headers["location"].startswith("/login")
        # A cookie signed by anyone else is no session.
        client.cookies.set(session.COOKIE, session.encode("other", {"token": "x"}))
        forged = client.get("/projects", follow_redirects=False)
        assert forged.status_code == 303 and forged.headers["location"] == "/login?next=/projects"
        # The issuer cannot be reached: the login says so in Chinese instead of failing.
        login = client.get("/login")
        assert login.status_code == 503 and "身份认证服务暂不可用" in login.text


@pytest.mark.parametrize(
    ("detail", "shown"),
    [
        ("year: 2027", "建设年度：2027"),
        ("body.facts.amount: 须为整数; name: 不能为空", "总投资：须为整数; 项目名称：不能为空"),
        ("evidence_document_ids[0]: 文件不存在", "证明文件：文件不存在"),
        ("step 72186e29-aaaa-4bbb-8ccc-123456789abc: 专家论证须先指定专家", "专家论证须先指定专家"),
    ],
)
def test_a_problem_names_fields_by_their_form_labels_and_no_ids(detail: str, shown: str) -> None:
    assert ApiError(422, "输入数据不合法", detail).labelled_detail == shown


def test_templates_show_labels_amounts_and_beijing_time_never_codes() -> None:
    page = templates.env.from_string(
        '{{ s|label("state") }}|{{ u|label("state") }}|{{ r|labels("role") }}|{{ n|money }}|{{ t|cst }}'
    ).render(
        s="approved",
        u="half_done",
        r=["auditor", "finance_officer"],
        n=780_000,
        t="2026-12-04T13:04:15.776290+00:00",
    )
    assert page == "已立项|其他状态|审计、财政|78万元（780,000元）|2026-12-04 21:04"


def test_hostile_file_names_are_shown_in_their_true_order() -> None:
    from services.portal.web import templates

    page = templates.env.from_string("<td>{{ name }}</td>").render(
        name="合同\u202efdp.exe\u2028第二行<script>"
    )
    assert page == "<td>合同fdp.exe 第二行&lt;script&gt;</td>"
