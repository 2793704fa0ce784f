"""Parse an uploaded file as what its first bytes claim it is, before it is accepted.

The first bytes only say what a file claims to be: an HTML page after an `ftyp` box starts like an MP4, and a
GIF header can be followed by anything. So each claim is checked by a real parser of that format:

- audio and video by FFmpeg's demuxer for the claimed container (PyAV): at least one audio or video stream, a
  duration, every packet read back intact, and the packets reaching the length the container states (a file cut
  short in copying states more than it holds; Ogg states no length, so its last page must mark the stream's end);
- pictures by Pillow: dimensions within `IMAGE_MAX_PIXELS` (checked before any pixel is decoded, so a small
  file that inflates to gigabytes costs nothing), the PNG chunk checksums, and for the other formats a decode
  (JPEG at an eighth of its size) that fails on missing data;
- PDFs by pypdf: the cross-reference table and the page tree, with at least one page.

Parsers of hostile input raise whatever they raise (ValueError, struct.error, IndexError...), so each parse
treats any exception as "does not parse"; the parsing call is the only code inside those `try` blocks.
The parsers are imported when first needed: FFmpeg's libraries are large, and most requests parse nothing.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from learning_app.transactions import RuleError

from .models import FileKind

IMAGE_MAX_PIXELS = 40_000_000  # a 40-megapixel photo decodes to 160 MB of RGBA: enough for any lesson picture
OGG_MAX_PAGE = 27 + 255 + 255 * 255
# Cut-off: packets may end this far short of the stated length (encoder padding, rounding of the last frame).
TRUNCATION_SLACK_SECONDS, TRUNCATION_SLACK_SHARE = 0.15, 0.005
MEDIA_DEMUXERS = {"video/mp4": "mp4", "audio/mp4": "mp4", "video/webm": "webm", "audio/ogg": "ogg",
                  "audio/mpeg": "mp3"}
MEDIA_TYPES = {  # demuxer -> (type of the file if it has video, if it has only audio)
    "mp4": (("video/mp4", "mp4"), ("audio/mp4", "m4a")),
    "webm": (("video/webm", "webm"), ("audio/webm", "webm")),
    "ogg": (("video/ogg", "ogv"), ("audio/ogg", "ogg")),
    "mp3": (None, ("audio/mpeg", "mp3")),
}
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
FORMAT_NAMES = {"mp4": "MP4", "webm": "WebM", "ogg": "Ogg", "mp3": "MP3", "PNG": "PNG", "JPEG": "JPEG",
                "GIF": "GIF", "WEBP": "WebP", "pdf": "PDF"}


class Unparsable(RuleError):
    """The file does not parse as what it claims; the message names the file and is for the user."""


@dataclass
class Parsed:
    kind: FileKind
    mime_type: str
    extension: str
    duration_seconds: int | None = None


def parse_upload(path: Path, kind: FileKind, mime_type: str, extension: str, name: str) -> Parsed:
    """What the file at `path` really is, given what its first bytes claim; Unparsable if it is not that."""
    if mime_type in MEDIA_DEMUXERS:
        return parse_media(path, MEDIA_DEMUXERS[mime_type], name)
    if mime_type in IMAGE_FORMATS:
        parse_image(path, IMAGE_FORMATS[mime_type], name)
    elif mime_type == "application/pdf":
        parse_pdf(path, name)
    return Parsed(kind, mime_type, extension)


def _damaged(name: str, file_format: str) -> Unparsable:
    return Unparsable(_("“%(name)s” could not be read as a %(format)s file: it is damaged or is not what its "
                        "name and first bytes say.", name=name, format=FORMAT_NAMES[file_format]))


def _cut_short(name: str) -> Unparsable:
    return Unparsable(_("“%(name)s” is incomplete: it ends before its content does, as a file cut short while "
                        "copying or downloading does. Upload the complete file.", name=name))


# --- audio and video -------------------------------------------------------------------------------

def parse_media(path: Path, demuxer: str, name: str) -> Parsed:
    import av
    try:
        # Tags in another encoding than UTF-8 (a title written by a GBK encoder) say nothing of the media.
        with av.open(str(path), format=demuxer, metadata_errors="ignore") as container:
            found = _media_found(container)
    except Exception:  # noqa: BLE001 - hostile input: whatever the parser raises, the file does not parse
        raise _damaged(name, demuxer) from None
    has_stream, has_video, stated, played = found
    if not has_stream:
        raise Unparsable(_("“%(name)s” holds no audio or video.", name=name))
    if played is None or (stated and played < stated - _slack(stated)):
        raise _cut_short(name)
    if demuxer == "ogg" and not _ogg_stream_ends(path):
        raise _cut_short(name)
    seconds = stated or played
    if not seconds:
        raise Unparsable(_("The length of “%(name)s” could not be read.", name=name))
    with_video, audio_only = MEDIA_TYPES[demuxer]
    mime_type, extension = with_video if has_video and with_video else audio_only
    return Parsed(FileKind.VIDEO if has_video else FileKind.AUDIO, mime_type, extension, max(1, round(seconds)))


def _media_found(container) -> tuple[bool, bool, float | None, float | None]:
    """(any audio or video stream, any video, seconds the container states, seconds its packets span).

    Plain values only: a stream object must not outlive its container, whose streams FFmpeg frees on close.
    """
    streams = [stream for stream in container.streams if _is_media(stream)]
    if not streams:
        return False, False, None, None
    has_video = any(stream.type == "video" for stream in streams)
    return True, has_video, _stated_seconds(container), _demux_to_the_end(container, streams)


def _slack(stated: float) -> float:
    return min(2.0, TRUNCATION_SLACK_SECONDS + stated * TRUNCATION_SLACK_SHARE)


def _is_media(stream) -> bool:
    """Audio or moving pictures: an MP3's or M4A's cover art is a one-frame 'video' stream, not a video."""
    import av
    cover_art = stream.disposition & av.stream.Disposition.attached_pic
    return stream.type == "audio" or (stream.type == "video" and not cover_art)


def _stated_seconds(container) -> float | None:
    return container.duration / 1_000_000 if container.duration and container.duration > 0 else None


def _demux_to_the_end(container, streams) -> float | None:
    """Seconds the packets of `streams` span, reading every packet; None when one is missing part of its data."""
    wanted = {stream.index for stream in streams}
    start = (container.start_time or 0) / 1_000_000
    end = 0.0
    for packet in container.demux():
        if packet.stream.index not in wanted or packet.size == 0:
            continue
        if packet.is_corrupt:
            return None
        if packet.pts is not None and packet.time_base is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return max(0.0, end - start)


def _ogg_stream_ends(path: Path) -> bool:
    """Whether the file ends with a whole Ogg page flagged 'end of stream', as every finished Ogg file does."""
    size = path.stat().st_size
    with open(path, "rb") as source:
        source.seek(max(0, size - OGG_MAX_PAGE))
        tail = source.read()
    at = tail.rfind(b"OggS")
    while at >= 0:
        header = tail[at:at + 27]
        if len(header) == 27:
            segments = tail[at + 27:at + 27 + header[26]]
            if at + 27 + header[26] + sum(segments) == len(tail):
                return bool(header[5] & 0x04)
        at = tail.rfind(b"OggS", 0, at)
    return False


# --- pictures and PDFs -----------------------------------------------------------------------------

def parse_image(path: Path, image_format: str, name: str) -> None:
    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=[image_format]) as image:
                if image.width * image.height > IMAGE_MAX_PIXELS:
                    raise _too_many_pixels(name)
                if min(image.size) < 1:
                    raise _damaged(name, image_format)
                _decode(image, image_format)
    except Unparsable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # noqa: BLE001 - see the module's note
        raise _damaged(name, image_format) from None


def _too_many_pixels(name: str) -> Unparsable:
    return Unparsable(_("“%(name)s” has too many pixels: a picture may have at most %(limit)s million.",
                        name=name, limit=IMAGE_MAX_PIXELS // 1_000_000))


def _decode(image, image_format: str) -> None:
    """Fail on a damaged or missing part of the picture, using as little memory as the format allows."""
    if image_format == "PNG":
        image.verify()  # every chunk's checksum, through the end marker, without inflating the pixels
        return
    if image_format == "JPEG":
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def parse_pdf(path: Path, name: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError
    try:
        with open(path, "rb") as source:  # given a path, pypdf would read the whole file into memory
            pages = len(PdfReader(source, strict=False).pages)
    except FileNotDecryptedError:
        raise Unparsable(_("“%(name)s” is protected by a password, so members could not open it.",
                           name=name)) from None
    except Exception:  # noqa: BLE001 - see the module's note
        raise _damaged(name, "pdf") from None
    if pages < 1:
        raise Unparsable(_("“%(name)s” has no pages.", name=name))
