"""`core.bulk`: many rows at once (COPY on PostgreSQL, bulk_create elsewhere), with bulk_create's contract."""

import datetime as dt

import hypothesis
import pytest
from hypothesis import strategies as st
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from liaison.core.bulk import bulk_insert, insert_select, take_ids, unsaved
from liaison.core.lookups import text_array
from liaison.core.models import Case, Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.referrals.models import Channel, Referral, Status

pytestmark = pytest.mark.django_db


def test_unsaved_is_what_the_model_makes(la):
    when = timezone.now()
    case = Case.objects.create(la=la, opened_at=when)
    fast = unsaved(Referral, case=case, la=la, channel=Channel.API, status=Status.LOADED, received_at=when,
                   reason_id=None, nino="JH100001C")
    slow = Referral(case=case, la=la, channel=Channel.API, status=Status.LOADED, received_at=when, reason_id=None,
                    nino="JH100001C")
    fields = [f.attname for f in Referral._meta.concrete_fields]
    assert [getattr(fast, f) for f in fields] == [getattr(slow, f) for f in fields]
    assert fast.case is case and fast._state.adding and fast.pk is None
    assert fast.faults == [] and fast.faults is not unsaved(Referral).faults  # a fresh default each time
    with pytest.raises(TypeError, match="no field"):
        unsaved(Event, kind="x", colour="blue")


def test_rows_get_ascending_primary_keys_and_every_value_round_trips(la, porth):
    when = timezone.now()
    cases = bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in range(5)])
    assert all(c.pk for c in cases) and [c.pk for c in cases] == sorted(c.pk for c in cases)
    assert not cases[0]._state.adding
    events = [unsaved(Event, case_id=c.pk, la_id=la.pk, kind="test.kind", occurred_at=when, actor_id=None,
                      actor_organisation_id=porth.pk, summary=f"Event {n} – with ‘quotes’, tabs\tand\nlines",
                      data={"n": n, "nested": {"list": [1, "two", None]}, "text": "back\\slash"} if n else {})
              for n, c in enumerate(cases)]
    before = timezone.now()
    bulk_insert(events)
    stored = list(Event.objects.filter(kind="test.kind").order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert [(e.summary, e.data, e.case_id, e.occurred_at) for e in stored] == \
        [(e.summary, e.data, e.case_id, when) for e in events]
    assert all(before <= e.recorded_at <= timezone.now() for e in stored)  # auto_now_add filled in
    assert Event.objects.filter(kind="test.kind", data={}).count() == 1


def test_a_related_object_saved_after_it_was_assigned_lends_its_key(la, porth):
    when = timezone.now()
    case = unsaved(Case, la=la, opened_at=when)
    notice = unsaved(Notice, code="HBREC", case=case, la=la, issued_at=when, issued_by=porth, context={"a": 1})
    bulk_insert([case])
    bulk_insert([notice])
    [message] = bulk_insert([unsaved(OutboxMessage, notice_id=notice.pk, to="a@example.com", subject="s",
                                     next_attempt_at=when)])
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.notice.case_id == case.pk and stored.body == "" and stored.created_at is not None


def test_constraints_hold_and_break_as_integrity_error(la):
    when = timezone.now()
    cases = bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in range(2)])
    rows = [unsaved(Referral, case=c, la=la, channel=Channel.API, status=Status.LOADED, received_at=when,
                    la_reference="SAME/1", debt_id=None) for c in cases]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(rows[:1])  # a loaded referral needs a debt (referral_loaded_has_debt)
    rows = [unsaved(Referral, case=c, la=la, channel=Channel.API, status=Status.QUEUED, received_at=when,
                    la_reference="SAME/1") for c in cases]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(rows)  # one live referral per LA reference (referral_one_live_per_la_reference)
    assert not Referral.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
def test_on_postgresql_it_is_one_copy_per_call(la, django_assert_max_num_queries):
    when = timezone.now() - dt.timedelta(days=1)
    with django_assert_max_num_queries(3):  # the sequence's name (once), the keys; COPY is not counted
        bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in range(3000)])
    assert Case.objects.filter(opened_at=when).count() == 3000


def test_any_finds_rows_by_many_keys_at_once(la):
    # `field__any`: one array parameter on PostgreSQL, IN (...) elsewhere; the same rows as `field__in`.
    when = timezone.now()
    cases = bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in range(3)])
    bulk_insert([unsaved(Referral, case=c, la=la, channel=Channel.API, status=Status.QUEUED, received_at=when,
                         nino=nino, la_reference=f"REF-{n}")
                 for n, (c, nino) in enumerate(zip(cases, ["JH100001C", "JH100002C", "JH100003C"], strict=True))])
    wanted = {"REF-0", "REF-2", "REF-404", "O'Brien; DROP TABLE x"}
    found = set(Referral.objects.filter(la=la, la_reference__any=wanted).values_list("la_reference", flat=True))
    assert found == {"REF-0", "REF-2"}
    assert found == set(Referral.objects.filter(la=la, la_reference__in=wanted).values_list("la_reference", flat=True))
    assert list(Referral.objects.filter(nino__any=["JH100003C"]).values_list("la_reference", flat=True)) == ["REF-2"]
    assert not Referral.objects.filter(nino__any=set()).exists()
    assert Referral.objects.exclude(nino__any=["JH100003C"]).count() == 2


def test_any_finds_values_with_every_awkward_character(la):
    # On PostgreSQL the values travel as one array literal written by Liaison: quotes, backslashes, commas, braces,
    # spaces, "NULL", the empty string and other alphabets must each find exactly their own row.
    awkward = ['O"Brien', "back\\slash", "a,b", "{braces}", " spaced ", "NULL", "", "Siân/Ōta", "tab\there",
               'end\\', '"']
    when = timezone.now()
    cases = bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in awkward])
    bulk_insert([unsaved(Referral, case=c, la=la, channel=Channel.API, status=Status.QUEUED, received_at=when,
                         nino="JH100001C", la_reference=ref) for c, ref in zip(cases, awkward, strict=True)])
    for ref in awkward:
        assert list(Referral.objects.filter(la_reference__any=[ref]).values_list("la_reference", flat=True)) == [ref]
    assert sorted(Referral.objects.filter(la_reference__any=awkward).values_list("la_reference", flat=True)) == \
        sorted(awkward)


@hypothesis.given(values=st.lists(st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))))
@hypothesis.settings(max_examples=200, deadline=None, database=None)
def test_text_array_literal_is_read_back_as_the_values(values):
    if connection.vendor != "postgresql":
        pytest.skip("the array literal is PostgreSQL's (SQLite takes the values as IN (...) parameters)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(array_length(%s::text[], 1), 0), %s::text[]", [text_array(values)] * 2)
        length, back = cursor.fetchone()
    assert length == len(values)
    assert (back or []) == values


def test_garbage_is_collected_when_the_loop_says_and_the_collector_is_restored():
    import gc
    import weakref

    from liaison.core.bulk import FULL_COLLECTION_EVERY, collect_garbage_between_chunks

    class Node:
        pass

    assert gc.isenabled()
    with collect_garbage_between_chunks() as collect:
        assert not gc.isenabled() and gc.get_freeze_count() > 0
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        gone = weakref.ref(a)
        del a, b
        for _ in range(FULL_COLLECTION_EVERY - 1):
            collect()
            assert gone() is not None  # nothing is collected between the full collections
        collect()  # the tenth chunk: a full collection
        assert gone() is None

        # A cycle still alive at a full collection is freed by the next once it is garbage.
        a, b = Node(), Node()
        a.other, b.other = b, a
        old = weakref.ref(a)
        for _ in range(FULL_COLLECTION_EVERY):
            collect()
        del a, b
        for _ in range(FULL_COLLECTION_EVERY - 1):
            collect()
            assert old() is not None
        collect()
        assert old() is None
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_date_given_as_text_or_a_datetime_is_stored_as_its_date(la):
    # (On PostgreSQL the rows go by binary COPY, which converts nothing: a date column needs a date.)
    when = timezone.now()
    cases = bulk_insert([unsaved(Case, la=la, opened_at=when) for _ in range(2)])
    referrals = bulk_insert([
        unsaved(Referral, case=cases[0], la=la, channel=Channel.API, status=Status.QUEUED, received_at=when,
                nino="JH100001C", la_reference="D-1", referral_date="2025-06-02", period_from=dt.date(2024, 1, 1)),
        unsaved(Referral, case=cases[1], la=la, channel=Channel.API, status=Status.QUEUED, received_at=when,
                nino="JH100002C", la_reference="D-2", referral_date=dt.datetime(2025, 6, 3, 9, 30),
                period_from=None),
    ])
    stored = Referral.objects.filter(pk__in=[r.pk for r in referrals]).order_by("pk")
    assert [(r.referral_date, r.period_from) for r in stored] == [
        (dt.date(2025, 6, 2), dt.date(2024, 1, 1)), (dt.date(2025, 6, 3), None)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="set-based INSERT ... SELECT is PostgreSQL's path")
def test_insert_select_gives_every_field_not_named_what_a_new_instance_gets(la):
    when = timezone.now()
    [case_id] = take_ids(Case, 1)
    params = {"la": la.pk, "when": when, "case": case_id}
    with connection.cursor() as cursor:
        cursor.execute(insert_select(Case, {"id": "%(case)s::bigint", "la_id": "%(la)s::bigint",
                                            "opened_at": "%(when)s"}, source="(SELECT 1) AS one", params=params),
                       params)
        params = {"case": case_id, "la": la.pk, "when": when}
        cursor.execute(insert_select(OutboxMessage, {"to": "'a@example.gov.uk'", "subject": "'S'",
                                                     "next_attempt_at": "%(when)s"},
                                     source="generate_series(1, 3) AS n", params=params), params)
    case = Case.objects.get(pk=case_id)
    assert (case.la_id, case.opened_at, case.scheme) == (la.pk, when, Case.Scheme.HB_OVERPAYMENT)
    made = OutboxMessage.objects.filter(subject="S")
    assert made.count() == 3
    fresh = OutboxMessage(to="a@example.gov.uk", subject="S", next_attempt_at=when)
    for m in made:
        assert (m.status, m.attempts, m.body, m.last_error, m.sent_at, m.notice_id) == (
            fresh.status, fresh.attempts, fresh.body, fresh.last_error, None, None)
        assert m.created_at is not None  # auto_now_add: "now"
    ids = take_ids(Case, 3)
    assert ids == sorted(ids) and len(set(ids)) == 3 and ids[0] > case_id and take_ids(Case, 0) == []


def test_keys_taken_out_of_one_run_come_back_each_in_order(la):
    # Keys are nearly always one unbroken run (only its ends are fetched); when another session took some
    # meanwhile they are not, and each is fetched. A sequence that steps by 3 stands in for the other session.
    if connection.vendor != "postgresql":
        pytest.skip("keys are taken from the table's sequence on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE core_case_id_seq INCREMENT BY 3")
    try:
        ids = take_ids(Case, 4)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER SEQUENCE core_case_id_seq INCREMENT BY 1")
    assert [b - a for a, b in zip(ids, ids[1:])] == [3, 3, 3]
    run = take_ids(Case, 5)
    assert run == list(range(run[0], run[0] + 5)) and run[0] > ids[-1]


def test_insert_select_refuses_a_field_it_cannot_fill():
    with pytest.raises(TypeError, match="no field colour"):
        insert_select(Event, {"colour": "'blue'"}, source="x")
    with pytest.raises(TypeError, match="Case.la_id has no default"):
        insert_select(Case, {"opened_at": "now()"}, source="x")
