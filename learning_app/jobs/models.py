"""One row per piece of long work run in the background (a roster import, a count rebuild): who started
it, where it stands, and what came of it, so that the page that started it can show its progress and result."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import LabelledEnum, _enum_column
from ..timezones import utcnow


class JobState(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # refused (the rows' errors, an unreadable file) or crashed: nothing of it was kept


JobState.LABELS = {"queued": _l("Waiting for a worker"), "running": _l("Running"), "done": _l("Done"),
                   "failed": _l("Stopped, nothing kept")}
JobState.ZH = {"queued": "等待执行", "running": "进行中", "done": "已完成", "failed": "未完成"}
FINISHED = (JobState.DONE, JobState.FAILED)


class JobRun(db.Model):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_started_by", "started_by_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # Who started it (None: a command on the server); only they and the admins see it.
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[JobState] = _enum_column(JobState, default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Counts when done; {"errors": [[row, reason], ...]} or {"message": ...} when failed.
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    started_by = relationship("User", lazy="raise")

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def can_see(self, user) -> bool:
        return user.is_authenticated and (user.id == self.started_by_id or user.is_admin)

    def __repr__(self):
        return f"<JobRun {self.id} {self.kind} {self.state}>"
