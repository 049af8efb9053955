"""The SAM template production deploys, generated from netlify.toml and the functions directory.

The dev server and this template read the same two sources, so a function or a rule added for
`tidecast dev` reaches AWS unchanged: the function list as the dev server finds it (every
`<functions dir>/<name>.py`, runtime/registry.py), each function's `timeout` and `memory` from
`[functions.NAME]`, and the HTTP API's routes from the rewrite rules that call a function
(runtime/netlify.py). `deploy/template.yaml` is this module's output, committed; `tidecast deploy
template --check` (run by the tests) fails while the two differ.

Routes. API Gateway picks the most specific route where Netlify takes the first rule that
matches; the two agree here because every route is literal up to one trailing `{proxy+}`:
`/api/*` -> `/.netlify/functions/:splat` becomes `/api/NAME` and `/api/NAME/{proxy+}` for each
function (not one `/api/{proxy+}` router function: each function keeps its own code, memory,
timeout and concurrency), a rule naming one function (`/api/openapi.json`) becomes that literal
route, and every function is also reachable at `/.netlify/functions/NAME[/{proxy+}]`. A route
two rules claim goes to the first rule, as Netlify would.

Secrets. CloudFormation resolves `{{resolve:ssm-secure:...}}` only in a short list of
properties that does not include a Lambda function's environment, so the secrets come from one
Secrets Manager secret (a JSON object, `{{resolve:secretsmanager:...}}`), never from parameters.
The resolved values do end up in the functions' configuration, readable by whoever may call
`lambda:GetFunctionConfiguration`: reading them at run time instead would need code in
tidecast/config.py that the embedded default does not want; docs/deploy-aws.md says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidecast.deploy.alarms import alarm_conditions, alarm_parameters, alarm_resources
from tidecast.deploy.worker import worker_parameters, worker_resources
from tidecast.errors import ConfigError
from tidecast.runtime.netlify import FUNCTIONS_PREFIX, NetlifyConfig, load_netlify_config
from tidecast.runtime.registry import Registry

#: Committed beside the worker's Dockerfile; `sam deploy --template-file` reads it.
TEMPLATE = Path("deploy/template.yaml")
#: What `tidecast package` builds, relative to the template (SAM resolves CodeUri from there).
CODE_URI = "../dist/lambda.zip"
#: The Lambda runtime the package is built for and the tests run (this machine's Python).
RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"
#: An HTTP API's integration gives up after 30 s whatever the function's timeout.
HTTP_API_MAX_TIMEOUT = 30
MEMORY_RANGE = (128, 10240)
LOG_RETENTION_DAYS = 30
#: One JSON line a request; no query string (a reset token or an unsubscribe link's may be in it).
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
    '"route":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency",'
    '"integrationError":"$context.integrationErrorMessage"}'
)
DEFAULT_TIMEOUT = 10
DEFAULT_MEMORY = 512
#: Lambda's only writable directory: the data directory (dev secrets are never made in
#: production; SQLite is never used) and, until media leave the disk, HLS output go there.
LAMBDA_TMP = "/tmp"  # noqa: S108 - Lambda's own writable directory, not a temporary file we make
#: Keys of the Secrets Manager secret (a JSON object) and the setting each one fills.
SECRET_KEYS = {
    "JWT_SECRET": "JWT_SECRET",
    "TIDECAST_MEDIA_KEY_SECRET": "TIDECAST_MEDIA_KEY_SECRET",
    # Empty outside a media-key rotation (docs/operators-guide.md), but always present: a
    # dynamic reference to a key the secret lacks fails the deploy.
    "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS": "TIDECAST_MEDIA_KEY_PREVIOUS_SECRETS",
    "PLATFORM_PRIVATE_KEY": "PLATFORM_PRIVATE_KEY",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    # Card payments (docs/billing.md). Empty: the billing function refuses to start, naming
    # them; the rest of the platform runs. The webhook secret may list two during a rotation.
    "STRIPE_SECRET_KEY": "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET": "STRIPE_WEBHOOK_SECRET",
    "TREASURY_PRIVATE_KEY": "TREASURY_PRIVATE_KEY",
}
#: A URL parameter may not carry credentials: they belong in the secret.
_NO_CREDENTIALS = r"^[a-z][a-z0-9+]*://[^@\s]+$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"


@dataclass(frozen=True)
class Route:
    path: str
    function: str

    @property
    def key(self) -> str:
        return f"ANY {self.path}"


def parameters() -> dict[str, Any]:
    """Every endpoint and public setting production varies by; no secret is among them."""

    def text(description: str, default: str | None = None, pattern: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"Type": "String", "Description": description}
        if default is not None:
            out["Default"] = default
        if pattern is not None:
            out["AllowedPattern"] = pattern
        return out

    return {
        "SecretId": text(
            "Secrets Manager secret (name or ARN) holding a JSON object with the keys "
            + ", ".join([*SECRET_KEYS, "DATABASE_PASSWORD"]),
            "tidecast/production",
        ),
        "PublicUrl": text(
            "TIDECAST_PUBLIC_URL: the site's public address (links in mail)", pattern=r"^https://\S+$"
        ),
        "DatabaseHost": text("PostgreSQL host"),
        "DatabasePort": {"Type": "Number", "Default": 5432, "Description": "PostgreSQL port"},
        "DatabaseName": text("PostgreSQL database", "tidecast"),
        "DatabaseUser": text("PostgreSQL user (its password is the secret's DATABASE_PASSWORD)", "tidecast"),
        "QueueUrl": text(
            "TIDECAST_QUEUE_URL: Redis, redis://host:port/db (no credentials)", pattern=_NO_CREDENTIALS
        ),
        "StorageBucket": text("The S3 bucket uploads and published media live in"),
        "IpfsApiUrl": text("IPFS_API_URL: the Kubo RPC endpoint", pattern=_NO_CREDENTIALS),
        "IpfsGateway": text(
            "IPFS_GATEWAY: where published media are fetched by CID", "https://gateway.ipfs.io"
        ),
        "RpcUrl": text("RPC_URL: the chain node's JSON-RPC endpoint", pattern=_NO_CREDENTIALS),
        "ChainId": {"Type": "Number", "Description": "TIDECAST_CHAIN_ID: the chain wallets sign for"},
        "PaymentStreamContractAddress": text("PAYMENT_STREAM_CONTRACT_ADDRESS", pattern=_ADDRESS),
        "TokenAddress": text("TOKEN_ADDRESS", pattern=_ADDRESS),
        "StreamRegistryAddress": text("STREAM_REGISTRY_ADDRESS", pattern=_ADDRESS),
        "SmtpHost": text("SMTP_HOST: the mail relay"),
        "SmtpPort": {"Type": "Number", "Default": 587, "Description": "SMTP_PORT"},
        "SmtpSecure": {
            "Type": "String",
            "Default": "false",
            "AllowedValues": ["true", "false"],
            "Description": "SMTP_SECURE: TLS from the first byte (port 465) rather than STARTTLS",
        },
        "SmtpUser": text("SMTP_USER (its password is the secret's SMTP_PASSWORD); empty: no login", ""),
        "EmailFrom": text("EMAIL_FROM: the sender of every mail"),
        "BillingCurrency": text(
            "TIDECAST_BILLING_CURRENCY: what card credit is bought in", "usd", r"^[a-z]{3}$"
        ),
        "BillingAmounts": text(
            "TIDECAST_BILLING_AMOUNTS: amounts one may buy, a list (5,10,20) or a range (5-200)", "5,10,20"
        ),
        "BillingRate": text("TIDECAST_BILLING_RATE: platform tokens one currency unit buys", "100"),
        "TreasuryLowBalance": text(
            "TIDECAST_TREASURY_LOW_BALANCE: tokens below which operators are mailed", "1000"
        ),
        "OperatorEmail": text("TIDECAST_OPERATOR_EMAIL: where operator alerts go; empty: logged only", ""),
        "SubnetIds": {
            "Type": "List<AWS::EC2::Subnet::Id>",
            "Description": "Private subnets reaching PostgreSQL, Redis, IPFS and the chain node",
        },
        "SecurityGroupIds": {
            "Type": "List<AWS::EC2::SecurityGroup::Id>",
            "Description": "Security groups of the functions and the workers",
        },
        **worker_parameters(),
    }


def _secret(key: str) -> dict[str, Any]:
    return {"Fn::Sub": "{{resolve:secretsmanager:${SecretId}:SecretString:" + key + "}}"}


def environment() -> dict[str, Any]:
    """The settings (tidecast/config.py, by their environment names) every function and worker
    shares; per-function ones (TIDECAST_FUNCTION_TIMEOUT) are added by `function_resource`."""
    env: dict[str, Any] = {
        "TIDECAST_ENV": "production",
        "TIDECAST_DATA_DIR": f"{LAMBDA_TMP}/tidecast",
        "HLS_OUTPUT_DIR": f"{LAMBDA_TMP}/tidecast/streams",
        "TIDECAST_PUBLIC_URL": {"Ref": "PublicUrl"},
        "DATABASE_URL": {
            "Fn::Sub": "postgresql://${DatabaseUser}:"
            "{{resolve:secretsmanager:${SecretId}:SecretString:DATABASE_PASSWORD}}"
            "@${DatabaseHost}:${DatabasePort}/${DatabaseName}"
        },
        "TIDECAST_QUEUE_URL": {"Ref": "QueueUrl"},
        "TIDECAST_STORAGE_URL": {"Fn::Sub": "s3://${StorageBucket}?region=${AWS::Region}"},
        "IPFS_API_URL": {"Ref": "IpfsApiUrl"},
        "IPFS_GATEWAY": {"Ref": "IpfsGateway"},
        "RPC_URL": {"Ref": "RpcUrl"},
        "TIDECAST_CHAIN_ID": {"Ref": "ChainId"},
        "PAYMENT_STREAM_CONTRACT_ADDRESS": {"Ref": "PaymentStreamContractAddress"},
        "TOKEN_ADDRESS": {"Ref": "TokenAddress"},
        "STREAM_REGISTRY_ADDRESS": {"Ref": "StreamRegistryAddress"},
        "SMTP_HOST": {"Ref": "SmtpHost"},
        "SMTP_PORT": {"Ref": "SmtpPort"},
        "SMTP_SECURE": {"Ref": "SmtpSecure"},
        "SMTP_USER": {"Ref": "SmtpUser"},
        "EMAIL_FROM": {"Ref": "EmailFrom"},
        "TIDECAST_BILLING_CURRENCY": {"Ref": "BillingCurrency"},
        "TIDECAST_BILLING_AMOUNTS": {"Ref": "BillingAmounts"},
        "TIDECAST_BILLING_RATE": {"Ref": "BillingRate"},
        "TIDECAST_TREASURY_LOW_BALANCE": {"Ref": "TreasuryLowBalance"},
        "TIDECAST_OPERATOR_EMAIL": {"Ref": "OperatorEmail"},
    }
    for key, setting in SECRET_KEYS.items():
        env[setting] = _secret(key)
    return env


def routes(config: NetlifyConfig, names: list[str]) -> list[Route]:
    """The HTTP API's routes, in rule order; a route key two rules claim goes to the first."""
    found: dict[str, Route] = {}

    def add(path: str, function: str) -> None:
        route = Route(path, function)
        found.setdefault(route.key, route)

    for rule in config.rules:
        if not rule.rewrite or not rule.to.startswith(FUNCTIONS_PREFIX) or rule.query:
            continue
        target = rule.to[len(FUNCTIONS_PREFIX) :]
        if target == ":splat" and rule.source.endswith("/*"):
            base = rule.source[:-2]
            for name in names:
                add(f"{base}/{name}", name)
                add(f"{base}/{name}/{{proxy+}}", name)
        elif target.split("/")[0] in names and ":" not in target:
            add(_api_path(rule.source), target.split("/")[0])
    for name in names:
        add(f"{FUNCTIONS_PREFIX}{name}", name)
        add(f"{FUNCTIONS_PREFIX}{name}/{{proxy+}}", name)
    return list(found.values())


def _api_path(source: str) -> str:
    """A rule's `from` as an API Gateway path: `:name` -> `{name}`, a trailing `*` -> `{proxy+}`."""
    parts = [p for p in source.split("/") if p]
    out = []
    for index, part in enumerate(parts):
        if part == "*" and index == len(parts) - 1:
            out.append("{proxy+}")
        elif part.startswith(":"):
            out.append("{" + part[1:] + "}")
        else:
            out.append(part)
    return "/" + "/".join(out)


def _sizing(config: NetlifyConfig, name: str) -> tuple[int, int]:
    """(timeout s, memory MB) from `[functions.NAME]`, checked against what AWS accepts."""
    section = config.function_settings.get(name, {})
    timeout, memory = section.get("timeout", DEFAULT_TIMEOUT), section.get("memory", DEFAULT_MEMORY)
    if not isinstance(timeout, int) or not 1 <= timeout <= HTTP_API_MAX_TIMEOUT:
        raise ConfigError(
            f"netlify.toml: [functions.{name}] timeout must be whole seconds from 1 to "
            f"{HTTP_API_MAX_TIMEOUT} (an HTTP API waits no longer), got {timeout!r}"
        )
    if not isinstance(memory, int) or not MEMORY_RANGE[0] <= memory <= MEMORY_RANGE[1]:
        raise ConfigError(
            f"netlify.toml: [functions.{name}] memory must be MB from {MEMORY_RANGE[0]} to "
            f"{MEMORY_RANGE[1]}, got {memory!r}"
        )
    return timeout, memory


def resource_name(name: str) -> str:
    """A function module's logical id: CloudFormation allows letters and digits only."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part) + "Function"


def function_resource(config: NetlifyConfig, name: str, own: list[Route]) -> dict[str, Any]:
    timeout, memory = _sizing(config, name)
    events = {
        f"Route{index}": {
            "Type": "HttpApi",
            "Properties": {"ApiId": {"Ref": "HttpApi"}, "Path": route.path, "Method": "ANY"},
        }
        for index, route in enumerate(own, start=1)
    }
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": {"Fn::Sub": "${AWS::StackName}-" + name},
            "Description": f"tidecast's {name} function (tidecast/functions/{name}.py)",
            "Handler": f"tidecast.functions.{name}.handler",
            "Timeout": timeout,
            "MemorySize": memory,
            "Environment": {"Variables": {"TIDECAST_FUNCTION_TIMEOUT": str(timeout)}},
            "Events": events,
            "Policies": [{"S3CrudPolicy": {"BucketName": {"Ref": "StorageBucket"}}}],
        },
    }


def build(root: Path) -> dict[str, Any]:
    """The whole template for the checkout at `root`, as a dictionary."""
    config = load_netlify_config(root)
    names = Registry(config.functions_dir).names()
    if not names:
        raise ConfigError(f"no functions found in {config.functions_dir.relative_to(root)}")
    unknown = sorted(set(config.function_settings) - set(names))
    if unknown:
        raise ConfigError(f"netlify.toml: [functions.{unknown[0]}] names no function module")
    all_routes = routes(config, names)
    resources: dict[str, Any] = {
        "HttpApi": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {
                "Description": "tidecast's API: the routes netlify.toml's rules give each function",
                "AccessLogSettings": {
                    "DestinationArn": {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]},
                    "Format": ACCESS_LOG_FORMAT,
                },
                # Per route, over all clients, before any function runs: a flood costs
                # throttled requests, not Lambda concurrency the viewers need.
                "DefaultRouteSettings": {"ThrottlingBurstLimit": 2000, "ThrottlingRateLimit": 1000},
            },
        },
        "HttpApiAccessLogs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"RetentionInDays": LOG_RETENTION_DAYS},
        },
    }
    for name in names:
        own = [route for route in all_routes if route.function == name]
        logical = resource_name(name)
        resources[logical] = function_resource(config, name, own)
        resources[f"{logical}Logs"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": "/aws/lambda/${" + logical + "}"},
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
    resources.update(worker_resources(environment()))
    resources.update(alarm_resources({name: resource_name(name) for name in names}))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "tidecast: generated from netlify.toml by `tidecast deploy template`",
        "Parameters": {**parameters(), **alarm_parameters()},
        "Conditions": alarm_conditions(),
        "Globals": {
            "Function": {
                "CodeUri": CODE_URI,
                "Runtime": RUNTIME,
                "Architectures": [ARCHITECTURE],
                "Tracing": "Active",
                "VpcConfig": {
                    "SubnetIds": {"Ref": "SubnetIds"},
                    "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
                },
                "Environment": {"Variables": environment()},
            }
        },
        "Resources": resources,
        "Outputs": {
            "ApiUrl": {
                "Description": "The HTTP API's address: the site's /api/* is proxied here",
                "Value": {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
            }
        },
    }


def render(root: Path) -> str:
    """The template as committed: YAML, keys in the order written here."""
    import yaml  # type: ignore[import-untyped]  # lazy: PyYAML is a dev tool; functions never render templates

    header = "# Generated by `tidecast deploy template` from netlify.toml and the functions: do not edit.\n"
    return header + str(yaml.safe_dump(build(root), sort_keys=False, width=110, allow_unicode=True))
