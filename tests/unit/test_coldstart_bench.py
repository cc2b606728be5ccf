"""The Lambda-like cold-start benchmark's own logic (the docker runs themselves are `make bench`, not tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devtools.coldstart import driver
from devtools.coldstart.containers import Staging, cpus_for
from devtools.coldstart.run import configured_memory, cost_per_million, plan
from devtools.slack_recorder import SlackRecorder


def test_the_cpu_share_follows_lambda_one_vcpu_at_1769_mb() -> None:
    assert cpus_for(1769) == 1.0
    assert cpus_for(512) == pytest.approx(0.289, abs=0.001)
    assert cpus_for(256) == pytest.approx(0.145, abs=0.001)


def test_cost_bills_whole_milliseconds_and_the_request() -> None:
    # 1.2 ms at 1,024 MB is billed as 2 ms: 0.002 GB-s per invocation
    assert cost_per_million(1.2, 1024, 0.00002, 0.0000002) == pytest.approx(1e6 * (0.002 * 0.00002 + 0.0000002))


def test_configured_memory_is_the_functions_own_else_the_global(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Globals:\n  Function:\n    MemorySize: 512\n"
        "Resources:\n"
        "  SlackCommandsFunction:\n    Properties:\n      FunctionName: !Sub ${AWS::StackName}-x\n"
        "  AlarmRemediationFunction:\n    Properties:\n      MemorySize: 1024\n"
        "  CutoverHooksFunction:\n    Properties:\n      MemorySize: 256\n"
    )
    assert configured_memory(template) == {"slack": 512, "alarm": 1024, "hook": 256}


def test_the_plan_covers_every_size_and_compares_bytecode_at_the_configured_size() -> None:
    cells = plan([256, 1024], {"slack": 1024, "alarm": 512, "hook": 256})
    keys = [(c.scenario.name, c.memory_mb, c.bytecode) for c in cells]
    assert len(keys) == len(set(keys))
    for memory in (256, 1024):
        assert {("baseline", memory, True), ("help", memory, True), ("status", memory, True)} <= set(keys)
    assert {("status", 1024, False), ("baseline", 1024, False), ("alarm", 512, False), ("baseline", 512, False)} <= set(
        keys
    )
    assert ("sdk", 1024, False) in keys
    assert ("hook", 256, True) in keys  # the cutover hook's cold start, beside the others, at its own size


def test_staging_strips_bytecode_for_the_source_variant_and_refuses_a_build_without_it(tmp_path: Path) -> None:
    build = tmp_path / "build"
    for layer in ("OpsbotLayer", "DependenciesLayer"):
        (build / layer / "python" / layer.lower() / "__pycache__").mkdir(parents=True)
        (build / layer / "python" / layer.lower() / "__init__.py").write_text("")
        (build / layer / "python" / layer.lower() / "__pycache__" / "__init__.cpython-313.pyc").write_bytes(b"")
    staging = Staging(build=build, root=tmp_path / "stage")
    with_pyc = staging.stage("none", None, bytecode=True)
    without = staging.stage("none", None, bytecode=False)
    assert list(with_pyc.opt.rglob("*.pyc"))
    assert not list(without.opt.rglob("*.pyc"))
    assert list(without.opt.rglob("__init__.py"))
    (build / "Fn").mkdir()
    (build / "Fn" / "app.py").write_text("")
    with pytest.raises(SystemExit, match=r"no python3\.13 bytecode"):
        staging.stage("fn", "Fn", bytecode=True)


CONTEXT = {"function_name": "f", "function_arn": "arn:f", "memory_mb": 512, "timeout_s": 3}


def _function_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    """``app.py`` with ``source``, importable by the driver as the function's module."""
    (tmp_path / "app.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "app", raising=False)


def test_the_driver_answers_the_first_event_cold_then_times_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _function_app(
        tmp_path,
        monkeypatch,
        "calls = []\ndef lambda_handler(event, context):\n"
        "    calls.append(context.function_name)\n    return {'n': event['n'], 'arn': context.invoked_function_arn}\n",
    )
    result = driver.run({"mode": "function", "events": [{"n": 1}, {"n": 2}, {"n": 3}], "context": CONTEXT})
    assert result["responses"] == [{"n": 1, "arn": "arn:f"}, {"n": 2, "arn": "arn:f"}, {"n": 3, "arn": "arn:f"}]
    assert len(result["warm_ms"]) == 2
    imported = driver.run({"mode": "import", "modules": ["json"], "clients": []})
    assert imported["responses"] == []


def test_the_driver_reports_the_aws_calls_of_the_first_invocation_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A function making two AWS calls cold and one warm (answered by botocore's Stubber, inside _make_api_call)
    _function_app(
        tmp_path,
        monkeypatch,
        "import botocore.session\nfrom botocore.stub import Stubber\n"
        "client = botocore.session.get_session().create_client('dynamodb', region_name='af-south-1',"
        " aws_access_key_id='x', aws_secret_access_key='y')\n"
        "stubber = Stubber(client)\nfor _ in range(3):\n    stubber.add_response('list_tables', {'TableNames': []})\n"
        "stubber.activate()\n"
        "def lambda_handler(event, context):\n"
        "    for _ in range(event['calls']):\n        client.list_tables()\n    return event['calls']\n",
    )
    import botocore.client

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", botocore.client.BaseClient._make_api_call)
    result = driver.run({"mode": "function", "events": [{"calls": 2}, {"calls": 1}], "context": CONTEXT})
    assert result["responses"] == [2, 1]
    assert result["aws_calls"] == 2
    assert result["aws_ms"] > 0


def test_the_driver_counts_a_signed_request_sent_without_a_client_once_and_an_sdk_call_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A function whose first invocation hands off through the SDK's Lambda client and through the signed request
    # the Slack function sends (both reach botocore's HTTP session; the SDK call must not count twice)
    with SlackRecorder() as recorder:
        _function_app(
            tmp_path,
            monkeypatch,
            "import botocore.session\nfrom botocore.credentials import Credentials\n"
            "from opsbot.aws.lambda_invoke import EventInvoker\n"
            f"URL = {recorder.url!r}\n"
            "def lambda_handler(event, context):\n"
            "    client = botocore.session.get_session().create_client('lambda', region_name='af-south-1',"
            " endpoint_url=URL, aws_access_key_id='x', aws_secret_access_key='y')\n"
            "    client.invoke(FunctionName='f', InvocationType='Event', Payload='{}')\n"
            "    EventInvoker('af-south-1', Credentials('x', 'y'), endpoint_url=URL).invoke("
            "FunctionName='f', InvocationType='Event', Payload='{}')\n"
            "    return 'handed off'\n",
        )
        import botocore.client
        import botocore.httpsession

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", botocore.client.BaseClient._make_api_call)
        monkeypatch.setattr(botocore.httpsession.URLLib3Session, "send", botocore.httpsession.URLLib3Session.send)
        result = driver.run({"mode": "function", "events": [{}], "context": CONTEXT})
        invocations = len(recorder.lambda_invocations())
    assert result["responses"] == ["handed off"]
    assert invocations == 2
    assert result["aws_calls"] == 2
