"""Attachments served through an access check, never straight from the media folder."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from documents.models import Attachment
from documents.permissions import can_view_document
from documents.views.common import HtmxHttpRequest
from documents.views.task_detail import INLINE_IMAGES, INLINE_PDF


@require_GET
@login_required
# The task page shows PDFs in an <object>: framing by the same site only.
@xframe_options_sameorigin
def attachment_view(request: HtmxHttpRequest, attachment_id: int) -> FileResponse:
    """The file, inline for PDFs and images, for whoever may see its document.

    Anyone else gets 404, as for a missing file. The content type is the one detected
    when the file was stored, never the browser's guess (`nosniff`); other types are
    sent as a download so a stored file can never run as a page of this site.
    """
    attachment = (
        Attachment.objects.select_related("document")
        .filter(pk=attachment_id, company__is_active=True)
        .first()
    )
    if attachment is None or not can_view_document(
        user=request.user, document=attachment.document
    ):
        raise Http404("No such attachment.")
    inline = attachment.content_type == INLINE_PDF or (
        attachment.content_type in INLINE_IMAGES
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Private documents: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
