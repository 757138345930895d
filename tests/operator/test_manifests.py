"""Pure manifest builders: deterministic names, owner references, Secrets by reference, sidecars."""

from __future__ import annotations

from typing import Any

from frontier.domain import exits, naming
from frontier.domain.specs import FrontierSpec, JobTemplate, ModelRef, SecretKeyRef
from frontier.operator import manifests
from frontier.store.engine import DSN_ENV
from tests.support.frontiers import small_spec

OWNER = {
    "apiVersion": "frontier.dev/v1alpha1",
    "kind": "ProfileRun",
    "metadata": {"name": "shop-profile-abc", "namespace": "team", "uid": "u-1"},
}
FRONTIER = {
    "apiVersion": "frontier.dev/v1alpha1",
    "kind": "Frontier",
    "metadata": {"name": "shop", "namespace": "team", "uid": "f-1", "generation": 3},
}


def build(
    models: list[ModelRef], template: JobTemplate | None = None, shards: int = 3
) -> dict[str, Any]:
    return manifests.worker_job(
        manifests.JobRequest(
            owner=OWNER,
            frontier="shop",
            work="shop-profile-abc",
            stage="profile",
            command=manifests.rollouts_command("team/shop", "shop-profile-abc"),
            models=models,
            template=template or JobTemplate(),
            shards=shards,
            default_database_secret=SecretKeyRef(name="db", key="dsn"),
        )
    )


def test_base_profile_run_is_named_like_the_local_runner_names_it() -> None:
    spec: FrontierSpec = small_spec()
    child = manifests.base_profile_run(manifests.FrontierRef.from_body(FRONTIER), spec)
    assert child["metadata"]["name"] == naming.base_profile_run(
        "shop", naming.profile_fingerprint(spec)
    )
    assert child["metadata"]["ownerReferences"][0]["uid"] == "f-1"
    assert child["metadata"]["namespace"] == "team"


def test_job_is_indexed_with_one_completion_per_shard_and_owned_by_its_run() -> None:
    job = build([ModelRef(name="solver")])
    assert job["metadata"]["name"] == "shop-profile-abc-profile"
    assert (job["spec"]["completionMode"], job["spec"]["completions"]) == ("Indexed", 3)
    assert job["metadata"]["ownerReferences"][0] == {
        "apiVersion": "frontier.dev/v1alpha1",
        "kind": "ProfileRun",
        "name": "shop-profile-abc",
        "uid": "u-1",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def test_database_and_api_keys_come_from_secrets_never_inline() -> None:
    model = ModelRef(
        name="gpt-x",
        provider="openai",
        base_url="http://x/v1",
        model="m",
        api_key_secret=SecretKeyRef(name="keys", key="openai"),
    )
    env = build([model])["spec"]["template"]["spec"]["containers"][0]["env"]
    by_name = {e["name"]: e for e in env}
    assert by_name[DSN_ENV]["valueFrom"]["secretKeyRef"] == {"name": "db", "key": "dsn"}
    assert by_name["FRONTIER_API_KEY_GPT_X"]["valueFrom"]["secretKeyRef"] == {
        "name": "keys",
        "key": "openai",
    }
    assert all("value" not in e for e in env if e["name"].startswith("FRONTIER_API_KEY"))


def test_model_server_runs_as_a_native_sidecar_with_its_gpu() -> None:
    model = ModelRef.model_validate(
        {
            "name": "local",
            "provider": "openai",
            "model": "m",
            "server": {
                "image": "vllm/vllm-openai",
                "port": 8001,
                "resources": {"limits": {"nvidia.com/gpu": "1"}},
            },
        }
    )
    pod = build([model])["spec"]["template"]["spec"]
    sidecar = pod["initContainers"][0]
    assert sidecar["restartPolicy"] == "Always"
    assert sidecar["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["FRONTIER_BASE_URL_LOCAL"] == "http://127.0.0.1:8001/v1"


def test_worker_runs_non_root_read_only_without_capabilities() -> None:
    container = build([ModelRef(name="solver")])["spec"]["template"]["spec"]["containers"][0]
    security = container["securityContext"]
    assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"]
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}


def test_long_names_are_cut_to_a_dns_label_and_stay_distinct() -> None:
    a = manifests.job_name("x" * 70, "profile")
    b = manifests.job_name("x" * 69 + "y", "profile")
    assert len(a) <= 63 and len(b) <= 63 and a != b


def test_task_files_can_come_from_a_volume_the_job_template_names() -> None:
    template = JobTemplate.model_validate(
        {
            "volumes": [{"name": "tasks", "persistentVolumeClaim": {"claimName": "shop-tasks"}}],
            "volumeMounts": [{"name": "tasks", "mountPath": "/data", "readOnly": True}],
        }
    )
    pod = build([ModelRef(name="solver")], template)["spec"]["template"]["spec"]
    assert {"name": "tasks", "persistentVolumeClaim": {"claimName": "shop-tasks"}} in pod["volumes"]
    mounts = pod["containers"][0]["volumeMounts"]
    assert {"name": "tasks", "mountPath": "/data", "readOnly": True} in mounts
    assert {"name": "tmp", "mountPath": "/tmp"} in mounts


def test_gpu_cluster_settings_reach_the_pods_and_a_queue_label_the_job() -> None:
    template = JobTemplate.model_validate(
        {
            "resources": {"limits": {"nvidia.com/gpu": 1, "memory": "4Gi"}},
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
            "priorityClassName": "gpu-batch",
            "runtimeClassName": "nvidia",
            "labels": {"kueue.x-k8s.io/queue-name": "gpu", "app.kubernetes.io/managed-by": "me"},
            "annotations": {"team": "evals"},
        }
    )
    job = build([ModelRef(name="solver")], template)
    pod = job["spec"]["template"]
    assert pod["spec"]["priorityClassName"] == "gpu-batch"
    assert pod["spec"]["runtimeClassName"] == "nvidia"
    assert pod["spec"]["affinity"] == template.affinity
    assert pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["metadata"]["annotations"] == {"team": "evals"}
    for labels in (job["metadata"]["labels"], pod["metadata"]["labels"]):
        assert labels["kueue.x-k8s.io/queue-name"] == "gpu"
        # A user's label never takes over the operator's own (its Job watch selects on it).
        assert labels["app.kubernetes.io/managed-by"] == manifests.MANAGED_BY


def test_a_quantity_is_a_number_or_a_string_and_nothing_else() -> None:
    import pytest
    from pydantic import ValidationError

    assert JobTemplate.model_validate({"resources": {"limits": {"cpu": "500m", "gpu": 2}}})
    with pytest.raises(ValidationError):
        JobTemplate.model_validate({"resources": {"limits": {"cpu": 0.5}}})


def test_a_failed_shard_keeps_its_last_log_lines_as_its_termination_message() -> None:
    worker = build([ModelRef(name="solver")])["spec"]["template"]["spec"]["containers"][0]
    assert worker["terminationMessagePolicy"] == "FallbackToLogsOnError"


def test_a_permanent_failure_fails_its_index_and_a_budget_stop_the_whole_job() -> None:
    rules = build([ModelRef(name="solver")])["spec"]["podFailurePolicy"]["rules"]
    by_code = {
        code: rule["action"]
        for rule in rules
        for code in rule.get("onExitCodes", {}).get("values", [])
    }
    assert by_code == {exits.PERMANENT_FAILURE: "FailIndex", exits.BUDGET_STOP: "FailJob"}
    assert exits.TRANSIENT_FAILURE not in by_code  # retried per index, up to backoffLimitPerIndex


def test_the_calibration_panel_gets_one_profilerun_each_named_as_frontier_run_names_it() -> None:
    panel = [{"name": "ladder-s000", "provider": "heuristic", "skill": 0.0}]
    spec: FrontierSpec = small_spec(calibration={"panel": panel})
    (run,) = manifests.panel_profile_runs(manifests.FrontierRef.from_body(FRONTIER), spec)
    assert run["metadata"]["name"] == naming.panel_profile_run_of(
        "shop", spec, spec.calibration.panel[0]
    )
    assert run["spec"]["model"]["skill"] == 0.0 and run["spec"]["taskSet"] == {"kind": "base"}


def test_on_a_slice_version_the_panel_gets_a_profilerun_over_the_tasks_it_adds() -> None:
    panel = [{"name": "ladder-s000", "provider": "heuristic", "skill": 0.0}]
    spec: FrontierSpec = small_spec(calibration={"panel": panel})
    ref = manifests.FrontierRef.from_body(FRONTIER)
    (run,) = manifests.panel_profile_runs(ref, spec, slice_version=2)
    assert run["metadata"]["name"] == naming.panel_slice_run_of(
        "shop", spec, spec.calibration.panel[0], 2
    )
    assert run["spec"]["taskSet"] == {"kind": "slice", "sliceVersion": 2, "newOnly": True}
    assert run["metadata"]["name"] != manifests.panel_profile_runs(ref, spec)[0]["metadata"]["name"]


def test_each_panel_model_rolls_out_on_its_own_seed() -> None:
    panel = [
        {"name": "ladder-s000", "provider": "heuristic", "skill": 0.0},
        {"name": "ladder-s100", "provider": "heuristic", "skill": 1.0},
    ]
    spec: FrontierSpec = small_spec(calibration={"panel": panel})
    ref = manifests.FrontierRef.from_body(FRONTIER)
    for runs in (
        manifests.panel_profile_runs(ref, spec),
        manifests.panel_profile_runs(ref, spec, 1),
    ):
        seeds = [r["spec"]["seed"] for r in runs]
        assert seeds == [naming.panel_seed(spec, m) for m in spec.calibration.panel]
        assert len(set(seeds)) == 2 and spec.profile.seed not in seeds
