"""What an evidence file may be: its size and type, checked by name and by its first bytes.

A file is refused with a message a person can act on ("The selected file must be smaller than 10MB"), before
anything is written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

MAX_BYTES = getattr(settings, "LIAISON_MAX_EVIDENCE_BYTES", 10 * 1024 * 1024)
MAX_FILES_PER_UPLOAD = 10

# extension -> (content type, leading bytes it must start with, or None where any text will do)
ZIP = (b"PK\x03\x04",)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".csv": ("text/csv", None),
    ".txt": ("text/plain", None),
    ".eml": ("message/rfc822", None),
}
ALLOWED_LABEL = "PDF, Word (DOCX), Excel (XLSX), OpenDocument, CSV, text, e-mail (EML), PNG or JPEG"


def check_upload(upload) -> tuple[str | None, str]:
    """(fault or None, content type) for an uploaded file."""
    name = Path(upload.name or "").name
    ext = Path(name).suffix.lower()
    if not name:
        return "The selected file has no name", ""
    if ext not in ALLOWED:
        return f"{name} must be a {ALLOWED_LABEL} file", ""
    size = upload.size or 0
    if size == 0:
        return f"{name} is empty", ""
    if size > MAX_BYTES:
        return f"{name} must be smaller than {MAX_BYTES // (1024 * 1024)}MB", ""
    content_type, signatures = ALLOWED[ext]
    head = _head(upload, 16)
    if signatures is not None and not any(head.startswith(sig) for sig in signatures):
        return f"{name} is not a real {ext[1:].upper()} file", ""
    if signatures is None and b"\x00" in _head(upload, 4096):
        return f"{name} must be a text file", ""
    return None, content_type


def _head(upload, n: int) -> bytes:
    upload.seek(0)
    data = upload.read(n)
    upload.seek(0)
    return data


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
