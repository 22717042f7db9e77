"""A spec feature newer than the engine's API is refused before it is sent, not dropped."""

from __future__ import annotations

import pytest
from docker import types

from swarm_provider.core.check import require_valid
from swarm_provider.core.spec import build_spec
from swarm_provider.errors import EngineError
from swarm_provider.schema.api_versions import FEATURES, require_features
from swarm_provider.schema.service import FIELDS_BY_NAME


def _spec_with_subpath() -> dict:
    mounts = FIELDS_BY_NAME["mounts"].normalise([types.Mount("/d", "vol", subpath="app/data")])
    return build_spec({"name": "web", "image": "busybox", "mounts": mounts})


def test_subpath_is_refused_below_api_1_45_naming_service_input_and_engine_path() -> None:
    with pytest.raises(EngineError) as caught:
        require_features(_spec_with_subpath(), "1.41", "service 'web'")
    assert str(caught.value) == (
        "service 'web': mounts (TaskTemplate.ContainerSpec.Mounts.VolumeOptions.Subpath): "
        "needs Engine API 1.45 (Docker 26.0) or newer, but the engine speaks API 1.41 and "
        'would silently drop it; got "app/data" [upgrade the engine, or leave Subpath out]'
    )


@pytest.mark.parametrize("version", ["1.45", "1.51", "2.0"])
def test_subpath_passes_on_engines_that_keep_it(version: str) -> None:
    require_features(_spec_with_subpath(), version, "service 'web'")


def test_specs_without_newer_features_pass_on_the_oldest_supported_api() -> None:
    mounts = FIELDS_BY_NAME["mounts"].normalise(["vol:/d", "/srv:/s:ro"])
    require_features(build_spec({"name": "web", "image": "b", "mounts": mounts}), "1.41", "x")


def test_every_feature_names_an_input_of_the_table_and_an_api_after_1_41() -> None:
    for feature in FEATURES:
        assert feature.field in FIELDS_BY_NAME
        assert feature.path[: len(FIELDS_BY_NAME[feature.field].path)] == (
            FIELDS_BY_NAME[feature.field].path
        )
        assert feature.minimum > (1, 41)


def test_oom_score_adj_is_refused_below_api_1_46() -> None:
    spec = build_spec({"name": "web", "image": "b", "oom_score_adj": 100})
    with pytest.raises(EngineError, match=r"oom_score_adj \(TaskTemplate.ContainerSpec."
                       r"OomScoreAdj\): needs Engine API 1.46 \(Docker 27.0\)"):
        require_features(spec, "1.45", "service 'web'")
    require_features(spec, "1.46", "service 'web'")


def test_no_new_privileges_is_refused_below_api_1_44() -> None:
    privileges = FIELDS_BY_NAME["privileges"].normalise({"NoNewPrivileges": True})
    spec = build_spec({"name": "web", "image": "b", "privileges": privileges})
    with pytest.raises(EngineError, match=r"privileges \(TaskTemplate.ContainerSpec.Privileges."
                       r"NoNewPrivileges\): needs Engine API 1.44 \(Docker 25.0\)"):
        require_features(spec, "1.43", "service 'web'")
    require_features(spec, "1.44", "service 'web'")


@pytest.mark.parametrize(("key", "below"), [("CreateMountpoint", "1.41"),
                                            ("ReadOnlyNonRecursive", "1.43"),
                                            ("ReadOnlyForceRecursive", "1.43")])
def test_newer_bind_options_are_refused_on_engines_that_would_drop_them(
        key: str, below: str) -> None:
    spec = build_spec(require_valid({
        "name": "web", "image": "busybox:1", "owner": "o",
        "mounts": [{"Type": "bind", "Source": "/srv", "Target": "/srv", "ReadOnly": True,
                    "BindOptions": {key: True}}]}))
    with pytest.raises(EngineError, match=f"mounts .*BindOptions.{key}.*needs Engine API"):
        require_features(spec, below, "service web")
    require_features(spec, "1.44", "service web")
