"""Reading documents out of a multipart upload, within the limits, before anything is saved."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import InvalidRequest, Malformed, TooLarge

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        },
    }
}

MULTIPART_OVERHEAD = 64 * 1024
"""Bytes a multipart request may carry beyond its files' content (part headers and boundaries)."""


async def read_uploads(request: Request, max_files: int, max_bytes: int) -> list[tuple[str, bytes]]:
    """The ``(file name, content)`` pairs of a multipart upload; each content holds at most ``max_bytes + 1`` bytes,
    enough for ``add_documents`` to tell that a file is too large."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidRequest("send the documents as multipart/form-data in the field 'files' (curl -F files=@a.pdf)")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_files * (max_bytes + MULTIPART_OVERHEAD):
        raise TooLarge(
            f"the upload is {length} bytes: at most {max_files} files of {max_bytes} bytes each are accepted"
        )
    try:
        form = await request.form(max_files=max_files + 1, max_fields=100)
    except StarletteHTTPException as exc:
        if "Too many files" in str(exc.detail):
            raise TooLarge(f"too many files: at most {max_files} per upload") from exc
        raise Malformed(f"malformed multipart body: {exc.detail}") from exc
    try:
        parts = form.getlist("files")
        if not parts and any(isinstance(v, UploadFile) for _, v in form.multi_items()):
            raise InvalidRequest("send the documents in the multipart field named 'files'")
        if any(not isinstance(p, UploadFile) for p in parts):
            raise InvalidRequest("the field 'files' must hold files, not text")
        if len(parts) > max_files:
            raise TooLarge(f"too many files: {len(parts)}, at most {max_files} per upload")
        return [(p.filename or "", await p.read(max_bytes + 1)) for p in parts if isinstance(p, UploadFile)]
    finally:
        await form.close()
