"""Uploaded material: recognised by content and parsed (file_parsing), stored under random names outside static/."""
from __future__ import annotations

import hashlib
import os
import secrets
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from learning_app.transactions import RuleError

from .file_parsing import Parsed, Unparsable, parse_upload
from .models import FileKind

CHUNK = 1024 * 1024
DEFAULT_LIMITS = {  # bytes, per kind; UPLOAD_LIMITS in the config overrides
    FileKind.VIDEO: 1024 ** 3,
    FileKind.AUDIO: 300 * 1024 ** 2,
    FileKind.PDF: 100 * 1024 ** 2,
    FileKind.OFFICE: 50 * 1024 ** 2,
    FileKind.IMAGE: 10 * 1024 ** 2,
}
MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
OFFICE_FOLDERS = {"word/": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                  "xl/": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                  "ppt/": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")}
LEGACY_OFFICE = {"doc": "application/msword", "xls": "application/vnd.ms-excel",
                 "ppt": "application/vnd.ms-powerpoint"}


class UploadRefused(RuleError):
    """The file is not something we accept; the message is for the user."""


@dataclass
class Recognised:
    kind: FileKind
    mime_type: str
    extension: str


def _fixed(kind: FileKind, mime_type: str, extension: str):
    return lambda _head: Recognised(kind, mime_type, extension)


def _mp4(head: bytes) -> Recognised:
    if head[8:12] in MP4_AUDIO_BRANDS:
        return Recognised(FileKind.AUDIO, "audio/mp4", "m4a")
    return Recognised(FileKind.VIDEO, "video/mp4", "mp4")


def _is_mp3(head: bytes) -> bool:
    """An ID3 tag, or an MPEG audio frame header (sync bits set, layer not "reserved")."""
    return head.startswith(b"ID3") or (len(head) > 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                       and head[1] & 0x06 != 0)


# (do the first bytes match, what the file then is), tried in this order.
SIGNATURES = (
    (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), _fixed(FileKind.IMAGE, "image/png", "png")),
    (lambda head: head.startswith(b"\xff\xd8\xff"), _fixed(FileKind.IMAGE, "image/jpeg", "jpg")),
    (lambda head: head[:6] in (b"GIF87a", b"GIF89a"), _fixed(FileKind.IMAGE, "image/gif", "gif")),
    (lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP", _fixed(FileKind.IMAGE, "image/webp", "webp")),
    (lambda head: head.startswith(b"%PDF-"), _fixed(FileKind.PDF, "application/pdf", "pdf")),
    (lambda head: head[4:8] == b"ftyp", _mp4),
    (lambda head: head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64],
     _fixed(FileKind.VIDEO, "video/webm", "webm")),
    (lambda head: head.startswith(b"OggS"), _fixed(FileKind.AUDIO, "audio/ogg", "ogg")),
    (_is_mp3, _fixed(FileKind.AUDIO, "audio/mpeg", "mp3")),
)


def recognise(head: bytes, path: Path | None = None, filename: str = "") -> Recognised | None:
    """What the first bytes (and, for zip containers, the listing) say the file is."""
    for matches, recognised in SIGNATURES:
        if matches(head):
            return recognised(head)
    if head.startswith(b"PK\x03\x04") and path is not None:
        return _recognise_office_zip(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _recognise_legacy_office(filename)
    return None


def _recognise_legacy_office(filename: str) -> Recognised | None:
    """An OLE compound file says nothing of its kind in its first bytes: the extension decides."""
    extension = Path(filename).suffix.lower().lstrip(".")
    if extension in LEGACY_OFFICE:
        return Recognised(FileKind.OFFICE, LEGACY_OFFICE[extension], extension)
    return None


def _recognise_office_zip(path: Path) -> Recognised | None:
    # Only the directory is read, never the members, so a zip bomb costs nothing here.
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for folder, (extension, mime_type) in OFFICE_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return Recognised(FileKind.OFFICE, mime_type, extension)
    return None


def human_size(size: int) -> str:
    for unit, factor in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def storage_path(storage_name: str) -> Path:
    return upload_root() / storage_name[:2] / storage_name


def limit_for(kind: FileKind) -> int:
    limits = current_app.config.get("UPLOAD_LIMITS") or {}
    return int(limits.get(kind.value, DEFAULT_LIMITS[kind]))


@dataclass
class SavedUpload:
    storage_name: str
    recognised: Recognised
    size: int
    sha256: str
    duration_seconds: int | None


def save_upload(stream, filename: str, allowed: set[FileKind]) -> SavedUpload:
    """Copy the upload to disk in chunks, checking its size, then parse it; refuse what does not fit or parse."""
    root = upload_root()
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    storage_name = secrets.token_hex(16)
    temporary = root / "tmp" / storage_name
    try:
        head, size, sha256 = _copy_checked(stream, temporary, filename, allowed)
        parsed = _parse_checked(temporary, head, filename, allowed, size)
        final = storage_path(storage_name)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, final)
    finally:
        if temporary.exists():
            temporary.unlink()
    recognised = Recognised(parsed.kind, parsed.mime_type, parsed.extension)
    return SavedUpload(storage_name, recognised, size, sha256, parsed.duration_seconds)


def _not_accepted(filename: str) -> UploadRefused:
    return UploadRefused(_("“%(name)s” is not a file type we accept: its content is not an image, "
                           "audio, video, PDF or office document.", name=filename))


def _check_kind_and_size(filename: str, kind: FileKind, allowed: set[FileKind], size: int) -> None:
    if kind not in allowed:
        raise UploadRefused(_("“%(name)s” is a %(kind)s file, which is not accepted here.",
                              name=filename, kind=kind.label))
    limit = limit_for(kind)
    if size > limit:
        raise UploadRefused(_("“%(name)s” is larger than %(limit)s.", name=filename, limit=human_size(limit)))


def _kind_while_copying(claimed: FileKind, allowed: set[FileKind]) -> FileKind:
    """The kind whose limits apply while the file is copied. The first bytes of a media container do not
    say whether it holds video (a WebM or MP4 may be sound alone, an Ogg may be a film): the parser decides
    that once the file is on disk, so an allowed media kind stands in until then."""
    media = {FileKind.AUDIO, FileKind.VIDEO}
    if claimed in media and claimed not in allowed and allowed & media:
        return max(allowed & media, key=limit_for)
    return claimed


def _copy_checked(stream, temporary: Path, filename: str, allowed: set[FileKind]) -> tuple[bytes, int, str]:
    """Write the upload to `temporary`, refusing early what its first bytes or its size rule out."""
    digest, size = hashlib.sha256(), 0
    with open(temporary, "wb") as out:
        head = stream.read(CHUNK)
        zipped = head.startswith(b"PK\x03\x04")  # an office document: its listing is read once it is on disk
        probe = Recognised(FileKind.OFFICE, "", "") if zipped else recognise(head, None, filename)
        if probe is None:
            raise _not_accepted(filename)
        kind = _kind_while_copying(probe.kind, allowed)
        _check_kind_and_size(filename, kind, allowed, 0)
        chunk = head
        while chunk:
            size += len(chunk)
            _check_kind_and_size(filename, kind, allowed, size)
            digest.update(chunk)
            out.write(chunk)
            chunk = stream.read(CHUNK)
    return head, size, digest.hexdigest()


def _parse_checked(temporary: Path, head: bytes, filename: str, allowed: set[FileKind], size: int) -> Parsed:
    """Parse the whole file as what its first bytes claim (file_parsing); its kind may then be narrower."""
    claimed = recognise(head, temporary, filename)
    if claimed is None:
        raise _not_accepted(filename)
    try:
        parsed = parse_upload(temporary, claimed.kind, claimed.mime_type, claimed.extension, filename)
    except Unparsable as error:
        raise UploadRefused(str(error)) from None
    _check_kind_and_size(filename, parsed.kind, allowed, size)
    return parsed


@contextmanager
def discarded_if_refused(storage_name: str):
    """A file just saved for a change the rules may still refuse: the refusal removes it from disk again
    (its row is rolled back by learning_app.transactions), and goes on to the caller."""
    try:
        yield
    except RuleError:
        remove_stored(storage_name)
        raise


def remove_stored(storage_name: str) -> None:
    path = storage_path(storage_name)
    if path.exists():
        path.unlink()
