"""The REST API for LA systems (`/api/v1/…`). Thin: serializers shape data, the services do the work."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from liaison.core import events as core_events
from liaison.core import timeline
from liaison.core.api import StrictJSONParser
from liaison.core.csvfile import carry_on
from liaison.notices.services import notice_pdf
from liaison.referrals import selectors
from liaison.referrals.bulk import FileRejected, check_file, results_rows
from liaison.referrals.models import Channel, ImportBatch, Reason, Referral, Status
from liaison.referrals.services import RESENT, referrals_receive
from liaison.referrals.tasks import process_import
from liaison.referrals.validation import FIELDS, validate

MAX_JSON_BYTES = 64 * 1024


class NewestReceivedFirst(CursorPagination):
    # CursorPagination ignores a view's `ordering` (its own default, "-created", is not a field here).
    ordering = ("-received_at", "-id")


class NewestIssuedFirst(CursorPagination):
    ordering = ("-issued_at", "-id")


def _referral_input_serializer():
    fields = {}
    for f in FIELDS:
        help_text = f"{f.label}. {f.help}".strip(". ") if f.help else f.label
        if f.name == "civil_penalty":
            fields[f.name] = serializers.BooleanField(required=False, help_text=help_text)
        elif f.name in ("amount_recovered", "outstanding_balance"):
            fields[f.name] = serializers.CharField(required=f.required, help_text=help_text + " (a string or "
                                                   "number in pounds, like \"1234.56\")")
        else:
            fields[f.name] = serializers.CharField(required=f.required, allow_blank=not f.required,
                                                   help_text=help_text)
    return type("ReferralInputSerializer", (serializers.Serializer,), fields)


ReferralInputSerializer = _referral_input_serializer()


class FaultSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    message = serializers.CharField()


class ReferralSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="case.reference")
    la_code = serializers.CharField(source="la.code")
    status_label = serializers.CharField(source="get_status_display")
    faults = FaultSerializer(many=True)
    outstanding_balance_pence = serializers.IntegerField(allow_null=True)
    recovery_start_date = serializers.DateField(source="debt.recovery_start_date", allow_null=True, default=None)
    weekly_rate_pence = serializers.IntegerField(source="debt.weekly_rate_pence", allow_null=True, default=None)

    class Meta:
        model = Referral
        fields = ["id", "case_reference", "la_code", "la_reference", "channel", "received_at", "status",
                  "status_label", "queue_reason", "faults", "customer_name", "nino", "benefit_type",
                  "is_civil_penalty", "outstanding_balance_pence", "recovery_start_date", "weekly_rate_pence",
                  "decided_at"]


class ReceiptSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="The referral's status, or RESENT when it was already held.")
    outcome_label = serializers.CharField()
    resent = serializers.BooleanField()
    detail = serializers.CharField()
    referral = ReferralSerializer()


def _la_user(request):
    if not request.user.is_la_user or not request.user.organisation_id:
        raise PermissionDenied("Only a Local Authority's users and systems can refer overpayments.")
    return request.user.organisation


def _json_object(request) -> dict:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_JSON_BYTES:
        raise ParseError(f"The request body is larger than {MAX_JSON_BYTES // 1024} KB; send one referral a request.")
    data = request.data
    if not isinstance(data, dict):
        raise ParseError("Send one referral as a JSON object.")
    if _contains_nul(data):
        raise ParseError("The referral contains a NUL character (\\u0000), which no field may hold.")
    return data


def _contains_nul(data) -> bool:
    """True if any key or text anywhere in the parsed JSON holds U+0000 (PostgreSQL cannot store it)."""
    stack = [data]
    while stack:  # a loop, not recursion: the JSON may be nested as deep as the parser allows
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class ReferralListCreate(generics.ListAPIView):
    """Your authority's referrals, newest first (DM users see all)."""

    serializer_class = ReferralSerializer
    parser_classes = [StrictJSONParser]
    pagination_class = NewestReceivedFirst

    def get_queryset(self):
        qs = selectors.referrals_for(self.request.user).select_related("la", "case", "debt")
        status_ = self.request.query_params.get("status")
        if status_:
            if status_ not in Status.values:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"status": [f"Unknown status; use one of {', '.join(Status.values)}"]})
            qs = qs.filter(status=status_)
        ref = self.request.query_params.get("la_reference")
        if ref:
            qs = qs.filter(la_reference=ref[:40])
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Status.values),
                               OpenApiParameter("la_reference", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ReferralInputSerializer, responses={201: ReceiptSerializer, 200: ReceiptSerializer},
                   description="Refer one overpayment. It is recorded and scrutinised at once: the response says "
                               "its outcome. A referral with faults is recorded and returned (LARETM) with every "
                               "fault listed. Sending a referral already held (same LA reference) is recognised "
                               "(200, resent true) and never loaded twice.")
    def post(self, request):
        la = _la_user(request)
        data = _json_object(request)
        [result] = referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=request.user)
        referral = Referral.objects.select_related("la", "case", "debt").get(pk=result.referral_id)
        body = {"outcome": result.outcome, "outcome_label": result.outcome_label, "resent": result.outcome == RESENT,
                "detail": result.detail, "referral": ReferralSerializer(referral).data}
        return Response(body, status=status.HTTP_200_OK if result.outcome == RESENT else status.HTTP_201_CREATED)


class ReferralValidate(APIView):
    parser_classes = [StrictJSONParser]

    @extend_schema(request=ReferralInputSerializer,
                   responses=inline_serializer("ValidationResult", {"valid": serializers.BooleanField(),
                                                                     "faults": FaultSerializer(many=True)}),
                   description="Check a referral without sending it. Nothing is recorded.")
    def post(self, request):
        from django.utils import timezone

        la = _la_user(request)
        data = _json_object(request)
        clean = validate(data, la_code=la.code, today=timezone.localdate(),
                         reason_codes=set(Reason.objects.filter(active=True).values_list("code", flat=True)))
        return Response({"valid": not clean.faults, "faults": [f.as_dict() for f in clean.faults]})


class ReferralDetail(generics.RetrieveAPIView):
    serializer_class = ReferralSerializer

    def get_object(self):
        referral = selectors.referral_for(self.request.user, self.kwargs["pk"])
        # Every view of personal data is recorded (DOMAIN D5), through the API as on the case page.
        timeline.record(case=referral.case, kind=core_events.CASE_VIEWED, occurred_at=timezone.now(),
                        actor=self.request.user, summary=f"Case viewed by {self.request.user.display_name} (API)")
        return referral


class ImportBatchSerializer(serializers.ModelSerializer):
    la_code = serializers.CharField(source="la.code")
    stalled = serializers.BooleanField(read_only=True, help_text=(
        "Processing, but no rows have been done for 10 minutes: carry it on (`carry-on/`)."))

    class Meta:
        model = ImportBatch
        fields = ["id", "la_code", "original_name", "state", "rows_total", "rows_done", "counts", "error",
                  "stalled", "created_at", "progressed_at", "finished_at"]


class ImportCreate(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": inline_serializer("ImportUpload", {"file": serializers.FileField()})},
                   responses={202: ImportBatchSerializer},
                   description="Upload a CSV file of referrals (columns: see docs/referral-file.md). It is checked "
                               "as a whole at once, then processed by the worker; poll the batch for progress.")
    def post(self, request):
        la = _la_user(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError("Send the CSV file in a form field named 'file'.")
        batch = ImportBatch(la=la, uploaded_by=request.user, channel=Channel.FILE, original_name=upload.name[:255],
                            size_bytes=upload.size or 0)
        batch.file.save(Path(upload.name).name[:100], upload, save=False)
        try:
            check = check_file(Path(batch.file.path))
        except FileRejected as exc:
            batch.file.delete(save=False)
            raise ParseError(str(exc)) from None
        batch.rows_total = check.rows_total
        with transaction.atomic():
            batch.save()
            transaction.on_commit(lambda: process_import.enqueue(batch.pk))
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetail(generics.RetrieveAPIView):
    serializer_class = ImportBatchSerializer

    def get_object(self):
        return selectors.import_batch_for(self.request.user, self.kwargs["pk"])


class ImportCarryOn(APIView):
    @extend_schema(request=None, responses={202: ImportBatchSerializer, 409: inline_serializer(
                       "ImportNotStopped", {"detail": serializers.CharField()})},
                   description="Carry on a file that stopped part way (state STOPPED) or stalled (`stalled`), "
                               "from the row after the last one recorded: as the file page's button. A file "
                               "that has not stopped is refused (409), so asking twice queues it once.")
    def post(self, request, pk):
        batch = selectors.import_batch_for(request.user, pk)
        if not carry_on(batch, then=process_import.enqueue):
            return Response({"detail": f"File {batch.pk} is {batch.get_state_display().lower()}, not stopped "
                                       "part way: nothing to carry on."}, status=status.HTTP_409_CONFLICT)
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportRows(APIView):
    @extend_schema(responses=inline_serializer("ImportRowResults", {"rows": serializers.ListField(
        child=serializers.DictField())}))
    def get(self, request, pk):
        batch = selectors.import_batch_for(request.user, pk)
        return Response({"rows": [r.as_dict() for r in results_rows(batch)]})


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField(source="notice_type.title")
    case_reference = serializers.CharField(source="case.reference")
    la_reference = serializers.CharField(source="context.la_reference", default="")
    issued_at = serializers.DateTimeField()


class NoticeList(generics.ListAPIView):
    serializer_class = NoticeSerializer
    pagination_class = NewestIssuedFirst

    def get_queryset(self):
        return selectors.notices_for(self.request.user).select_related("case")


class NoticePdf(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        try:
            notice = selectors.notice_for(request.user, pk)
        except Exception:
            raise NotFound("No such notice.") from None
        import io

        timeline.record(case=notice.case, kind=core_events.NOTICE_DOWNLOADED, occurred_at=timezone.now(),
                        actor=request.user, summary=f"{notice.code} {notice.reference} downloaded (API)",
                        data={"notice_id": notice.pk, "format": "pdf"})

        return FileResponse(io.BytesIO(notice_pdf(notice)), content_type="application/pdf", as_attachment=True,
                            filename=f"{notice.code}-{notice.reference}.pdf")
