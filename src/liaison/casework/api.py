"""The changes of circumstances API for LA systems (`/api/v1/changes/`). Thin: the services do the work.

POST one change (the fields of the Appendix 7 form, as the web form and the file send them); GET your authority's
changes (DM users see all), newest first, and one change with what DM did with it.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from liaison.casework import selectors
from liaison.casework.models import ChangeOfCircumstances, ChangeStatus, Channel
from liaison.casework.services import change_notify
from liaison.casework.validation import FIELDS, KIND_VALUES, VALUE_FOR_KIND
from liaison.core.api import StrictJSONParser
from liaison.core.identifiers import normalise_nino

MAX_JSON_BYTES = 16 * 1024


class NewestReceivedFirst(CursorPagination):
    ordering = ("-received_at", "-id")


def _input_serializer():
    fields = {}
    for f in FIELDS:
        help_text = f"{f.label}. {f.help}".strip(". ") if f.help else f.label
        if f.name == "change":
            fields[f.name] = serializers.ChoiceField(choices=list(KIND_VALUES), help_text=help_text)
        else:
            fields[f.name] = serializers.CharField(required=f.required, allow_blank=not f.required,
                                                   help_text=help_text)
    return type("ChangeInputSerializer", (serializers.Serializer,), fields)


ChangeInputSerializer = _input_serializer()


class ChangeFaultSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    message = serializers.CharField()


RefusalSerializer = inline_serializer("ChangeRefused", {
    "detail": serializers.CharField(),
    "faults": ChangeFaultSerializer(many=True, required=False, help_text="Every fault, by field (absent when the "
                                                                          "body itself could not be read)")})


class ChangeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField()
    case_reference = serializers.CharField(source="case.reference")
    debt_reference = serializers.CharField(source="debt.reference")
    la_code = serializers.CharField(source="la.code")
    change = serializers.SerializerMethodField(help_text="The kind of change: " + ", ".join(KIND_VALUES))
    change_label = serializers.CharField(source="get_kind_display")
    site_code = serializers.CharField(source="site.code", help_text="The CCG site it was sent to.")
    site_name = serializers.CharField(source="site.name")
    status_label = serializers.CharField(source="get_status_display")
    debt_status = serializers.CharField(source="debt.status")
    debt_balance_pence = serializers.IntegerField(source="debt.balance_pence")

    class Meta:
        model = ChangeOfCircumstances
        fields = ["id", "reference", "case_reference", "debt_reference", "la_code", "la_reference", "customer_name",
                  "nino", "change", "change_label", "la_told_on", "details", "officer_name", "channel",
                  "received_at", "site_code", "site_name", "due_on", "status", "status_label", "actioned_at",
                  "effect", "decision", "outcome", "outcome_amount_pence", "debt_status", "debt_balance_pence"]

    def get_change(self, obj) -> str:
        return VALUE_FOR_KIND[obj.kind]


def _la(request):
    if not request.user.is_la_user or not request.user.organisation_id:
        raise PermissionDenied("Only a Local Authority's users and systems can send a change of circumstances.")
    return request.user.organisation


class ChangeListCreate(generics.ListAPIView):
    """Your authority's changes of circumstances, newest first (DM users see all)."""

    serializer_class = ChangeSerializer
    parser_classes = (StrictJSONParser,)
    pagination_class = NewestReceivedFirst

    def get_queryset(self):
        qs = selectors.changes_for(self.request.user).select_related("la", "site", "case", "debt")
        status_ = self.request.query_params.get("status")
        if status_:
            if status_ not in ChangeStatus.values:
                raise ValidationError({"status": [f"Unknown status; use one of {', '.join(ChangeStatus.values)}"]})
            qs = qs.filter(status=status_)
        ref = self.request.query_params.get("la_reference")
        if ref:
            qs = qs.filter(la_reference=ref[:40])
        nino = self.request.query_params.get("nino")
        if nino:
            qs = qs.filter(nino=normalise_nino(nino)[:9])
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=ChangeStatus.values),
                               OpenApiParameter("la_reference", str), OpenApiParameter("nino", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChangeInputSerializer,
                   responses={201: ChangeSerializer, 400: RefusalSerializer, 409: RefusalSerializer},
                   description="Tell DM of a change of circumstances (SLA Appendix 7) for one of your debts, named "
                               "by your LA reference; the National Insurance number must match it. It is routed to "
                               "the CCG site named on the debt's notice of recovery, due to be actioned within 10 "
                               "working days. A change that cannot be accepted is refused with every fault by field "
                               "(400), and nothing is recorded; the same change for the same debt while the first "
                               "is still open is refused (409).")
    def post(self, request):
        la = _la(request)
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_JSON_BYTES:
            raise ParseError(f"The request body is larger than {MAX_JSON_BYTES // 1024} KB; send one change a "
                             "request.")
        data = request.data
        if not isinstance(data, dict):
            raise ParseError("Send one change as a JSON object.")
        change = change_notify(la=la, data=data, actor=request.user, channel=Channel.API, now=timezone.now())
        change = selectors.changes_for(request.user).select_related("la", "site", "case", "debt").get(pk=change.pk)
        return Response(ChangeSerializer(change).data, status=status.HTTP_201_CREATED)


class ChangeDetail(generics.RetrieveAPIView):
    serializer_class = ChangeSerializer

    def get_object(self):
        try:
            return selectors.change_for(self.request.user, self.kwargs["pk"])
        except Http404:
            raise NotFound("No such change.") from None
