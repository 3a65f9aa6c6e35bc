"""Django's model backend, with the signed-in user read by SQL compiled once per thread.

Every signed-in request reads its user by the id in the session (``get_user``); Django compiles
that lookup anew each time (kobling.tenancy.compiled). Same row, same rule (an inactive user is
no user)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import router

from kobling.tenancy.compiled import CompiledQuery

_USER = CompiledQuery(lambda pk: get_user_model()._default_manager.filter(pk=pk))


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> Any:  # noqa: ANN401
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        found = _USER.instances(pk, using=router.db_for_read(model))
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
