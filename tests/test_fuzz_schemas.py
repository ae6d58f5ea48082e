"""Property: every request schema (REST bodies of the OpenAPI document and every socket event's payload),
given any input, either parses to values the database and the document writers can hold, or raises the
validation error (a 422 naming the field); never anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from app.domains import openapi_operations
from app.factory import create_app
from web.http import validate
from infra.settings import Settings
from core.errors import ValidationFailed
from tests.fuzz_values import clean, payloads


def _socket_models(tmp: Any) -> dict[str, type[BaseModel]]:
    app = create_app(Settings(data_dir=tmp / "data"))
    handlers = app.state.sio.handlers["/"]
    return {name: h.payload_model for name, h in handlers.items() if getattr(h, "payload_model", None) is not None}


def _rest_models() -> dict[str, type[BaseModel]]:
    return {f"{op.method.upper()} {op.path}": op.body for op in openapi_operations() if op.body is not None}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, type[BaseModel]]:
    found = {**_rest_models(), **_socket_models(tmp_path_factory.mktemp("fuzz-schemas"))}
    assert len(found) > 40  # every body and payload model, not a hand-picked few
    return found


def test_every_input_model_refuses_unknown_fields_and_bounds_its_ints_and_texts(
    models: dict[str, type[BaseModel]],
) -> None:
    """The class, not the examples: an input model added later without bounds fails here."""
    for where, model in models.items():
        assert model.model_config.get("extra") == "forbid", f"{where}: {model.__name__} must refuse unknown fields"
        _bounded(model.model_json_schema(), model.model_json_schema().get("$defs", {}), f"{where} {model.__name__}")


def _bounded(schema: dict[str, Any], defs: dict[str, Any], where: str) -> None:
    if "$ref" in schema:
        return  # each $def is checked on its own below
    kind = schema.get("type")
    if kind == "integer":
        assert "maximum" in schema and "minimum" in schema, f"{where}: an integer without bounds"
    if (
        kind == "string"
        and "enum" not in schema
        and "const" not in schema
        and schema.get("format") not in ("date-time", "binary")
    ):
        assert "maxLength" in schema, f"{where}: a string without maxLength"
    if kind == "array":
        assert "maxItems" in schema or "prefixItems" in schema, f"{where}: a list without maxItems"
    for sub in [
        *schema.get("properties", {}).values(),
        *schema.get("anyOf", []),
        *schema.get("oneOf", []),
        *defs.values(),
    ]:
        _bounded(sub, {}, where)
    if isinstance(schema.get("items"), dict):
        _bounded(schema["items"], {}, where)


@settings(max_examples=500, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_input_parses_within_bounds_or_is_a_validation_error(
    models: dict[str, type[BaseModel]], data: st.DataObject
) -> None:
    where = data.draw(st.sampled_from(sorted(models)))
    payload = data.draw(payloads(models[where]))
    try:
        parsed = validate(models[where], payload)
    except ValidationFailed as exc:
        assert exc.status == 422 and exc.details and all(d["field"] for d in exc.details)
        return
    assert clean(parsed) == [], f"{where} accepted {payload!r}"
