"""The contract every ``MetadataStore`` passes: subclass and provide a ``store`` fixture.

Monitor results and alerts have their part in ``monitoring_contract``, inherited here.

``tests/storage/test_store_contract.py`` runs it on memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aweigh.core.entities import (
    AuditEntry,
    ColumnSpec,
    DataFingerprint,
    NewDatasetVersion,
    NewVersion,
    OutputKind,
    Signature,
)
from aweigh.core.errors import (
    AliasInUseError,
    AliasNotFoundError,
    AlreadyExistsError,
    ConcurrentUpdateError,
    DatasetNotFoundError,
    ModelNotFoundError,
    VersionNotFoundError,
)
from aweigh.storage.base import MetadataStore
from aweigh.testing.monitoring_contract import MonitoringStoreContract

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_names = itertools.count()


def spec(name: str, n: int = 0, **changes: object) -> NewVersion:
    """A realistic version spec; ``n`` varies the hash and time."""
    base = NewVersion(
        model_name=name,
        sha256=f"{n:064x}",
        flavor="sklearn",
        artifact_size=1000 + n,
        signature=Signature(
            columns=(ColumnSpec("age", "int", False), ColumnSpec("occupation", "string", True))
        ),
        output=OutputKind(task="classification", classes=("<=50K", ">50K")),
        data_fingerprint=DataFingerprint(
            sha256="f" * 64, rows=32561, columns=("age", "occupation", "income")
        ),
        params={"max_depth": 3, "nested": {"a": [1, 2.5, None, "x"]}},
        metrics={"roc_auc": 0.91, "accuracy": 0.87},
        code_version="abc123",
        parent=None,
        tags={"team": "risk"},
        description="d",
        author="ana",
        runtime={"python": "3.11"},
        created_at=T0 + timedelta(seconds=n),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class MetadataStoreContract(MonitoringStoreContract):
    """Behaviour every metadata store must have. Subclasses define a ``store`` fixture."""

    @pytest.fixture
    def store(self) -> MetadataStore:  # pragma: no cover - overridden
        raise AssertionError("subclasses provide a fresh, empty store")

    @pytest.fixture
    def name(self) -> str:
        return f"churn-{next(_names)}"

    def _model_with(self, store: MetadataStore, name: str, count: int) -> None:
        store.create_model(name, now=T0)
        for n in range(count):
            store.create_version(spec(name, n))

    # -- models -----------------------------------------------------------------
    def test_creates_and_reads_a_model(self, store: MetadataStore, name: str) -> None:
        created = store.create_model(name, now=T0, description="churn", tags={"a": "b"})
        assert created.name == name
        fetched = store.get_model(name)
        assert (fetched.description, dict(fetched.tags), fetched.created_at) == (
            "churn",
            {"a": "b"},
            T0,
        )
        assert fetched.latest_version is None

    def test_refuses_a_duplicate_model_unless_exist_ok(
        self, store: MetadataStore, name: str
    ) -> None:
        store.create_model(name, now=T0)
        with pytest.raises(AlreadyExistsError, match=name):
            store.create_model(name, now=T0)
        assert store.create_model(name, now=T0, exist_ok=True).name == name

    def test_lists_models_by_name_with_latest_version(self, store: MetadataStore) -> None:
        for name, count in (("b-model", 2), ("a-model", 0)):
            self._model_with(store, name, count)
        listed = [(m.name, m.latest_version) for m in store.list_models()]
        assert listed == [("a-model", None), ("b-model", 2)]

    def test_unknown_model_is_not_found_everywhere(self, store: MetadataStore) -> None:
        calls = [
            lambda: store.get_model("ghost"),
            lambda: store.get_version("ghost", 1),
            lambda: store.latest_version("ghost"),
            lambda: store.list_versions("ghost"),
            lambda: store.list_aliases("ghost"),
            lambda: store.alias_history("ghost"),
            lambda: store.get_alias("ghost", "champion"),
            lambda: store.delete_model("ghost"),
            lambda: store.create_version(spec("ghost")),
            lambda: store.set_alias("ghost", "champion", 1, actor="a", reason="", now=T0),
        ]
        for call in calls:
            with pytest.raises(ModelNotFoundError, match="No model called 'ghost'"):
                call()  # type: ignore[no-untyped-call]

    # -- versions ---------------------------------------------------------------
    def test_numbers_versions_from_one(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 3)
        assert [v.version for v in store.list_versions(name)] == [1, 2, 3]
        assert store.latest_version(name).version == 3

    def test_creates_the_model_with_its_first_version_when_asked(
        self, store: MetadataStore, name: str
    ) -> None:
        with pytest.raises(ModelNotFoundError):
            store.create_version(spec(name))
        assert store.create_version(spec(name), create_model=True).version == 1
        assert store.create_version(spec(name, 1), create_model=True).version == 2
        assert store.get_model(name).latest_version == 2

    def test_round_trips_every_version_field(self, store: MetadataStore, name: str) -> None:
        store.create_model(name, now=T0)
        given_spec = spec(name, 7, parent=("other", 2))
        created = store.create_version(given_spec)
        fetched = store.get_version(name, created.version)
        assert fetched == created
        for field in (
            "sha256",
            "flavor",
            "artifact_size",
            "signature",
            "output",
            "data_fingerprint",
            "code_version",
            "parent",
            "description",
            "author",
            "created_at",
        ):
            assert getattr(fetched, field) == getattr(given_spec, field), field
        for field in ("params", "metrics", "tags", "runtime"):
            assert dict(getattr(fetched, field)) == dict(getattr(given_spec, field)), field
        assert fetched.created_at.tzinfo is not None

    def test_returns_frozen_entities(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 1)
        version = store.get_version(name, 1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            version.flavor = "onnx"  # type: ignore[misc]
        with pytest.raises(TypeError):
            version.params["max_depth"] = 99  # type: ignore[index]
        assert store.get_version(name, 1).params["max_depth"] == 3

    def test_unknown_version_is_not_found(self, store: MetadataStore, name: str) -> None:
        store.create_model(name, now=T0)
        with pytest.raises(VersionNotFoundError, match="no versions yet"):
            store.latest_version(name)
        with pytest.raises(VersionNotFoundError, match=f"{name!r} has no version 4"):
            store.get_version(name, 4)

    def test_finds_versions_by_artifact_hash(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 2)
        found = store.versions_with_sha256(f"{1:064x}")
        assert [(v.model_name, v.version) for v in found] == [(name, 2)]
        assert store.versions_with_sha256("e" * 64) == []

    def test_updates_description_and_merges_tags(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 1)
        updated = store.update_version(name, 1, description="better", tags={"stage": "prod"})
        assert updated.description == "better"
        assert dict(updated.tags) == {"team": "risk", "stage": "prod"}
        assert store.get_version(name, 1) == updated

    def test_deletes_an_unaliased_version_and_never_reuses_its_number(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 2)
        assert store.delete_version(name, 2).version == 2
        with pytest.raises(VersionNotFoundError):
            store.get_version(name, 2)
        assert store.create_version(spec(name, 9)).version == 3

    def test_refuses_to_delete_an_aliased_version_naming_the_alias(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 2)
        store.set_alias(name, "champion", 1, actor="ana", reason="", now=T0)
        with pytest.raises(AliasInUseError, match="alias 'champion' points to it"):
            store.delete_version(name, 1)
        assert store.get_version(name, 1).aliases == ("champion",)

    # -- aliases ----------------------------------------------------------------
    def test_alias_moves_are_recorded_with_who_what_when_why(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 3)
        first = store.set_alias(name, "champion", 1, actor="ana", reason="first", now=T0)
        second = store.set_alias(
            name, "champion", 3, actor="bo", reason="better auc", now=T0 + timedelta(hours=1)
        )
        assert (first.from_version, first.to_version) == (None, 1)
        assert (second.from_version, second.to_version, second.actor, second.reason) == (
            1,
            3,
            "bo",
            "better auc",
        )
        assert store.get_alias(name, "champion").version == 3
        assert store.get_alias(name, "champion").updated_by == "bo"
        assert [(e.from_version, e.to_version) for e in store.alias_history(name)] == [
            (None, 1),
            (1, 3),
        ]
        assert store.get_version(name, 3).aliases == ("champion",)
        assert store.get_version(name, 1).aliases == ()

    def test_lists_aliases_and_filters_history_by_alias(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 2)
        store.set_alias(name, "champion", 1, actor="a", reason="", now=T0)
        store.set_alias(name, "challenger", 2, actor="a", reason="", now=T0)
        assert [(a.alias, a.version) for a in store.list_aliases(name)] == [
            ("challenger", 2),
            ("champion", 1),
        ]
        assert [e.alias for e in store.alias_history(name, "challenger")] == ["challenger"]
        assert [v.aliases for v in store.list_versions(name)] == [("champion",), ("challenger",)]

    def test_alias_to_a_missing_version_changes_nothing(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 1)
        with pytest.raises(VersionNotFoundError):
            store.set_alias(name, "champion", 5, actor="a", reason="", now=T0)
        assert store.list_aliases(name) == []
        assert store.alias_history(name) == []

    def test_compare_and_set_refuses_a_stale_expectation(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 3)
        store.set_alias(
            name,
            "champion",
            1,
            actor="a",
            reason="",
            now=T0,
            expect_current=True,
            expected_version=None,
        )
        store.set_alias(
            name,
            "champion",
            2,
            actor="b",
            reason="",
            now=T0,
            expect_current=True,
            expected_version=1,
        )
        with pytest.raises(ConcurrentUpdateError, match="points to version 2, not 1"):
            store.set_alias(
                name,
                "champion",
                3,
                actor="c",
                reason="",
                now=T0,
                expect_current=True,
                expected_version=1,
            )
        assert store.get_alias(name, "champion").version == 2
        assert len(store.alias_history(name)) == 2

    def test_deleting_an_alias_is_recorded(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 1)
        store.set_alias(name, "canary", 1, actor="a", reason="", now=T0)
        event = store.delete_alias(name, "canary", actor="b", reason="done", now=T0)
        assert (event.from_version, event.to_version) == (1, None)
        with pytest.raises(AliasNotFoundError, match="no alias 'canary'"):
            store.get_alias(name, "canary")
        with pytest.raises(AliasNotFoundError):
            store.delete_alias(name, "canary", actor="b", reason="", now=T0)
        assert store.delete_version(name, 1).version == 1

    def test_answers_which_version_an_alias_had_at_a_time(
        self, store: MetadataStore, name: str
    ) -> None:
        self._model_with(store, name, 3)
        for hours, version in ((0, 1), (2, 2), (4, 3)):
            store.set_alias(
                name, "champion", version, actor="a", reason="", now=T0 + timedelta(hours=hours)
            )
        store.delete_alias(name, "champion", actor="a", reason="", now=T0 + timedelta(hours=6))
        expected: dict[int, int | None] = {-1: None, 0: 1, 1: 1, 3: 2, 4: 3, 5: 3, 7: None}
        for hours, wanted in expected.items():
            assert store.alias_at(name, "champion", T0 + timedelta(hours=hours)) == wanted

    def test_deletes_a_model_only_without_aliases(self, store: MetadataStore, name: str) -> None:
        self._model_with(store, name, 2)
        store.set_alias(name, "champion", 2, actor="a", reason="", now=T0)
        with pytest.raises(AliasInUseError, match="still has alias 'champion'"):
            store.delete_model(name)
        store.delete_alias(name, "champion", actor="a", reason="", now=T0)
        store.delete_model(name)
        with pytest.raises(ModelNotFoundError):
            store.get_model(name)
        assert name not in [m.name for m in store.list_models()]

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        moves=st.lists(
            st.one_of(st.integers(min_value=1, max_value=4), st.none()), min_size=1, max_size=12
        )
    )
    def test_history_is_a_consistent_chain_for_any_sequence_of_moves(
        self, store: MetadataStore, moves: list[int | None]
    ) -> None:
        name = f"prop-{next(_names)}"
        self._model_with(store, name, 4)
        current: int | None = None
        target: int | None
        for step, target in enumerate(moves):
            now = T0 + timedelta(minutes=step)
            if target is None:
                if current is not None:
                    store.delete_alias(name, "champion", actor="p", reason="", now=now)
                    current = None
            else:
                store.set_alias(name, "champion", target, actor="p", reason="", now=now)
                current = target
            assert store.alias_at(name, "champion", now) == current
        history = store.alias_history(name, "champion")
        previous: int | None = None
        for event in history:
            assert event.from_version == previous
            previous = event.to_version
        assert previous == current

    # -- contracts, lineage and dataset versions ------------------------------------
    def test_a_version_keeps_its_contract_and_dataset_lineage(
        self, store: MetadataStore, name: str
    ) -> None:
        contract = {
            "format_version": 1,
            "extra_columns": "reject",
            "columns": {
                "age": {"type": "int", "min": 17.0, "max": 90.0},
                "sex": {"type": "category", "categories": ["Female", "Male"]},
            },
        }
        created = store.create_version(
            spec(name, contract=contract, dataset=("adult", 2)), create_model=True
        )
        fetched = store.get_version(name, created.version)
        assert fetched.dataset == ("adult", 2)
        assert fetched.contract is not None
        assert fetched.contract["columns"]["sex"]["categories"] == ("Female", "Male")
        with pytest.raises(TypeError):
            fetched.contract["columns"]["age"]["min"] = 0
        assert fetched.to_dict()["dataset"] == "adult/2"

    def _dataset(self, name: str, n: int = 0) -> NewDatasetVersion:
        return NewDatasetVersion(
            name=name,
            sha256=f"{n:064x}",
            rows=32561 + n,
            columns=("age", "income"),
            contract={"format_version": 1, "columns": {"age": {"type": "int"}}},
            profile={"columns": {"age": {"mean": 38.6, "quantiles": [17, 37, 90]}}},
            source="adult_train.csv",
            description="census",
            author="ana",
            created_at=T0 + timedelta(seconds=n),
        )

    def test_dataset_versions_are_numbered_and_read_back(
        self, store: MetadataStore, name: str
    ) -> None:
        first = store.create_dataset_version(self._dataset(name))
        second = store.create_dataset_version(self._dataset(name, 1))
        assert (first.version, second.version) == (1, 2)
        fetched = store.get_dataset_version(name, 1)
        assert fetched == first
        assert fetched.columns == ("age", "income")
        assert fetched.profile["columns"]["age"]["quantiles"] == (17, 37, 90)
        assert store.latest_dataset_version(name).version == 2
        assert [v.version for v in store.list_dataset_versions(name)] == [1, 2]
        assert [(d.name, d.version) for d in store.list_datasets() if d.name == name] == [(name, 2)]
        assert [
            v.ref for v in store.dataset_versions_with_sha256(f"{1:064x}") if v.name == name
        ] == [f"{name}/2"]

    def test_unknown_datasets_are_not_found(self, store: MetadataStore, name: str) -> None:
        with pytest.raises(DatasetNotFoundError, match="aweigh data list"):
            store.latest_dataset_version("ghost")
        with pytest.raises(DatasetNotFoundError):
            store.list_dataset_versions("ghost")
        store.create_dataset_version(self._dataset(name))
        with pytest.raises(DatasetNotFoundError, match="version 5"):
            store.get_dataset_version(name, 5)

    def test_dataset_versions_keep_subjects_and_a_status(
        self, store: MetadataStore, name: str
    ) -> None:
        spec_ = dataclasses.replace(
            self._dataset(name),
            subjects={"field": "customer_id", "count": 2, "tokens": "AAAAAAAAAAE="},
        )
        created = store.create_dataset_version(spec_)
        assert created.status == "ok"
        assert created.subjects is not None
        assert created.subjects["field"] == "customer_id"
        assert created.to_dict()["subjects"] == {"field": "customer_id", "count": 2}
        marked = store.set_dataset_status(name, 1, "erasure-pending")
        assert marked.status == "erasure-pending"
        assert store.get_dataset_version(name, 1).status == "erasure-pending"

    def test_a_version_keeps_its_privacy_policy(self, store: MetadataStore, name: str) -> None:
        policy = {"columns": {"email": {"action": "hash"}}}
        created = store.create_version(spec(name, privacy_policy=policy), create_model=True)
        assert store.get_version(name, created.version).privacy_policy == {
            "columns": {"email": {"action": "hash"}}
        }

    def test_the_audit_log_is_append_only_and_filterable(self, store: MetadataStore) -> None:
        for i, action in enumerate(("erasure", "retention", "erasure")):
            store.record_audit(
                AuditEntry(
                    action=action,
                    actor="ana",
                    at=T0 + timedelta(i),
                    subject="h:abc" if action == "erasure" else None,
                    details={"removed": {"events": i}},
                )
            )
        everything = store.audit_log()
        assert [e.action for e in everything][-3:] == ["erasure", "retention", "erasure"]
        erasures = store.audit_log(action="erasure", limit=1)
        assert len(erasures) == 1
        assert erasures[0].details["removed"]["events"] == 2
        assert erasures[0].subject == "h:abc"
