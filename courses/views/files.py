"""Serving uploaded material to those allowed to see it, with ranges and safe headers."""
from urllib.parse import quote

from flask import abort, send_file
from flask_login import current_user, login_required

from ..models import FileKind
from ..permissions import get_file_or_404
from ..uploads import storage_path
from . import bp

INLINE_KINDS = {FileKind.IMAGE, FileKind.AUDIO, FileKind.VIDEO, FileKind.PDF}


@bp.route("/files/<int:file_id>")
@bp.route("/files/<int:file_id>/<path:name>")
@login_required
def serve_file(file_id, name=None):
    stored = get_file_or_404(file_id, current_user)
    path = storage_path(stored.storage_name)
    if not path.is_file():
        abort(404)  # the record outlived its file (a restore without uploads): say so, do not crash
    inline = stored.kind in INLINE_KINDS
    # conditional=True answers Range requests with 206, so video seeking works.
    response = send_file(path, mimetype=stored.mime_type, conditional=True,
                         etag=stored.sha256, max_age=3600)
    disposition = "inline" if inline else "attachment"
    # The name ends in the extension of what the content is, whatever the uploader called it.
    stem = stored.original_name.rsplit(".", 1)[0] or "file"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"file-{stored.id}.{stored.extension}\"; "
        f"filename*=UTF-8''{quote(stem + '.' + stored.extension)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    if stored.kind != FileKind.PDF:  # the browser's PDF viewer does not run in a sandbox
        response.headers["Content-Security-Policy"] = "default-src 'none'; media-src 'self'; img-src 'self'; sandbox"
    return response
