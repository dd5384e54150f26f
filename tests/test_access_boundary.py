"""The personal-data boundary (DOMAIN D5): personal data is shown only to the parties to a case.

Every URL pattern the site serves is enumerated from the resolver and checked here, so a new page or endpoint
cannot be forgotten: `test_every_url_pattern_is_covered` fails until it is added to ROUTES (checked one by one,
with Leeds' own objects) or belongs to an area listed in SWEPT (every pattern of it requested by Cardiff and by
an anonymous person with the IDs of every Leeds object, GET and POST). Admin pages are enumerated and checked
automatically.

Leeds refers customers; Cardiff's officer must never see, list, count or download them: an object URL of Leeds'
gives 404 exactly like a guessed ID, lists leave Leeds' rows out, and no response body Cardiff gets contains a
Leeds customer's name, NINO or reference. Anonymous people are sent to sign in (pages) or get 401 (API); LA
users get 403 on DM's own pages (CC Porth's queue, the CCG's actions on a debt).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from liaison.casework.models import WorkItem
from liaison.casework.services import change_notify, complaint_record, soe_request
from liaison.core.models import Event
from liaison.notices.models import Notice
from liaison.partners.models import ApiToken
from liaison.recovery.ledger import SuspensionScope, deduction_run, hardship_record, suspension_create
from liaison.recovery.models import LedgerEntry
from liaison.referrals.bulk import batch_process
from liaison.referrals.models import Channel, ImportBatch, Referral, Status
from liaison.referrals.services import referrals_receive
from liaison.referrals.validation import COLUMNS
from liaison.remittance.models import Remittance
from liaison.remittance.services import remittance_run

pytestmark = pytest.mark.django_db

LEEDS_NAME = "Zebedee Quartermaine"
LEEDS_NINO = "JH900001C"
CARDIFF_NAME = "Dylan Pritchard-Jones"


def all_routes() -> list[tuple[str, str | None]]:
    """(route, name) of every URL pattern the site serves, walking every include."""
    def walk(patterns, prefix, namespaces):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern),
                                namespaces + ([p.namespace] if p.namespace else []))
            else:
                yield prefix + str(p.pattern), ":".join([*namespaces, p.name]) if p.name else None
    return list(walk(get_resolver().url_patterns, "", []))


def fill(route: str, values: dict[str, str]) -> str:
    """A concrete path for a route: `<int:pk>` and `(?P<pk>…)` replaced by the values given."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path)
    return "/" + path.replace("^", "").replace("$", "")


@dataclass(frozen=True)
class Route:
    """How one non-admin URL is checked.

    kind: "page" (sign in first), "api" (401 without credentials) or "public" (anyone).
    obj: which of Leeds' objects the URL names ("referral", "notice", "batch", "debt", …), if any.
    dm_only: DM's own pages, permission checked before anything is looked up: every LA user gets 403.
    owner_status: what Leeds itself gets, where not 200 (a DM-only action on an object it may see).
    queries: extra query strings Cardiff tries on a list; each must still leave Leeds out.
    owner_sees: text Leeds sees in the same response, proving the check looks at a page that shows it.
    """

    kind: str
    obj: str | None = None
    dm_only: bool = False
    method: str = "get"
    queries: tuple[dict, ...] = ()
    owner_sees: str = ""
    owner_status: int = 200
    anonymous_status: int = 200
    cardiff_status: int = 200


ROUTES: dict[str, Route] = {
    # Pages
    "web:home": Route("page", owner_sees=LEEDS_NAME),
    "web:login": Route("public", cardiff_status=302, owner_status=302),  # a signed-in person is sent home
    "web:logout": Route("public", method="post", anonymous_status=302, cardiff_status=302, owner_status=302),
    "web:referral_list": Route("page", owner_sees=LEEDS_NAME, queries=(
        {"q": "LDS/SECRET/1"}, {"q": LEEDS_NINO}, {"la": "E08000035"}, {"status": "LOADED"}, {"status": "QUEUED"})),
    "web:referral_new": Route("page"),
    "web:referral_detail": Route("page", obj="referral", owner_sees=LEEDS_NAME),
    "web:import_list": Route("page", owner_sees="leeds-secret-file.csv"),
    "web:import_new": Route("page"),
    "web:import_template": Route("page"),
    "web:import_detail": Route("page", obj="batch", owner_sees="LDS/SECRET/3"),
    "web:import_progress": Route("page", obj="batch", owner_sees='"rows_done": 1'),
    "web:import_results_csv": Route("page", obj="batch", owner_sees="LDS/SECRET/3"),
    "web:import_carry_on": Route("page", obj="batch", method="post", owner_status=302),  # back to the file's page
    "web:notice_list": Route("page", owner_sees="{notice}", queries=({"code": "HBREC"},)),
    "web:notice_view": Route("page", obj="notice", owner_sees=LEEDS_NAME),
    "web:notice_download": Route("page", obj="notice", owner_sees="%PDF"),
    "web:queue": Route("page", dm_only=True, owner_status=403),
    "web:queue_assign": Route("page", obj="queued", dm_only=True, method="post", owner_status=403),
    "web:queue_decide": Route("page", obj="queued", dm_only=True, owner_status=403),
    # Debts
    "recovery:debt_list": Route("page", owner_sees=LEEDS_NAME, queries=(
        {"q": "LDS/SECRET/1"}, {"q": LEEDS_NINO}, {"status": "IN_RECOVERY"})),
    "recovery:debt_detail": Route("page", obj="debt", owner_sees=LEEDS_NAME),
    "recovery:hardship_new": Route("page", obj="debt"),
    "recovery:debt_suspend": Route("page", obj="debt", dm_only=True, owner_status=403),
    "recovery:debt_stop": Route("page", obj="debt", dm_only=True, owner_status=403),
    "recovery:hardship_decide": Route("page", obj="hardship", dm_only=True, owner_status=403),
    "recovery:entry_reverse": Route("page", obj="entry", dm_only=True, owner_status=403),
    "recovery:suspensions": Route("page", dm_only=True, owner_status=403),
    "recovery:suspension_resume": Route("page", obj="suspension", dm_only=True, method="post", owner_status=403),
    # Repayments to LAs: the schedules name every debtor
    "remittance:list": Route("page", owner_sees="/remittances/{remittance}/", queries=(
        {"la": "E08000035"}, {"month": "2025-06"})),
    "remittance:detail": Route("page", obj="remittance", owner_sees=LEEDS_NAME),
    "remittance:csv": Route("page", obj="remittance", owner_sees=LEEDS_NAME),
    "remittance:xlsx": Route("page", obj="remittance", owner_sees="PK"),
    "remittance:pdf": Route("page", obj="remittance", owner_sees="%PDF"),
    "remittance:mark_paid": Route("page", obj="remittance", owner_status=403),  # only FCG marks a payment
    # The API
    "api-schema": Route("public"),
    "api-referrals": Route("api", owner_sees=LEEDS_NAME, queries=(
        {"la_reference": "LDS/SECRET/1"}, {"status": "LOADED"})),
    "api-referral-validate": Route("api", method="post"),
    "api-referral": Route("api", obj="referral", owner_sees=LEEDS_NAME),
    "api-imports": Route("api", method="post", cardiff_status=400, owner_status=400),  # no file sent
    "api-import": Route("api", obj="batch", owner_sees="leeds-secret-file.csv"),
    "api-import-rows": Route("api", obj="batch", owner_sees="LDS/SECRET/3"),
    "api-import-carry-on": Route("api", obj="batch", method="post", owner_status=409),  # Leeds' file is finished
    "api-notices": Route("api", owner_sees="{notice}"),
    "api-notice-pdf": Route("api", obj="notice", owner_sees="%PDF"),
}

# Known gaps, asserted as they should be; strict, so the mark must go when the view is fixed.
KNOWN_GAPS: dict[str, str] = {}

# Areas checked by the sweep: name prefix -> why a sweep (not a route-by-route table) is enough for now.
SWEPT = {
    "casework:": "changes of circumstances, complaints and sequences of events: Leeds' own are made in the world",
    "api-change": "the changes API (one collection and one object endpoint)",
    "sla:": "service-level figures; LA users are scoped to their own LA, which the sweep tries to get round",
    "governance:": "partnership records (contacts, issues log, agreements, meetings, engagement): no customer data",
}
# Pages anyone may open: the link is the key.
PUBLIC = {"governance:respond"}

ALL_ROUTES = all_routes()
NON_ADMIN = [(route, name) for route, name in ALL_ROUTES if not route.startswith("admin/")]
ADMIN = [(route, name) for route, name in ALL_ROUTES if route.startswith("admin/")]


def swept(name: str | None) -> bool:
    return name is not None and name not in ROUTES and name.startswith(tuple(SWEPT))


EXPLICIT = [(route, name) for route, name in NON_ADMIN if not swept(name)]
SWEEP = [(route, name) for route, name in NON_ADMIN if swept(name)]


def route_for(name: str | None) -> Route:
    if name not in ROUTES:
        pytest.fail(f"URL pattern {name!r} is not checked by this module: add it to ROUTES")
    return ROUTES[name]


def csv_bytes(*rows: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@dataclass
class World:
    objects: dict[str, int]
    guessed: dict[str, int]
    secrets: list[str]
    values: dict[str, str]

    def path(self, name: str, route_str: str, *, guessed: bool = False) -> str:
        route = route_for(name)
        pk = (self.guessed if guessed else self.objects)[route.obj] if route.obj else 0
        return fill(route_str, {"pk": str(pk)})


@pytest.fixture
def world(la, la_officer, other_la, other_la_officer, ccg_agent, referral_data, award) -> World:
    """Leeds: a loaded referral (its HBREC notice, its debt with a hardship application and a suspension), a queued
    near-duplicate, a file, and a June 2025 repayment whose schedule names a debtor; Cardiff: a loaded referral."""
    loaded = referral_data(customer_name=LEEDS_NAME, nino=LEEDS_NINO, la_reference="LDS/SECRET/1")
    near = dict(loaded, la_reference="LDS/SECRET/2", outstanding_balance="99.99")
    award(LEEDS_NINO)
    r_loaded, r_near = referrals_receive(la=la, channel=Channel.API, rows=[(None, loaded), (None, near)],
                                         actor=la_officer)
    assert (r_loaded.outcome, r_near.outcome) == (Status.LOADED, Status.QUEUED)
    referral = Referral.objects.get(pk=r_loaded.referral_id)
    notice = Notice.objects.get(case=referral.case)

    content = csv_bytes(referral_data(customer_name=LEEDS_NAME, nino="JH900002C", la_reference="LDS/SECRET/3",
                                      postcode="XX"))
    batch = ImportBatch(la=la, uploaded_by=la_officer, channel=Channel.FILE, original_name="leeds-secret-file.csv",
                        size_bytes=len(content))
    batch.file.save("leeds-secret-file.csv", ContentFile(content), save=False)
    batch.save()
    assert batch_process(batch=batch).counts == {"RETURNED_NON_QUALITY": 1}

    today = timezone.localdate()
    hardship = hardship_record(debt=referral.debt, received_on=today, forwarded_by_la=True, details="Rent arrears",
                               actor=la_officer)
    suspension = suspension_create(scope=SuspensionScope(debt=referral.debt), starts=today + dt.timedelta(days=30),
                                   ends=None, reason="Appeal lodged", actor=ccg_agent)

    # Money recovered in June 2025 from another Leeds debtor, repaid to Leeds with a schedule naming the debtor.
    june = referral_data(customer_name=LEEDS_NAME, nino="JH900003C", la_reference="LDS/SECRET/4",
                         referral_date="2025-06-02", cis_checked_on="2025-06-01", period_from="2024-01-01",
                         period_to="2024-06-30")
    award("JH900003C", start=dt.date(2024, 1, 1))
    [r_june] = referrals_receive(la=la, channel=Channel.API, rows=[(None, june)], actor=la_officer,
                                 received_at=dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC))
    deduction_run(week_start=dt.date(2025, 6, 16), now=dt.datetime(2025, 6, 30, 9, 0, tzinfo=dt.UTC))
    remittance_run(month=dt.date(2025, 6, 1), now=dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC))
    remittance = Remittance.objects.get(la=la)
    entry = LedgerEntry.objects.get(debt__referral__pk=r_june.referral_id)

    # Casework on Leeds' debt: a change of circumstances, a complaint, a request for the sequence of events.
    now = timezone.now()
    change = change_notify(la=la, actor=la_officer, channel="WEB", now=now, data={
        "customer_name": LEEDS_NAME, "nino": LEEDS_NINO, "la_reference": "LDS/SECRET/1", "change": "other",
        "la_told_on": today.isoformat(), "details": "Moved to Spain", "officer_name": "Priya Shah"})
    complaint = complaint_record(debt=referral.debt, kind="COMPLAINT", made_by=LEEDS_NAME, received_on=today,
                                 channel="LETTER", summary="Unhappy with the rate", actor=ccg_agent, now=now)
    soe = soe_request(debt=referral.debt, actor=la_officer, now=now, reason="For the complaint")

    cardiff = referral_data(la_code=other_la.code, customer_name=CARDIFF_NAME, la_reference="CDF/1")
    award(cardiff["nino"])
    referrals_receive(la=other_la, channel=Channel.API, rows=[(None, cardiff)], actor=other_la_officer)

    objects = {"referral": referral.pk, "queued": r_near.referral_id, "notice": notice.pk, "batch": batch.pk,
               "debt": referral.debt.pk, "hardship": hardship.pk, "suspension": suspension.pk, "entry": entry.pk,
               "remittance": remittance.pk, "change": change.pk, "complaint": complaint.pk, "soe": soe.pk}
    objects.update({f"work-{i}": pk for i, pk in enumerate(WorkItem.objects.values_list("pk", flat=True))})
    guessed = {name: pk + 1000 for name, pk in objects.items()}
    secrets = [LEEDS_NAME, "Zebedee", "Quartermaine", LEEDS_NINO, "JH 90 00 01 C", "JH900002C", "JH900003C",
               "LDS/SECRET", "leeds-secret-file", notice.reference, remittance.reference, referral.case.reference,
               "Moved to Spain", "Unhappy with the rate"]
    return World(objects=objects, guessed=guessed, secrets=secrets,
                 values={"notice": notice.reference, "remittance": str(remittance.pk)})


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def without_tokens(content: bytes) -> bytes:
    """A page with its per-response CSP nonce and CSRF token blanked, so two responses can be compared."""
    content = re.sub(rb'nonce="[^"]*"', b'nonce=""', content)
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b'name="csrfmiddlewaretoken" value=""', content)


def api_client(user) -> Client:
    _, token = ApiToken.issue(user=user, name="boundary")
    return Client(headers={"Authorization": f"Bearer {token}"})


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def client_for(route: Route, user) -> Client:
    return api_client(user) if route.kind == "api" else signed_in(user)


def call(client: Client, route: Route, path: str, data: dict | None = None):
    if route.method == "post" and route.kind == "api" and not path.endswith("/imports/"):
        return client.post(path, data or {}, content_type="application/json")
    if route.method == "post":
        return client.post(path, data or {})
    return client.get(path, data or {})


def leaked(response, world: World, *, sent: tuple[str, ...] = ()) -> list[str]:
    """Leeds' secrets in a body, other than what the caller typed itself (a search box echoes it)."""
    content = body(response).decode("utf-8", "replace")
    for value in sent:
        content = content.replace(value, "")
    return [s for s in world.secrets if s in content]


def test_every_url_pattern_is_covered():
    """Fails when a URL pattern appears that this module does not check: add it to ROUTES."""
    assert len(ALL_ROUTES) == len(EXPLICIT) + len(SWEEP) + len(ADMIN) and len(ADMIN) > 100
    assert [(route, name) for route, name in EXPLICIT if name not in ROUTES] == []
    assert sorted(ROUTES) == sorted(name for _, name in EXPLICIT)  # and nothing stale is listed here
    assert all(any(name.startswith(prefix) for _, name in SWEEP) for prefix in SWEPT)  # nor in SWEPT
    assert all(route.startswith("admin/") for route, name in ALL_ROUTES if name is None or name.startswith("admin:"))


def _params():
    for route_str, name in EXPLICIT:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[name])] if name in KNOWN_GAPS else []
        yield pytest.param(route_str, name, id=name or route_str, marks=marks)


@pytest.mark.parametrize(("route_str", "name"), list(_params()))
def test_the_boundary_holds(world, la_officer, other_la_officer, route_str, name):
    route = route_for(name)

    # Anonymous: sign in first (pages), 401 (API)
    anonymous = call(Client(), route, world.path(name, route_str))
    if route.kind == "page":
        assert (anonymous.status_code, anonymous["Location"][:15]) == (302, "/sign-in/?next=")
    elif route.kind == "api":
        assert anonymous.status_code == 401
        assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
    else:
        assert anonymous.status_code == route.anonymous_status
    assert leaked(anonymous, world) == []

    # Another LA: Leeds' object is 404 exactly like a guessed ID (403 on DM's pages, for both alike)
    cardiff = client_for(route, other_la_officer)
    response = call(cardiff, route, world.path(name, route_str))
    assert leaked(response, world) == []
    if route.obj:
        guessed = call(cardiff, route, world.path(name, route_str, guessed=True))
        expected = 403 if route.dm_only else 404
        assert (response.status_code, guessed.status_code) == (expected, expected)
        assert without_tokens(body(response)) == without_tokens(body(guessed))
    else:
        assert response.status_code == (403 if route.dm_only else route.cardiff_status)
    for query in route.queries:
        filtered = call(cardiff, route, world.path(name, route_str), query)
        assert filtered.status_code == 200
        assert leaked(filtered, world, sent=tuple(query.values())) == []

    # Leeds itself, so that the checks above look at responses that do show personal data
    own = call(client_for(route, la_officer), route, world.path(name, route_str))
    assert own.status_code == route.owner_status
    if route.owner_sees:
        assert route.owner_sees.format(**world.values) in body(own).decode("utf-8", "replace")


def test_lists_and_counts_for_another_la_hold_only_its_own(world, other_la_officer):
    api = api_client(other_la_officer)
    assert [r["la_reference"] for r in api.get("/api/v1/referrals/").json()["results"]] == ["CDF/1"]
    assert [n["la_reference"] for n in api.get("/api/v1/notices/").json()["results"]] == ["CDF/1"]
    client = signed_in(other_la_officer)
    assert [r.la_reference for r in client.get("/referrals/").context["page"].items] == ["CDF/1"]
    assert [r.la_reference for r in client.get("/").context["recent"]] == ["CDF/1"]
    assert list(client.get("/files/").context["batches"]) == []
    assert [n.la.code for n in client.get("/notices/").context["page"].items] == ["W06000015"]
    assert [d.la_reference for d in client.get("/debts/").context["page"].items] == ["CDF/1"]
    assert list(client.get("/remittances/").context["page"].object_list) == []


def test_la_users_change_nothing_through_dm_pages(world, la_officer):
    queued = Referral.objects.get(pk=world.objects["queued"])
    signed_in(la_officer).post(f"/queue/{queued.pk}/assign/")
    signed_in(la_officer).post(f"/queue/{queued.pk}/decide/", {"outcome": "LOADED", "reasons": "mine"})
    queued.refresh_from_db()
    assert (queued.status, queued.assigned_to) == (Status.QUEUED, None)


def test_cc_porth_may_open_the_queue_it_works(world, porth_officer):
    response = signed_in(porth_officer).get("/queue/")
    assert response.status_code == 200
    assert "LDS/SECRET/2" in response.content.decode()


STR_VALUES = {"code": ["E08000035", "REF-INPUT", "CHANGE"], "token": ["not-a-token"]}


def sweep_paths(route_str: str, ids: list[int]) -> list[str]:
    """Concrete paths for a route: every int parameter given each of Leeds' object IDs in turn."""
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route_str)
    if not params:
        return [fill(route_str, {})]
    paths = []
    for pk in ids:
        values = {}
        for converter, param in params:
            values[param] = str(pk) if converter == "int" else STR_VALUES.get(param, ["x"])[0]
        paths.append(fill(route_str, values))
    for param, options in STR_VALUES.items():  # and each value of a text parameter
        if any(p == param for _, p in params):
            for option in options[1:]:
                paths.append(fill(route_str, {p: (option if p == param else str(ids[0])) for _, p in params}))
    return sorted(set(paths))


def test_every_page_of_the_swept_areas_keeps_leeds_data_from_cardiff_and_anonymous(world, other_la_officer):
    """GET every swept pattern with the ID of every Leeds object, and POST (empty) to those that name an object;
    ask the others for Leeds' figures (`?la=`). Cardiff never gets a Leeds secret or a server error; anonymous
    people sign in first (or get 401 from the API)."""
    ids = sorted(set(world.objects.values()))
    anonymous, cardiff_page, cardiff_api = Client(), signed_in(other_la_officer), api_client(other_la_officer)
    problems = []
    for route_str, name in SWEEP:
        is_api = route_str.startswith("api/")
        cardiff = cardiff_api if is_api else cardiff_page
        for path in sweep_paths(route_str, ids):
            anon = anonymous.get(path)
            if name in PUBLIC:
                anon_ok = anon.status_code < 500
            elif is_api:
                anon_ok = anon.status_code == 401
            else:
                anon_ok = anon.status_code == 302 and anon["Location"].startswith("/sign-in/?next=")
            if not anon_ok or leaked(anon, world):
                problems.append(("anonymous", "GET", path, anon.status_code, leaked(anon, world)))
            post = {"content_type": "application/json"} if is_api else {}
            names_an_object = "<int:" in route_str
            attempts = [("GET", cardiff.get(path))]
            # an action on one of Leeds' objects; a list or dashboard asked for Leeds' figures
            attempts.append(("POST", cardiff.post(path, {}, **post)) if names_an_object
                            else ("GET ?la=", cardiff.get(path, {"la": "E08000035"})))
            for method, response in attempts:
                if response.status_code >= 500 or leaked(response, world):
                    problems.append(("Cardiff", method, path, response.status_code, leaked(response, world)))
    assert problems == []


ADMIN_VALUES = {"object_id": "1", "id": "1", "content_type_id": "1", "app_label": "partners", "url": "nowhere/"}


def test_every_admin_page_is_closed_to_anonymous_and_la_users(world, la_officer, other_la_officer):
    """Every admin URL pattern (each registered model and action, enumerated): staff sign in first."""
    clients = {"anonymous": Client(), "Cardiff": signed_in(other_la_officer), "Leeds": signed_in(la_officer)}
    wrong = []
    for route_str, name in ADMIN:
        path = fill(route_str, ADMIN_VALUES)
        for who, client in clients.items():
            response = client.get(path)
            if name == "admin:logout":
                ok = response.status_code == 302 and response["Location"] == "/admin/"
            elif name == "admin:login":
                ok = response.status_code == 200 and b'name="password"' in response.content
            else:
                ok = response.status_code == 302 and response["Location"].startswith("/admin/login/?next=")
            if not ok or leaked(response, world):
                wrong.append((who, path, response.status_code, response.get("Location")))
    assert wrong == []


# --- Views are recorded ---------------------------------------------------------------------------------------

def test_viewing_a_case_records_case_viewed_with_the_viewer(world, la_officer, porth_officer, other_la_officer):
    referral = Referral.objects.get(pk=world.objects["referral"])
    assert not Event.objects.filter(case=referral.case, kind="case.viewed").exists()
    signed_in(la_officer).get(f"/referrals/{referral.pk}/")
    signed_in(porth_officer).get(f"/referrals/{referral.pk}/")
    signed_in(other_la_officer).get(f"/referrals/{referral.pk}/")  # 404: nothing was seen, nothing recorded
    views = list(Event.objects.filter(case=referral.case, kind="case.viewed").order_by("id")
                 .values_list("actor__username", "actor_organisation__code", "la__code"))
    assert views == [("la.officer", "E08000035", "E08000035"), ("porth.officer", "DM-PORTH", "E08000035")]


def test_viewing_and_downloading_a_notice_is_recorded(world, la_officer):
    notice = Notice.objects.get(pk=world.objects["notice"])
    client = signed_in(la_officer)
    client.get(f"/notices/{notice.pk}/")
    client.get(f"/notices/{notice.pk}/pdf/")
    events = list(Event.objects.filter(case=notice.case, kind="notice.downloaded").order_by("id")
                  .values_list("actor__username", "data"))
    assert events == [("la.officer", {"notice_id": notice.pk, "format": "html"}),
                      ("la.officer", {"notice_id": notice.pk, "format": "pdf"})]


def test_the_viewing_history_is_shown_only_when_asked_for(world, la_officer):
    client = signed_in(la_officer)
    path = f"/referrals/{world.objects['referral']}/"
    client.get(path)
    assert "Case viewed by" not in client.get(path).content.decode()
    assert "Case viewed by" in client.get(path, {"views": "1"}).content.decode()
