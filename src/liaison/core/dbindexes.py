"""Migrations that take a foreign key's own index away (`db_index=False`) where a composite index already leads
with the same column, so every row written maintains one index fewer.

Django's AlterField would rebuild the whole table on SQLite for that (dropping the triggers that check its
references, liaison.core.dbchecks); this drops just the index, on either database, and alters the field in the
migration state only.
"""

from __future__ import annotations

from django.db import migrations
from django.db.migrations.operations.base import Operation


class DropOwnIndex(Operation):
    """Drop the plain single-column indexes of a field (a text key's `_like` twin too); reversed, make them again
    as Django names them. The migration state is left alone (see `without_own_index`)."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, name: str) -> None:
        self.model_name, self.name = model_name, name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        for index in _own_indexes(schema_editor, model, model._meta.get_field(self.name).column):
            schema_editor.execute(schema_editor._delete_index_sql(model, index))

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        if not _own_indexes(schema_editor, model, field.column):
            for sql in schema_editor._field_indexes_sql(model, field):  # with its `_like` twin, for text keys
                schema_editor.execute(sql)

    def describe(self) -> str:
        return f"Drop the own index of {self.model_name}.{self.name}"


def without_own_index(alter: migrations.AlterField) -> migrations.SeparateDatabaseAndState:
    """`alter` (the same field with db_index=False) applied to the migration state, and its index dropped."""
    return migrations.SeparateDatabaseAndState(
        state_operations=[alter], database_operations=[DropOwnIndex(alter.model_name, alter.name)])


def _own_indexes(schema_editor, model, column: str) -> list[str]:
    """The plain (not unique) indexes on exactly `column` of `model`'s table."""
    return schema_editor._constraint_names(model, [column], index=True, unique=False, primary_key=False)
