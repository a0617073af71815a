"""make deploy (infra/deploy.py): each environment of samconfig.toml deploys as written once the
operator gives what only they know; what the template needs and is missing is refused by name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from moto import mock_aws

from tests.scripts import infra_script

CLIENT_ID = "1234-abc.apps.googleusercontent.com"
DISTRIBUTION = {
    "CallerReference": "test",
    "Comment": "",
    "Enabled": True,
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "web",
                "DomainName": "web.s3.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "web",
        "ViewerProtocolPolicy": "redirect-to-https",
        "MinTTL": 0,
    },
}


@pytest.fixture(scope="module")
def deploy() -> Iterator[ModuleType]:
    with infra_script("deploy") as module:
        yield module


def overrides_of(command: list[str]) -> dict[str, str]:
    start = command.index("--parameter-overrides") + 1
    return dict(item.split("=", 1) for item in command[start:])


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_environment_deploys_its_stage_with_every_parameter_the_template_requires(
    deploy: ModuleType, environment: str
) -> None:
    deployment = deploy.plan_deploy(environment, {"GOOGLE_CLIENT_ID": CLIENT_ID}, sam="/x/sam")
    command = deployment.command
    assert (deployment.stack_name, deployment.region) == (f"imagegen-{environment}", "us-east-1")

    assert command[:4] == ["/x/sam", "deploy", "--config-env", environment]
    assert command[command.index("--region") + 1] == "us-east-1"
    overrides = overrides_of(command)
    assert (overrides["Stage"], overrides["GoogleClientId"]) == (environment, CLIENT_ID)
    required = [name for name, spec in deploy.template_parameters().items() if "Default" not in spec]
    assert set(required) <= set(overrides)


def test_what_only_the_operator_knows_comes_from_the_environment(deploy: ModuleType) -> None:
    environ = {
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "ALLOWED_ORIGINS": "https://app.example.com,https://www.example.com",
        "ADMIN_EMAILS": "ops@example.com",
        "ALARM_EMAIL": "alarms@example.com",
        "AWS_REGION": "eu-west-1",
    }
    deployment = deploy.plan_deploy("prod", environ)
    command = deployment.command

    assert command[command.index("--region") + 1] == deployment.region == "eu-west-1"
    assert overrides_of(command) == {
        "Stage": "prod",
        "LogLevel": "INFO",
        "LogRetentionDays": "90",
        "GoogleClientId": CLIENT_ID,
        "AllowedOrigins": "https://app.example.com,https://www.example.com",
        "AdminEmails": "ops@example.com",
        "AlarmEmail": "alarms@example.com",
    }


def test_a_missing_client_id_is_refused_saying_which_variable_to_set(deploy: ModuleType) -> None:
    with pytest.raises(deploy.DeployRefused, match=r"GoogleClientId \(set GOOGLE_CLIENT_ID\)"):
        deploy.plan_deploy("prod", {})


def test_an_environment_samconfig_lacks_is_refused(deploy: ModuleType) -> None:
    with pytest.raises(deploy.DeployRefused, match="ENV must be one of dev, prod"):
        deploy.plan_deploy("staging", {"GOOGLE_CLIENT_ID": CLIENT_ID})


def test_overrides_the_template_cannot_take_are_refused(deploy: ModuleType, tmp_path: Path) -> None:
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[dev.global.parameters]\nregion = "us-east-1"\n'
        '[dev.deploy.parameters]\nparameter_overrides = "Stage=qa WelcomeCoin=5"\n'
    )
    with pytest.raises(deploy.DeployRefused, match="no parameter WelcomeCoin"):
        deploy.plan_deploy("dev", {"GOOGLE_CLIENT_ID": CLIENT_ID}, samconfig=samconfig)
    samconfig.write_text(samconfig.read_text().replace(" WelcomeCoin=5", ""))
    with pytest.raises(deploy.DeployRefused, match=r"Stage=qa is not one of \['dev', 'prod'\]"):
        deploy.plan_deploy("dev", {"GOOGLE_CLIENT_ID": CLIENT_ID}, samconfig=samconfig)


def test_the_dry_run_prints_the_command_and_runs_nothing(
    deploy: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOOGLE_CLIENT_ID", CLIENT_ID)
    assert deploy.main(["dev", "--dry-run", "--sam", "/nowhere/sam"]) == 0
    assert capsys.readouterr().out.startswith("/nowhere/sam deploy --config-env dev --region us-east-1")
    monkeypatch.delenv("GOOGLE_CLIENT_ID")
    assert deploy.main(["dev", "--dry-run"]) == 2
    assert "cannot deploy: the template needs GoogleClientId" in capsys.readouterr().err


def test_values_sam_would_cut_are_quoted_as_it_reads_them(deploy: ModuleType) -> None:
    catalog = '[{"id": "fast", "name": "Nano Banana 2.1"}]'
    assert deploy.sam_value("https://a.example,https://b.example") == "https://a.example,https://b.example"
    assert deploy.sam_value(catalog) == '"' + catalog.replace('"', '\\"') + '"'
    assert deploy.sam_value("") == '""'


def test_a_stack_that_serves_the_front_end_gets_its_files_config_and_a_fresh_cache(
    deploy: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3, cloudfront = boto3.client("s3"), boto3.client("cloudfront")
        s3.create_bucket(Bucket="web")
        distribution = cloudfront.create_distribution(DistributionConfig=DISTRIBUTION)["Distribution"]["Id"]
        outputs = {"WebBucketName": "web", "WebDistributionId": distribution, "ApiUrl": "https://api.example"}
        parameters = {
            "GoogleClientId": f"{CLIENT_ID},another.apps.googleusercontent.com",
            "AcceptedUploadTypes": "image/png,image/jpeg",
            "MaxUploadBytes": "1000",
            "UploadCost": "50",
            "Languages": "es,en",
        }

        written = deploy.publish_site(outputs, parameters, s3, cloudfront)

        assert {
            "index.html",
            "app.js",
            "api.js",
            "style.css",
            "vendor/vue.runtime.esm-browser.prod.js",
            "components/create.render.js",
            "config.json",
        } <= set(written)
        assert not {"vendor/fetch.sh", "vendor/vendor.json", "components/create.template.html"} & set(written)
        app = s3.get_object(Bucket="web", Key="app.js")
        assert app["ContentType"] == "text/javascript; charset=utf-8"
        config = json.loads(s3.get_object(Bucket="web", Key="config.json")["Body"].read())
        assert config == {
            "apiUrl": "https://api.example",
            "googleClientId": CLIENT_ID,
            "localIssuer": False,
            "upload": {"acceptedTypes": ["image/png", "image/jpeg"], "maxBytes": 1000, "cost": 50},
            "languages": ["es", "en"],
        }
        invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
        assert invalidations["Quantity"] == 1


@pytest.mark.parametrize(
    ("parameter", "value", "why"),
    [
        ("StylePresets", '[{"name": "Photo"}]', "words"),
        (
            "StylePresets",
            '[{"name": "Photo", "names": {"ES": "Foto"}, "words": "a photo"}]',
            "'ES' is not a two-letter",
        ),
        ("CoinPacks", "[]", "coin packs"),
        ("ModelCatalog", "not json", "not JSON"),
        ("Languages", "en,es,en", "more than once"),
        ("Languages", "en,ES", "two-letter lowercase"),
    ],
)
def test_a_json_list_the_functions_would_refuse_stops_the_deploy(
    deploy: ModuleType, tmp_path: Path, parameter: str, value: str, why: str
) -> None:
    """Validated by the layer's own models before SAM starts, not by the first request once live."""
    samconfig = tmp_path / "samconfig.toml"
    samconfig.write_text(
        'version = 0.1\n[dev.global.parameters]\nregion = "us-east-1"\n'
        f"[dev.deploy.parameters]\nparameter_overrides = 'Stage=dev {parameter}={deploy.sam_value(value)}'\n"
    )
    with pytest.raises(deploy.DeployRefused, match=f"^{parameter}: .*{why}"):
        deploy.plan_deploy("dev", {"GOOGLE_CLIENT_ID": CLIENT_ID}, samconfig=samconfig)
