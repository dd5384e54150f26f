"""The two ways of writing received referrals write the same rows: model instances (the web form, SQLite) and
set-based from a staging table (bulk files on PostgreSQL, liaison.referrals.fanout)."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from liaison.core.models import Case, Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.recovery.models import Debt
from liaison.referrals import fanout, services
from liaison.referrals.models import Channel, ImportBatch, Referral, Status
from liaison.referrals.services import referrals_receive

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based write is PostgreSQL's")]

MODELS = (Case, Referral, Debt, Notice, OutboxMessage, Event)
# Columns that differ between any two runs: when the row was written.
_WHEN = {"recorded_at", "created_at"}
# Foreign keys to rows the write makes, by column: renumbered as positions among the rows made.
_MADE = {"case_id": Case, "referral_id": Referral, "debt_id": Debt, "notice_id": Notice,
         "overpayment_id": Debt, "penalty_overpayment_id": Referral}
# Ids inside the timeline's JSON, the same way.
_DATA_IDS = {"referral_id": Referral, "debt_id": Debt, "notice_id": Notice}


class _Undo(Exception):
    pass


def mixed_rows(referral_data, award, held: dict) -> list[tuple[int, dict]]:
    """Every outcome and every path through scrutiny, as a file's rows."""
    rows = []
    for i in range(3):
        good = referral_data(la_reference=f"FO/OP/{i}", classification="fraud" if i == 1 else "error")
        award(good["nino"])
        rows += [
            good,
            referral_data(la_reference=f"FO/BAD/{i}", nino="QQ123456A", postcode="NOWHERE"),  # faults: LARETM
            referral_data(la_reference=f"FO/NB/{i}"),  # no benefit: LARET
            dict(good, la_reference=f"FO/DUP/{i}"),  # duplicate: clerical notice
            dict(good, la_reference=f"FO/NEAR/{i}", outstanding_balance="99.99"),  # near duplicate: queued
            dict(good),  # the same LA reference again in the file: not loaded twice
            dict(good, la_reference=f"FO/CP/{i}", civil_penalty="yes",  # Civil Penalty of the overpayment above
                 civil_penalty_overpayment_reference=good["la_reference"], outstanding_balance="50.00"),
        ]
    rows.append(dict(held))  # sent before: recognised, not loaded twice
    orphan = referral_data(la_reference="FO/CP/ORPHAN", civil_penalty="yes",
                           civil_penalty_overpayment_reference="FO/NOT-HELD", outstanding_balance="50.00")
    award(orphan["nino"])
    rows.append(orphan)  # a Civil Penalty of an overpayment not held: returned with that fault
    late = referral_data(la_reference="FO/CP/HELD", civil_penalty="yes", nino=held["nino"],
                         civil_penalty_overpayment_reference=held["la_reference"], outstanding_balance="75.00")
    rows.append(late)  # a Civil Penalty of an overpayment held already (its debt is linked)
    rows.append({"la_code": "???", "_row_faults": ["Row has 3 values but the header has 23 columns"]})
    return list(enumerate(rows, start=2))


def written(since: dict[type, int]) -> dict[str, list[dict]]:
    """Every row the write made, table by table in id order, with the ids of rows it made as positions."""
    made = {m: list(m.objects.filter(pk__gt=since[m]).order_by("pk").values()) for m in MODELS}
    position = {m: {row["id"]: n for n, row in enumerate(rows)} for m, rows in made.items()}

    def pos(model, value):
        return position[model].get(value, ("held", value))

    out = {}
    for model, rows in made.items():
        table = out[model.__name__] = []
        for row in rows:
            row = {k: (pos(_MADE[k], v) if k in _MADE and v is not None else v)
                   for k, v in row.items() if k != "id" and k not in _WHEN}
            if row.get("context", {}).get("case_reference"):
                row["context"]["case_reference"] = pos(Case, int(row["context"]["case_reference"][1:]))
            if isinstance(row.get("data"), dict):
                row["data"] = {k: (pos(_DATA_IDS[k], v) if k in _DATA_IDS else v) for k, v in row["data"].items()}
            table.append(row)
    return out


def receive_and_undo(la, officer, rows, batch, when, *, set_based: bool, monkeypatch):
    monkeypatch.setattr(services, "_writes_set_based", lambda items, batch: set_based)
    calls = []
    persist = fanout.write
    monkeypatch.setattr(fanout, "write", lambda staged: calls.append(1) or persist(staged))
    since = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in MODELS}
    try:
        with transaction.atomic():
            results = referrals_receive(la=la, channel=Channel.FILE if batch else Channel.API, rows=rows,
                                        actor=officer, received_at=when, batch=batch)
            snapshot = written(since)
            raise _Undo
    except _Undo:
        pass
    assert bool(calls) == set_based
    return [r.as_dict() for r in results], snapshot


@pytest.mark.parametrize("from_file", [True, False], ids=["file", "api"])
def test_set_based_and_instance_writes_record_the_same_rows(la, la_officer, referral_data, award, monkeypatch,
                                                            from_file):
    held = referral_data(la_reference="FO/HELD")
    award(held["nino"])
    [first] = referrals_receive(la=la, channel=Channel.API, rows=[(None, held)], actor=la_officer)
    assert first.outcome == Status.LOADED
    batch = None
    if from_file:
        batch = ImportBatch.objects.create(la=la, uploaded_by=la_officer, channel=Channel.FILE,
                                           original_name="f.csv")
    rows = mixed_rows(referral_data, award, held)

    when = timezone.now()
    results_set, rows_set = receive_and_undo(la, la_officer, rows, batch, when, set_based=True,
                                             monkeypatch=monkeypatch)
    results_obj, rows_obj = receive_and_undo(la, la_officer, rows, batch, when, set_based=False,
                                             monkeypatch=monkeypatch)

    assert {r["outcome"] for r in results_set} == {
        Status.LOADED, Status.RETURNED_NON_QUALITY, Status.RETURNED_NO_BENEFIT, Status.QUEUED,
        Status.NOT_LOADED_DUPLICATE, services.RESENT}
    assert len(rows_set["Debt"]) == 7  # three overpayments, their Civil Penalties, the held one's Civil Penalty
    held_debt = Referral.objects.get(pk=first.referral_id).debt_id
    assert [d["overpayment_id"] for d in rows_set["Debt"]].count(("held", held_debt)) == 1

    assert all(rows_set[m.__name__] for m in MODELS)

    def without_ids(results):
        return [{k: v for k, v in r.items() if k not in ("referral_id", "case_reference")} for r in results]
    assert without_ids(results_set) == without_ids(results_obj)
    for table, expected in rows_obj.items():
        assert len(rows_set[table]) == len(expected), table
        for got, want in zip(rows_set[table], expected, strict=True):
            if isinstance(got.get("context"), dict):  # a notice's letter: name what differs
                assert got["context"] == want["context"] or {
                    k: (got["context"].get(k), want["context"].get(k))
                    for k in got["context"].keys() | want["context"].keys()
                    if got["context"].get(k) != want["context"].get(k)} == {}, table
            assert got == want, table


def test_a_reference_recorded_meanwhile_rolls_the_set_based_write_back_and_it_is_tried_again(
        la, la_officer, referral_data, award, monkeypatch):
    """Another request records one of the file's LA references between the re-send check and the write: the
    database refuses the write (one live referral per LA reference), nothing of it is kept, and the chunk is
    received again, which now sees the reference held."""
    from liaison.core.bulk import bulk_insert, unsaved

    rows = []
    for i in range(3):
        data = referral_data(la_reference=f"FO/RACE/{i}")
        award(data["nino"])
        rows.append((i + 2, data))
    batch = ImportBatch.objects.create(la=la, uploaded_by=la_officer, channel=Channel.FILE, original_name="f.csv")
    link = services._link_civil_penalties
    attempts = []

    def meanwhile(la_, items, in_flight=None):
        attempts.append(1)
        if len(attempts) == 1:  # as if another request had just recorded FO/RACE/1, loaded
            case = Case.objects.create(la=la, opened_at=timezone.now())
            bulk_insert([unsaved(Referral, case=case, la=la, channel=Channel.API, received_at=timezone.now(),
                                 status=Status.QUEUED, la_reference="FO/RACE/1", nino="JH999999D")])
        return link(la_, items, in_flight)
    monkeypatch.setattr(services, "_link_civil_penalties", meanwhile)
    cases_before = Case.objects.count()

    results = referrals_receive(la=la, channel=Channel.FILE, rows=rows, actor=la_officer, batch=batch)

    assert len(attempts) == 2
    assert [r.outcome for r in results] == [Status.LOADED, Status.LOADED, Status.LOADED]
    assert Referral.objects.filter(la_reference__startswith="FO/RACE/").count() == 3  # the first try left nothing
    assert Case.objects.count() == cases_before + 3
