"""What an official document (公文) says, element by element of GB/T 9704-2012 (clause 7)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class Attachment(BaseModel):
    """An attachment (附件): named in the 附件说明, set on pages of its own (7.4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    paragraphs: list[str] = Field(default_factory=list)


class OfficialDocument(BaseModel):
    """The elements of a document, in the order GB/T 9704-2012 sets them.

    Plain data, so that the service that decides a document can put it in an
    event and the ones that print it (the archive's PDF, the console's print
    view) lay out the same content.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(description="发文机关全称（署名、印发机关所用）")
    mark: str = Field(description="发文机关标志（版头，红色），如“××局文件”")
    number: str = Field(
        default="",
        description="发文字号，如“郁政数立〔2026〕3号”；空：不是发文（报告、记录），版头不印文号",
    )
    title: str = Field(description="标题")
    recipients: list[str] = Field(description="主送机关")
    paragraphs: list[str] = Field(description="正文，一段一项")
    attachments: list[Attachment] = Field(default_factory=list, description="附件")
    signed_on: date = Field(description="成文日期")
    copy_to: list[str] = Field(default_factory=list, description="抄送机关")
    printer: str = Field(description="印发机关")
    printed_on: date = Field(description="印发日期")
