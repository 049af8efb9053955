"""The workers' part of the template: `tidecast worker` on ECS Fargate, one service per pool.

Transcodes run for minutes and use every core they get, mail and event deliveries take
milliseconds: the media pool and the general pool are two services from the one image (the
Dockerfile at the repository's root), each sized and scaled for its own work, so a burst of
uploads never delays a verification mail.

The scaling rule, per pool: target tracking on the backlog per running task, the pool's queue
depth (metric `QueueDepth` in namespace `tidecast`, dimension `Pool`) divided by the service's
running tasks (Container Insights' `RunningTaskCount`). Media: one waiting transcode per task
(a task transcodes one upload at a time), 1 to 10 tasks. General: 100 waiting jobs per task, 1
to 4 tasks. Scale out after a minute over target, in after five minutes under it: a transcode
killed by a scale-in is retried (its lease runs out), but costs the work done. Neither pool
goes to zero: the general pool runs the chain watcher and the hourly chores.

Who publishes the metric: the general pool's scheduler, each minute, for both pools
(tidecast/metrics.py), as CloudWatch embedded metric format datagrams to the CloudWatch agent
that runs as a sidecar in the general pool's task (its image a parameter, by digest).
"""

from __future__ import annotations

from typing import Any

#: pool -> (vCPU units, MB, min tasks, max tasks, backlog per task, threads flag)
POOLS: dict[str, tuple[int, int, int, int, int, list[str]]] = {
    "media": (2048, 4096, 1, 10, 1, ["--media-workers", "1"]),
    "general": (512, 1024, 1, 4, 100, ["--workers", "4"]),
}
METRIC_NAMESPACE = "tidecast"
#: AWS's managed policy for pulling the image and writing the logs.
EXECUTION_POLICY = "AmazonECSTaskExecutionRolePolicy"
QUEUE_DEPTH_METRIC = "QueueDepth"
#: The pool whose scheduler publishes every pool's backlog (tidecast/metrics.py), with the
#: CloudWatch agent beside it: the agent turns the worker's EMF datagrams into the metric.
METRICS_POOL = "general"
METRICS_URL = "udp://127.0.0.1:25888"
#: The agent's configuration: listen for EMF on its default port (tcp and udp 25888).
AGENT_CONFIG = '{"logs":{"metrics_collected":{"emf":{}}}}'
AGENT_POLICY = "CloudWatchAgentServerPolicy"


def _title(pool: str) -> str:
    return pool.capitalize()


def _container_environment(shared: dict[str, Any], pool: str) -> list[dict[str, Any]]:
    """The functions' settings, with the data directories in the image's own home; the
    metrics pool also sends its backlog to the agent beside it."""
    env = {**shared, "TIDECAST_DATA_DIR": "/home/tidecast/data", "HLS_OUTPUT_DIR": "/home/tidecast/streams"}
    if pool == METRICS_POOL:
        env["TIDECAST_METRICS_URL"] = METRICS_URL
    return [{"Name": name, "Value": value} for name, value in env.items()]


def _pool_resources(pool: str, shared: dict[str, Any]) -> dict[str, Any]:
    cpu, memory, least, most, per_task, threads = POOLS[pool]
    title = _title(pool)
    service = f"Worker{title}Service"
    return {
        f"Worker{title}Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": {"Fn::Sub": "${AWS::StackName}-worker-" + pool},
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": str(cpu),
                "Memory": str(memory),
                "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
                "ExecutionRoleArn": {"Fn::GetAtt": ["WorkerExecutionRole", "Arn"]},
                "TaskRoleArn": {"Fn::GetAtt": ["WorkerTaskRole", "Arn"]},
                "ContainerDefinitions": [
                    {
                        "Name": "worker",
                        "Image": {"Ref": "WorkerImage"},
                        "Essential": True,
                        "Command": ["--pool", pool, *threads],
                        "ReadonlyRootFilesystem": False,
                        "Environment": _container_environment(shared, pool),
                        "StopTimeout": 120,
                        "LogConfiguration": _logs(pool),
                    },
                    *([_agent_container()] if pool == METRICS_POOL else []),
                ],
            },
        },
        service: {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "WorkerCluster"},
                "LaunchType": "FARGATE",
                "TaskDefinition": {"Ref": f"Worker{title}Task"},
                "DesiredCount": least,
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "AssignPublicIp": "DISABLED",
                        "Subnets": {"Ref": "SubnetIds"},
                        "SecurityGroups": {"Ref": "SecurityGroupIds"},
                    }
                },
            },
        },
        f"Worker{title}Scaling": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "ServiceNamespace": "ecs",
                "ScalableDimension": "ecs:service:DesiredCount",
                "ResourceId": {"Fn::Sub": "service/${WorkerCluster}/${" + service + ".Name}"},
                "MinCapacity": least,
                "MaxCapacity": most,
            },
        },
        f"Worker{title}BacklogPolicy": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": f"{pool}-backlog-per-task",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": f"Worker{title}Scaling"},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": per_task,
                    "ScaleOutCooldown": 60,
                    "ScaleInCooldown": 300,
                    "CustomizedMetricSpecification": {
                        "Metrics": [
                            {
                                "Id": "depth",
                                "ReturnData": False,
                                "MetricStat": {
                                    "Stat": "Average",
                                    "Metric": {
                                        "Namespace": METRIC_NAMESPACE,
                                        "MetricName": QUEUE_DEPTH_METRIC,
                                        "Dimensions": [{"Name": "Pool", "Value": pool}],
                                    },
                                },
                            },
                            {
                                "Id": "tasks",
                                "ReturnData": False,
                                "MetricStat": {
                                    "Stat": "Average",
                                    "Metric": {
                                        "Namespace": "ECS/ContainerInsights",
                                        "MetricName": "RunningTaskCount",
                                        "Dimensions": [
                                            {"Name": "ClusterName", "Value": {"Ref": "WorkerCluster"}},
                                            {
                                                "Name": "ServiceName",
                                                "Value": {"Fn::GetAtt": [service, "Name"]},
                                            },
                                        ],
                                    },
                                },
                            },
                            {
                                "Id": "backlog",
                                "Label": "waiting jobs per running task",
                                "Expression": "depth / MAX([tasks, 1])",
                                "ReturnData": True,
                            },
                        ]
                    },
                },
            },
        },
    }


def worker_resources(shared: dict[str, Any]) -> dict[str, Any]:
    """The cluster, its roles and log group, and a service with its scaling per pool; `shared`
    is the settings' environment the functions get (template.environment)."""
    resources: dict[str, Any] = {
        "WorkerCluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
        },
        "WorkerLogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "WorkerExecutionRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": _assumed_by("ecs-tasks.amazonaws.com"),
                "ManagedPolicyArns": [
                    {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/" + EXECUTION_POLICY}
                ],
            },
        },
        "WorkerTaskRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": _assumed_by("ecs-tasks.amazonaws.com"),
                # The agent sidecar writes the EMF log events CloudWatch extracts the metric from.
                "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + AGENT_POLICY}],
                "Policies": [
                    {
                        "PolicyName": "media-bucket",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "s3:GetObject",
                                        "s3:PutObject",
                                        "s3:DeleteObject",
                                        "s3:ListBucket",
                                    ],
                                    "Resource": [
                                        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${StorageBucket}"},
                                        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${StorageBucket}/*"},
                                    ],
                                },
                            ],
                        },
                    }
                ],
            },
        },
    }
    for pool in POOLS:
        resources.update(_pool_resources(pool, shared))
    return resources


def _logs(prefix: str) -> dict[str, Any]:
    return {
        "LogDriver": "awslogs",
        "Options": {
            "awslogs-group": {"Ref": "WorkerLogGroup"},
            "awslogs-region": {"Ref": "AWS::Region"},
            "awslogs-stream-prefix": prefix,
        },
    }


def _agent_container() -> dict[str, Any]:
    """The CloudWatch agent as a sidecar: EMF in on 127.0.0.1:25888, the metric out."""
    return {
        "Name": "cloudwatch-agent",
        "Image": {"Ref": "CloudWatchAgentImage"},
        "Essential": False,  # the worker runs on without it; only the scaling metric pauses
        "Environment": [{"Name": "CW_CONFIG_CONTENT", "Value": AGENT_CONFIG}],
        "LogConfiguration": _logs("cloudwatch-agent"),
    }


def worker_parameters() -> dict[str, Any]:
    return {
        "WorkerImage": {
            "Type": "String",
            "Description": "The worker image (the repository's Dockerfile), by digest: REPO@sha256:...",
            "AllowedPattern": r"^\S+@sha256:[0-9a-f]{64}$",
        },
        "CloudWatchAgentImage": {
            "Type": "String",
            "Description": "The CloudWatch agent's image, by digest (cloudwatch-agent@sha256:...): "
            "it turns the workers' backlog into the QueueDepth metric their scaling follows",
            "AllowedPattern": r"^\S+@sha256:[0-9a-f]{64}$",
        },
    }


def _assumed_by(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
