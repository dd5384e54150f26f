"""Inserting many new rows of one model at once: COPY on PostgreSQL, `bulk_create` elsewhere.

ARCHITECTURE: "PostgreSQL-only speed-ups (COPY, SKIP LOCKED) sit behind one function each with a portable
fallback". This is the one for inserts. The contract is `bulk_create`'s, for plain new instances: every
instance gets its primary key (so others can point at it), defaults are those the instance was made with,
`auto_now`/`auto_now_add` fields are filled in, no `save()` is called and no signal is sent. Constraints,
indexes and foreign keys are enforced by the database exactly as for an INSERT; a violation raises Django's
IntegrityError.

On PostgreSQL the primary keys are taken from the table's own sequence first (in ascending order, so rows
inserted together keep their order by id), then the rows are streamed with COPY. Values are passed as Python
objects to psycopg, which writes them in COPY's binary format (each column's type declared) where every column
is of a type that allows it, else in its text format; JSON fields are serialised with the field's encoder and
date-times must be time-zone aware (a naive one goes through Django's own conversion, with its warning). Values
must be of their field's Python type (a str for a CharField, an int for an IntegerField), as a bulk path makes
them: binary COPY converts nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter, itemgetter
from typing import Any, TypeVar

from django.db import connections, models
from django.db.models.base import ModelState
from django.utils import timezone
from psycopg import postgres
from psycopg.adapt import Dumper
from psycopg.pq import Format

M = TypeVar("M", bound=models.Model)

# Field classes whose Python value psycopg writes as the database expects, with no preparation by Django.
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.AutoField,
          models.BigAutoField, models.SmallAutoField, models.ForeignKey)

_sequences: dict[tuple[str, str], str] = {}
_GENERIC = object()  # anything else: Django's own pre_save and preparation, value by value


class _Maker:
    """What `unsaved` needs to know about a model, worked out once."""

    def __init__(self, model) -> None:
        self.static: dict[str, Any] = {}
        self.dynamic: list[tuple[str, Callable[[], Any]]] = []
        self.relations: dict[str, str] = {}
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                self.dynamic.append((f.attname, f.default))
            else:
                self.static[f.attname] = f.get_default()
            if f.is_relation:
                self.relations[f.name] = f.attname
        self.attnames = frozenset(self.static) | {a for a, _ in self.dynamic}
        self.size = len(self.attnames)


_makers: dict[type, _Maker] = {}


def unsaved(model: type[M], **values: Any) -> M:
    """A new, unsaved instance, as `model(**values)` makes it but several times cheaper, for bulk paths that
    make hundreds of thousands. Takes concrete fields only, by attribute name (`case_id`) or, for a relation,
    by name with the related object (`case=case`, which is cached on the instance as `model(case=case)` does);
    fields not given get their defaults. Sends no pre_init/post_init signal and skips `__init__` overrides."""
    maker = _makers.get(model)
    if maker is None:
        maker = _makers[model] = _Maker(model)
    obj = model.__new__(model)
    state = ModelState()
    data = obj.__dict__
    data.update(maker.static)
    for attname, default in maker.dynamic:
        data[attname] = default()
    data.update(values)
    if len(data) != maker.size:  # a relation given by name, or a name that is no field
        for name, attname in maker.relations.items():
            if name in data:
                value = data.pop(name)
                data[attname] = None if value is None else value.pk
                state.fields_cache[name] = value
        if len(data) != maker.size:
            unknown = sorted(set(data) - maker.attnames)
            raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    data["_state"] = state
    return obj


def bulk_insert(objs: Sequence[M], *, using: str = "default", batch_size: int = 2000) -> list[M]:
    """Insert new, unsaved instances of one concrete model and set their primary keys. Returns `objs`."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    if (connection.vendor != "postgresql" or not _copyable(model)
            or any(obj.pk is not None for obj in objs)):
        return model._default_manager.db_manager(using).bulk_create(objs, batch_size=batch_size)
    return _copy(model, objs, connection)


def _copyable(model) -> bool:
    """A plain model COPY can fill: no parent table, a key from a sequence, no generated or database-default
    column (those take the statement's DEFAULT, which bulk_create knows how to write)."""
    opts = model._meta
    return not opts.parents and opts.pk.auto_created and not any(
        getattr(f, "generated", False) or getattr(f, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED
        for f in opts.concrete_fields)


def _copy(model, objs: list, connection) -> list:
    opts = model._meta
    pk = opts.pk
    fields = [f for f in opts.concrete_fields if f is not pk]
    for f in fields:
        if f.is_relation:
            # As bulk_create does: a related object saved after it was assigned lends its primary key now. (The
            # cache is read from the state's own dict: `is_cached` would make an empty one for every instance.)
            for obj in objs:
                if getattr(obj, f.attname) is None and f.cache_name in (obj._state.__dict__.get("fields_cache") or ()):
                    related = f.get_cached_value(obj)
                    if related is not None:
                        if related.pk is None:
                            raise ValueError(f"bulk_insert() prohibited to prevent data loss due to unsaved "
                                             f"related object '{f.name}'.")
                        setattr(obj, f.attname, related.pk)
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)  # what pre_save(add=True) does, with one "now" for the whole set
    converters, generic = [], []
    for i, f in enumerate(fields, start=1):
        conv = _converter(f, connection)
        if conv is _GENERIC:
            generic.append((i, f))
        elif conv is not None:
            converters.append((i, conv))
    # Values straight from each instance's __dict__ (a new instance holds every field there), skipping the
    # descriptors; an instance that lacks one (a deferred field) is read through getattr instead.
    attnames = [f.attname for f in fields]
    from_dict, from_attr = itemgetter(*attnames, "_state"), attrgetter(*attnames, "_state")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor, connection.wrap_database_errors:
        ids = _take_ids(cursor, opts, len(objs))
        column_names = [pk.column, *(f.column for f in fields)]
        types = None if generic else _binary_types(cursor, opts.db_table, column_names)
        with copy_in(cursor, quote(opts.db_table), [quote(c) for c in column_names], types) as write:
            if converters or generic:
                for obj_id, obj in zip(ids, objs, strict=True):
                    try:
                        row = [obj_id, *from_dict(obj.__dict__)]
                    except KeyError:
                        row = [obj_id, *from_attr(obj)]
                    row.pop()
                    for i, conv in converters:
                        row[i] = conv(row[i])
                    for i, f in generic:
                        row[i] = f.get_db_prep_save(f.pre_save(obj, True), connection)
                    write(row)
            else:
                for obj_id, obj in zip(ids, objs, strict=True):
                    try:
                        row = [obj_id, *from_dict(obj.__dict__)]
                    except KeyError:
                        row = [obj_id, *from_attr(obj)]
                    row.pop()
                    write(row)
    attname = pk.attname
    for obj_id, obj in zip(ids, objs, strict=True):
        setattr(obj, attname, obj_id)
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


# Column types binary COPY is used for; a table with any other (numeric, uuid, ...) is copied as text, as before.
_BINARY_TYPES = frozenset({"smallint", "integer", "bigint", "boolean", "character varying", "text", "date",
                           "timestamp with time zone", "jsonb"})
_table_types: dict[tuple[str, tuple[str, ...]], list[str] | None] = {}


def _binary_types(cursor, table: str, columns: list[str]) -> list[str] | None:
    """The table's column types in `columns`' order, if binary COPY can write all of them; else None."""
    key = (table, tuple(columns))
    if key not in _table_types:
        cursor.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                       "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])
        found = dict(cursor.fetchall())
        types = [found.get(c) for c in columns]
        _table_types[key] = types if all(t in _BINARY_TYPES for t in types) else None
    return _table_types[key]


class _EncodedJsonbDumper(Dumper):
    """A jsonb value already encoded as JSON text (see `_converter`), in jsonb's binary format: version 1, then
    the text."""

    format = Format.BINARY
    oid = postgres.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode()


@contextmanager
def copy_in(cursor, table: str, columns: list[str], types: list[str] | None) -> Iterator[Callable[[Any], None]]:
    """`COPY table (columns) FROM STDIN` on a PostgreSQL cursor; yields the function that writes one row (a
    sequence of values in `columns`' order). Table and columns are given as SQL (quoted where they need it).

    With `types` (each column's type, as `format_type` names it) the copy is binary: psycopg picks each value's
    dumper by its column instead of looking at every value, and the server parses no text (2.5 times quicker on
    our side); values must then be of their column's Python type, and a jsonb value is given as JSON text,
    already encoded, which is sent as it is. Without, the copy is text."""
    if types is not None:
        cursor.adapters.register_dumper(None, _EncodedJsonbDumper)
    binary = " (FORMAT BINARY)" if types is not None else ""
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}") as copy:
        if types is not None:
            copy.set_types(types)
        yield copy.write_row


def _take_ids(cursor, opts, count: int) -> list[int]:
    """`count` new keys from the table's sequence, ascending. Taken in one statement they are nearly always one
    unbroken run (unless another session took some meanwhile): then only its ends come back, not a row per key
    (fetching 2,000 rows and sorting them cost the main thread more than the database's nextval)."""
    if count == 0:
        return []
    cursor.execute("WITH taken AS (SELECT nextval(%s) AS id FROM generate_series(1, %s)) "
                   "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 <> count(*) "
                   "THEN array_agg(id ORDER BY id) END FROM taken",
                   [_sequence(cursor, opts.db_table, opts.pk.column), count])
    low, high, scattered = cursor.fetchone()
    return list(range(low, high + 1)) if scattered is None else scattered


def _sequence(cursor, table: str, column: str) -> str:
    key = (table, column)
    if key not in _sequences:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        name = cursor.fetchone()[0]
        if not name:
            raise RuntimeError(f"{table}.{column} has no sequence to take primary keys from")
        _sequences[key] = name
    return _sequences[key]


def _converter(field, connection) -> Callable[[Any], Any] | None:
    """None when psycopg can take the value as it is; otherwise how to prepare it."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def to_json(value):
            if not value:
                if value is None and field.null:
                    return None
                if value == {} or value == []:
                    return "{}" if isinstance(value, dict) else "[]"
            return json.dumps(value, cls=encoder)
        return to_json
    if isinstance(field, models.DateTimeField):
        def aware(value):
            if value is not None and (not hasattr(value, "tzinfo") or value.tzinfo is None):
                return field.get_db_prep_save(value, connection)
            return value
        return aware
    if isinstance(field, models.DateField):
        def date(value):
            if value is not None and type(value) is not dt.date:
                # Django's own preparation (a date from a datetime or an ISO string): binary COPY takes no text.
                return field.get_prep_value(value)
            return value
        return date
    if isinstance(field, _AS_IS):
        return None
    return _GENERIC


def analyze_if_grown(model, *, fields: Sequence[str] = (), using: str = "default", growth: float = 1.0,
                     rows: int = 1000) -> bool:
    """Refresh the query planner's statistics of a table a bulk load is growing, once it holds more than
    (1 + `growth`) times the rows the planner believes (plus `rows`); only those of `fields` (the ones looked
    up by), if given, which is quicker than the whole table. True if it did.

    A bulk load looks rows up in the tables it is filling (re-sends, duplicates). Autovacuum refreshes the
    statistics at most once a minute (and never where it is off), so a load that doubles a table in seconds
    would be planned against a table believed empty: whole-table scans per chunk, ever slower as the file goes
    on. PostgreSQL only; elsewhere nothing (SQLite's planner needs no statistics to use an index)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT s.n_live_tup, c.reltuples FROM pg_stat_user_tables s "
                       "JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass", [table])
        found = cursor.fetchone()
        if not found:
            return False
        live, believed = found
        if live <= (1 + growth) * max(believed, 0) + rows:
            return False
        quote = connection.ops.quote_name
        columns = [quote(model._meta.get_field(name).column) for name in fields]
        cursor.execute(f"ANALYZE {quote(table)}" + (f" ({', '.join(columns)})" if columns else ""))
    return True


FULL_COLLECTION_EVERY = 10


@contextmanager
def collect_garbage_between_chunks() -> Iterator[Callable[[], object]]:
    """For a bulk load's loop: Python's automatic garbage collection off, and a collection of the loop's own
    objects when the caller says (after each chunk) with the function this yields.

    A chunk makes hundreds of thousands of short-lived objects; the automatic collector, run every few hundred
    allocations and from time to time over everything alive (Django's whole set-up included), took a third of a
    referral file's time. Everything alive on entry is frozen (never scanned again: it is the program, not the
    load's garbage) and thawed on exit. Some garbage may hold itself in cycles (model instances caching each
    other), hence a full collection of what the loop has made every FULL_COLLECTION_EVERY chunks: the cycles of
    ten chunks at most wait for it. Nothing is collected in between: a collection of the young objects after each
    chunk rescanned the chunks still being written and, on a referral file, freed nothing (measured with
    `gc.callbacks` on a 100,000-row file: 45 young collections, 0.55 s, 0 objects; 5 full ones, 0.15 s, 15 objects).
    A full collection after every chunk was worse still (2.7 s a file)."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    made = 0

    def collect() -> int:
        nonlocal made
        made += 1
        return gc.collect() if made % FULL_COLLECTION_EVERY == 0 else 0

    try:
        yield collect
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def insert_select(model, values: dict[str, str], *, source: str, params: dict[str, Any] | None = None,
                  using: str = "default") -> str:
    """`INSERT INTO model's table (...) SELECT ... FROM source` as SQL with named parameters (`params` is
    completed in place), for set-based writes on PostgreSQL that derive many rows from a staged table.

    `values` maps a field's attribute name (`case_id`) to its SQL expression over `source`. Every other concrete
    field takes what `bulk_create` would give a new instance: its default (as a parameter; "" for a text field
    without one), "now" for `auto_now`/`auto_now_add`, NULL where it may be null, the table's own sequence for an
    automatic primary key.
    A field that has none of these and no expression is refused, so a field added to the model later cannot be
    silently left out."""
    connection = connections[using]
    params = {} if params is None else params
    quote = connection.ops.quote_name
    now = None
    columns, exprs = [], []
    known = {f.attname for f in model._meta.concrete_fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    for f in model._meta.concrete_fields:
        if f.attname in values:
            expr = values[f.attname]
        elif f.primary_key and f.auto_created:
            continue  # the table's sequence (an identity column's default)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            now = now or timezone.now()
            expr = "%(_now)s"
            params["_now"] = now
        elif (default := f.get_default()) is not None:  # the default, or "" for a text field without one
            key = f"_default_{model._meta.db_table}_{f.column}"
            params[key] = f.get_db_prep_save(default, connection)
            expr = f"%({key})s"
        elif f.null:
            expr = "NULL"
        else:
            raise TypeError(f"{model.__name__}.{f.attname} has no default: give its value")
        columns.append(quote(f.column))
        exprs.append(expr)
    return (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(exprs)} FROM {source}")


def take_ids(model, count: int, *, using: str = "default") -> list[int]:
    """`count` new primary keys from the model's table sequence, ascending (PostgreSQL)."""
    if count == 0:
        return []
    with connections[using].cursor() as cursor:
        return _take_ids(cursor, model._meta, count)
