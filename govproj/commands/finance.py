"""`govproj finance`: a simulated finance system, and the integration contract's document."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation

import typer

from govproj.commands.events import asyncapi

app = typer.Typer(no_args_is_help=True)


@app.command("simulate")
def simulate(
    tenant: str = typer.Option(..., help="行政区划代码，如 445322"),
    outcome: str = typer.Option("approve", help="approve / return / reject"),
    ratio: str = typer.Option("1", help="核定金额占申请金额的比例（approve），如 0.8"),
    years: int = typer.Option(1, min=1, max=10, help="资金分几个年度安排"),
    first_year: int = typer.Option(0, help="首个安排年度（默认明年）"),
    count: int = typer.Option(0, min=0, help="答复几件后退出（0：一直运行）"),
    seconds: float = typer.Option(0, min=0, help="运行几秒后退出（0：不限）"),
    nats_url: str = typer.Option("", help="NATS 地址（默认 GOVPROJ_NATS_URL）"),
    durable: str = typer.Option("", help="JetStream 持久消费者名（默认 finance_sim_<tenant>）"),
    from_now: bool = typer.Option(False, help="只答复启动之后的请求（新建的消费者）"),
) -> None:
    """像财政系统一样答复资金审核请求（嵌入式环境与测试使用）。"""
    from libs.common.settings import CommonSettings
    from services.budget.finance.simulator import Policy
    from services.budget.finance.simulator import simulate as run

    if outcome not in ("approve", "return", "reject"):
        raise typer.BadParameter("须为 approve、return 或 reject", param_hint="--outcome")
    try:
        share = Decimal(ratio)
    except InvalidOperation:
        raise typer.BadParameter("须为小数，如 0.8", param_hint="--ratio") from None
    if not Decimal(0) < share <= Decimal(1):
        raise typer.BadParameter(
            "须大于 0 且不超过 1（核定金额不超过申请金额）", param_hint="--ratio"
        )
    policy = Policy(outcome=outcome, ratio=share, years=years, first_year=first_year or None)  # type: ignore[arg-type]
    settings = CommonSettings()
    url = nats_url or settings.nats_connect_url()
    users_file = settings.home / "nats-users.json"
    if "@" not in url and users_file.exists():
        # The embedded server (govproj dev up) requires users: act as its finance user,
        # which may publish answers (finance.>) and nothing of the platform's.
        from libs.common.events import NatsUsers

        url = NatsUsers.load_or_create(users_file).url(url, "finance")
    answered = asyncio.run(
        run(
            url,
            tenant,
            policy,
            count=count or None,
            seconds=seconds or None,
            durable=durable or None,
            from_now=from_now,
            on_ready=lambda: typer.echo(f"listening for review requests of {tenant}"),
        )
    )
    typer.echo(f"answered {answered} review request(s) for {tenant}")


# The same command as `govproj events asyncapi` (the finance contract is part of that document).
app.command("asyncapi")(asyncapi)
