"""Django's database sessions, read with SQL compiled once per thread (``SESSION_ENGINE``).

Every signed-in request reads its session row; Django compiles that lookup anew each time
(kobling.tenancy.compiled). The row is the same, and so is the rule: a session past its expiry
date is no session."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from kobling.tenancy.compiled import TEXT_MARKER, CompiledQuery

_ROW = CompiledQuery(
    lambda key: Session.objects.filter(session_key=key).values_list("session_data", "expire_date"),
    marker=TEXT_MARKER,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        key = self.session_key
        if key:
            rows = _ROW.rows(key, using=router.db_for_read(Session))
            if rows and rows[0][1] > timezone.now():
                data, expires = rows[0]
                return Session(session_key=key, session_data=data, expire_date=expires)
        self._session_key = None
        return None
