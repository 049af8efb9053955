"""The template's CloudWatch alarms: what the operator's guide's "Alerts" table can watch from
metrics AWS and tidecast publish (docs/operators-guide.md says what each means and what to do).

- the HTTP API's 5xx (10 or more in 5 minutes: a part is down, or a fault in the code);
- each function's `Errors` (an invocation that crashed or timed out: the handler itself never
  raises) and `Throttles` (the account's concurrency reached);
- the keys function's p99 `Duration` over 1 s for 15 minutes (players stall when a key comes
  late for its period);
- each worker pool's `QueueDepth` at its scaling ceiling (most tasks x backlog per task) for
  10 minutes, and no `QueueDepth` at all for 10 minutes (the publisher or its agent is down,
  and the pools no longer scale);
- each worker service running no task for 5 minutes (a crash loop: a bad image or settings).

Every alarm notifies the SNS topic `AlarmTopicArn` when one is given (its OK too); without one
the alarms still show their state in the console. The rest of the guide's table (failed jobs,
dead events, mail failures, the platform balance) is read by CLI commands, not metrics, and has
no alarm here.
"""

from __future__ import annotations

from typing import Any

from tidecast.deploy.worker import METRIC_NAMESPACE, METRICS_POOL, POOLS, QUEUE_DEPTH_METRIC

#: The keys function's p99 duration that players feel (ms): a key a second late stalls hls.js.
KEYS_P99_MS = 1000
API_5XX_IN_5_MINUTES = 10
CONDITION = "HasAlarmTopic"


def alarm_parameters() -> dict[str, Any]:
    return {
        "AlarmTopicArn": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": r"^(arn:\S+)?$",
            "Description": "SNS topic the alarms notify (empty: alarms without notifications)",
        }
    }


def alarm_conditions() -> dict[str, Any]:
    return {CONDITION: {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}}


def _alarm(description: str, metric: dict[str, Any], **rule: Any) -> dict[str, Any]:
    actions = {"Fn::If": [CONDITION, [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "ActionsEnabled": True,
            "AlarmActions": actions,
            "OKActions": actions,
            **metric,
            **rule,
        },
    }


def alarm_resources(functions: dict[str, str]) -> dict[str, Any]:
    """The alarms, for `functions` (module name -> logical id) and the worker pools."""
    out: dict[str, Any] = {
        "ApiServerErrorsAlarm": _alarm(
            "tidecast API: 5xx answers (a part is down, or a fault in the code)",
            {
                "Namespace": "AWS/ApiGateway",
                "MetricName": "5xx",
                "Dimensions": [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}],
                "Statistic": "Sum",
            },
            Period=300,
            EvaluationPeriods=1,
            Threshold=API_5XX_IN_5_MINUTES,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )
    }
    for name, logical in functions.items():
        dimension = [{"Name": "FunctionName", "Value": {"Ref": logical}}]
        for metric, meaning in (
            ("Errors", "invocations that crashed or timed out"),
            ("Throttles", "invocations refused: the concurrency is used up"),
        ):
            out[f"{logical}{metric}Alarm"] = _alarm(
                f"tidecast {name} function: {meaning}",
                {
                    "Namespace": "AWS/Lambda",
                    "MetricName": metric,
                    "Dimensions": dimension,
                    "Statistic": "Sum",
                },
                Period=300,
                EvaluationPeriods=1,
                Threshold=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                TreatMissingData="notBreaching",
            )
        if name == "keys":
            out[f"{logical}LatencyAlarm"] = _alarm(
                f"tidecast keys function: p99 duration over {KEYS_P99_MS} ms (players stall)",
                {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Duration",
                    "Dimensions": dimension,
                    "ExtendedStatistic": "p99",
                },
                Period=300,
                EvaluationPeriods=3,
                Threshold=KEYS_P99_MS,
                ComparisonOperator="GreaterThanThreshold",
                TreatMissingData="notBreaching",
            )
    for pool, (_, _, _, most, per_task, _) in POOLS.items():
        title = pool.capitalize()
        depth = {
            "Namespace": METRIC_NAMESPACE,
            "MetricName": QUEUE_DEPTH_METRIC,
            "Dimensions": [{"Name": "Pool", "Value": pool}],
        }
        out[f"Worker{title}BacklogAlarm"] = _alarm(
            f"tidecast {pool} pool: work waiting at the pool's ceiling ({most} tasks x {per_task})",
            {**depth, "Statistic": "Minimum"},
            Period=60,
            EvaluationPeriods=10,
            Threshold=most * per_task,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching",
        )
        out[f"Worker{title}TasksAlarm"] = _alarm(
            f"tidecast {pool} pool: no task running (a crash loop: image or settings)",
            {
                "Namespace": "ECS/ContainerInsights",
                "MetricName": "RunningTaskCount",
                "Dimensions": [
                    {"Name": "ClusterName", "Value": {"Ref": "WorkerCluster"}},
                    {"Name": "ServiceName", "Value": {"Fn::GetAtt": [f"Worker{title}Service", "Name"]}},
                ],
                "Statistic": "Maximum",
            },
            Period=60,
            EvaluationPeriods=5,
            Threshold=1,
            ComparisonOperator="LessThanThreshold",
            TreatMissingData="breaching",
        )
    out["QueueDepthMissingAlarm"] = _alarm(
        f"tidecast: no QueueDepth for 10 minutes (the {METRICS_POOL} pool or its agent is down; "
        "the pools no longer scale)",
        {
            "Namespace": METRIC_NAMESPACE,
            "MetricName": QUEUE_DEPTH_METRIC,
            "Dimensions": [{"Name": "Pool", "Value": "media"}],
            "Statistic": "SampleCount",
        },
        Period=600,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData="breaching",
    )
    return out
