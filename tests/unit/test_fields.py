"""The field table, the typed args and docker-py's own keyword lists must agree."""

from __future__ import annotations

import inspect

from docker.models import services as docker_services

from swarm_provider.resources.service import SwarmService
from swarm_provider.schema.service import FIELDS, FIELDS_BY_NAME, SERVICE, USER_FIELDS


def docker_py_create_keywords() -> set[str]:
    """Every keyword ServiceCollection.create() routes somewhere (models/services.py)."""
    listed = (
        set(docker_services.CREATE_SERVICE_KWARGS)
        | set(docker_services.CONTAINER_SPEC_KWARGS)
        | set(docker_services.TASK_TEMPLATE_KWARGS)
        | set(docker_services.PLACEMENT_KWARGS)
    )
    return listed | {"container_labels", "log_driver", "log_driver_options"}


def test_table_covers_every_docker_py_create_keyword() -> None:
    docker_py = {f.name for f in FIELDS if f.origin == "docker-py"}
    assert docker_py == docker_py_create_keywords()


def test_typed_args_match_the_table() -> None:
    parameters = set(inspect.signature(SwarmService.__init__).parameters)
    expected = {f.name for f in USER_FIELDS} | SERVICE.option_names
    expected |= {"self", "resource_name", "opts"}
    assert parameters == expected


def test_rows_are_unique_documented_and_engine_shaped() -> None:
    assert len(FIELDS_BY_NAME) == len(FIELDS)
    paths = [f.path for f in FIELDS]
    assert len(set(paths)) == len(paths)
    for field in FIELDS:
        assert field.doc.strip(), field.name
        assert all(part[:1].isupper() or "." in part for part in field.path), field.path
        if field.compare == "keyed":
            assert field.key, field.name


def test_only_name_and_mode_force_replacement() -> None:
    assert {f.name for f in FIELDS if f.replace} == {"name", "mode"}


def test_generated_input_docs_are_current() -> None:
    from pathlib import Path

    from swarm_provider.schema.docs import render

    path = Path(__file__).resolve().parents[2] / "docs" / "inputs.md"
    assert path.read_text() == render(), \
        "run: python -m swarm_provider.schema.docs > docs/inputs.md"
