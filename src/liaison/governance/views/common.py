from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from liaison.core.errors import ApplicationError
from liaison.governance.access import acting_org_ids, own_organisation
from liaison.governance.forms import Form
from liaison.governance.history import history_of


def governance_required(view):
    """Signed in, and acting for a party to partnership working (an LA, a DM unit, a government)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not acting_org_ids(request.user):
            raise PermissionDenied("Partnership working is for people at a party to the agreement.")
        return view(request, *args, **kwargs)

    return wrapped


def today():
    return timezone.localdate()


class _DryRun(Exception):
    pass


def attempt(form: Form, call, *, dry_run: bool = True):
    """Run a service call; a refusal's faults go onto the form. Returns the result, or None when refused.

    When the page itself found faults (a date that is not a real date), the service still runs, in a transaction
    that is always rolled back, so the person sees every fault at once; nothing it did is kept.
    """
    if form.errors:
        if dry_run:
            try:
                with transaction.atomic():
                    _collect(form, call)
                    raise _DryRun
            except _DryRun:
                pass
        return None
    return _collect(form, call)


def _collect(form: Form, call):
    try:
        return call()
    except ApplicationError as exc:
        if exc.status == 404:
            from django.http import Http404

            raise Http404(exc.message) from None
        if exc.status == 403 and not exc.extra.get("faults"):
            raise PermissionDenied(exc.message) from None
        form.add_faults(exc.extra.get("faults") or {"form": exc.message})
        return None


def page(request, template: str, context: dict, form: Form | None = None, status: int = 200):
    ctx = dict(context)
    if form is not None:
        ctx.update(form.context())
    ctx.setdefault("today", today())
    ctx.setdefault("own_org", own_organisation(request.user))
    return render(request, template, ctx, status=status)


def history(subject):
    return list(history_of(subject)[:300])
