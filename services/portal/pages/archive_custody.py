"""Custody of archived documents: versions, legal hold, disposal, and fixity audits.

A document's page lists every version (each downloadable, with its retention
lock and hold). The bureau sets and lifts legal holds (archive.hold) and
disposes of a document whose retention has ended (bureau.decide); the archive
refuses a disposal while any version is locked or held, and the page shows
that refusal as it comes. A fixity audit re-reads stored bytes against their
digests: the bureau's custody duty and the auditor's own finding (archive.audit,
ADR 0008). Every rule is the archive's; the console only shows who may ask.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.portal.pages.forms import NOTHING, Shown, answer_or_refusal
from services.portal.pages.projects import READERS
from services.portal.pages.streams import forward_upload, stream_through
from services.portal.web import CurrentUser, User, render

router = APIRouter(include_in_schema=False)

#: ADR 0008: holds and disposal are the bureau's; fixity audits the bureau's and the auditor's.
HOLDERS = ("bureau_officer",)
DISPOSERS = ("bureau_officer",)
AUDITORS = ("bureau_officer", "auditor")
WRITERS = ("unit_officer", "bureau_officer")


async def _document_page(
    request: Request,
    user: User,
    document_id: str,
    shown: Shown = NOTHING,
) -> HTMLResponse:
    user.require(*READERS)
    document = await user.api.get("archive", f"/v1/documents/{document_id}")
    versions = await user.api.get("archive", f"/v1/documents/{document_id}/versions")
    return render(
        request,
        "archive/document.html",
        user,
        shown.status,
        title=document["title"],
        document=document,
        versions=sorted(versions, key=lambda v: v["seq"], reverse=True),
        project_id=_project_of(document),
        holders=HOLDERS,
        disposers=DISPOSERS,
        writers=WRITERS,
        **shown.context(),
    )


def _project_of(document: dict[str, Any]) -> str | None:
    attachments = document.get("attachments") or []
    return str(attachments[0]["project_id"]) if attachments else None


@router.get("/archive/documents/{document_id}", response_class=HTMLResponse)
async def document_page(request: Request, user: CurrentUser, document_id: str) -> HTMLResponse:
    done = {
        "hold": "已设置法律保全。",
        "release": "已解除法律保全。",
        "version": "新版本已存入电子档案。",
    }.get(request.query_params.get("done", ""))
    return await _document_page(request, user, document_id, Shown(notice=done))


@router.get("/documents/{document_id}/versions/{version_id}/content")
async def download_version(user: CurrentUser, document_id: str, version_id: str) -> Response:
    return stream_through(
        *await user.api.stream(
            "archive", f"/v1/documents/{document_id}/versions/{version_id}/content"
        )
    )


@router.post("/archive/documents/{document_id}/versions/{version_id}/hold", response_model=None)
async def legal_hold(
    request: Request, user: CurrentUser, document_id: str, version_id: str
) -> Response:
    form = await request.form()
    on = form.get("on") == "true"
    sent = await answer_or_refusal(
        user.api.request(
            "PUT",
            "archive",
            f"/v1/documents/{document_id}/versions/{version_id}/legal-hold",
            json={"on": on},
        )
    )
    if isinstance(sent, Shown):
        return await _document_page(request, user, document_id, sent)
    done = "hold" if on else "release"
    return RedirectResponse(f"/archive/documents/{document_id}?done={done}", status_code=303)


@router.post("/archive/documents/{document_id}/versions")
async def add_version(request: Request, user: CurrentUser, document_id: str) -> JSONResponse:
    """A new version, streamed to the archive as uploads are (static/portal.js sends it
    with a progress bar and opens the page again once it is stored)."""
    return await forward_upload(request, user, f"/v1/documents/{document_id}/versions")


@router.post("/archive/documents/{document_id}/dispose", response_class=HTMLResponse)
async def dispose(request: Request, user: CurrentUser, document_id: str) -> HTMLResponse:
    form = await request.form()
    if form.get("confirm") != "yes":
        unconfirmed = "请勾选“确认处置”：处置后文件的全部版本将被删除，不能恢复"
        return await _document_page(request, user, document_id, Shown(unconfirmed, status=400))
    document = await user.api.get("archive", f"/v1/documents/{document_id}")
    sent = await answer_or_refusal(
        user.api.request("DELETE", "archive", f"/v1/documents/{document_id}")
    )
    if isinstance(sent, Shown):
        return await _document_page(request, user, document_id, sent)
    return render(
        request,
        "archive/disposed.html",
        user,
        title="文件已处置",
        document=document,
        project_id=_project_of(document),
    )


async def _fixity_page(
    request: Request,
    user: User,
    shown: Shown = NOTHING,
    *,
    audit: dict[str, Any] | None = None,
) -> HTMLResponse:
    user.require(*AUDITORS)
    findings = await user.api.get("archive", "/v1/fixity/findings", limit=200)
    return render(
        request,
        "archive/fixity.html",
        user,
        shown.status,
        title="固定性审计",
        findings=findings,
        audit=audit,
        **shown.context(),
    )


@router.get("/archive/fixity", response_class=HTMLResponse)
async def fixity_page(request: Request, user: CurrentUser) -> HTMLResponse:
    return await _fixity_page(request, user)


@router.post("/archive/fixity", response_class=HTMLResponse)
async def run_audit(request: Request, user: CurrentUser) -> HTMLResponse:
    form = await request.form()
    raw = str(form.get("batch_size") or "100").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 10000:
        unfit = "每批核验的对象数须为1至10000之间的整数"
        return await _fixity_page(request, user, Shown(unfit, status=400))
    audit = await answer_or_refusal(
        user.api.post("archive", "/v1/fixity/audits", {"batch_size": int(raw)})
    )
    if isinstance(audit, Shown):
        return await _fixity_page(request, user, audit)
    return await _fixity_page(request, user, audit=audit)
