from __future__ import annotations

import pytest

from stacktools.template import PhysicalResource, Template, load_template

DOCUMENT = {
    "Parameters": {
        "Stage": {"Type": "String", "Default": "dev"},
        "Origins": {"Type": "CommaDelimitedList", "Default": "http://a,http://b"},
        "Required": {"Type": "String"},
    },
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    "Globals": {
        "Function": {"Timeout": 7, "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}, "X": "global"}}}
    },
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table"},
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/fn/",
                "Handler": "app.handler",
                "Environment": {
                    "Variables": {
                        "X": "own",
                        "TABLE": {"Ref": "Table"},
                        "ARN": {"Fn::GetAtt": ["Table", "Arn"]},
                        "NAME": {"Fn::Sub": "${AWS::StackName}-${Stage}-${Table.Arn}"},
                        "MODE": {"Fn::If": ["IsProd", "strict", "relaxed"]},
                        "ORIGINS": {"Ref": "Origins"},
                        "JOINED": {"Fn::Join": ["|", [{"Ref": "Stage"}, "x"]]},
                    }
                },
                "Events": {
                    "Get": {"Type": "HttpApi", "Properties": {"Method": "get", "Path": "/things/{id}"}},
                    "Default": {"Type": "HttpApi"},
                    "Queue": {"Type": "SQS", "Properties": {}},
                },
            },
        },
    },
}


def template(**parameters: str) -> Template:
    loaded = Template(DOCUMENT, {"Required": "r", **parameters}, stack_name="s")
    loaded.physical["Table"] = PhysicalResource(ref="s-Table", attributes={"Arn": "arn:table"})
    return loaded


def test_function_environment_merges_globals_and_resolves_intrinsics() -> None:
    function = template().functions()["Fn"]
    assert dict(function.environment) == {
        "STAGE": "dev",
        "X": "own",
        "TABLE": "s-Table",
        "ARN": "arn:table",
        "NAME": "s-dev-arn:table",
        "MODE": "relaxed",
        "ORIGINS": "http://a,http://b",
        "JOINED": "dev|x",
    }
    assert function.timeout == 7
    assert function.handler == "app.handler"


def test_parameters_and_conditions_follow_overrides() -> None:
    assert template(Stage="prod").functions()["Fn"].environment["MODE"] == "strict"


def test_a_required_parameter_without_a_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="Required"):
        Template(DOCUMENT, {})


def test_an_unknown_parameter_is_an_error() -> None:
    with pytest.raises(ValueError, match="Typo"):
        Template(DOCUMENT, {"Required": "r", "Typo": "x"})


def test_http_routes_come_from_httpapi_events_only() -> None:
    routes = template().http_routes()
    assert [(route.method, route.path, route.route_key) for route in routes] == [
        ("GET", "/things/{id}", "GET /things/{id}"),
        ("ANY", None, "$default"),
    ]


def test_the_real_template_reads_short_forms() -> None:
    document = load_template()
    assert document["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"]["Fn::If"][
        2
    ] == {"Ref": "AllowedOrigins"}
    assert document["Globals"]["Function"]["Layers"] == [{"Ref": "SharedLayer"}]


def test_a_resource_whose_condition_is_false_is_not_part_of_the_stack() -> None:
    assert "WebBucket" not in Template.load({"GoogleClientId": "x"}).resources
    served = Template.load({"GoogleClientId": "x", "WebSite": "enabled"}).resources
    assert served["WebBucket"]["Type"] == "AWS::S3::Bucket"
