#!/usr/bin/env python3
"""boto3, AWS's own SDK, against kmipd's AWS-KMS-shaped rotation routes (JSON 1.1 on the
side API): GetKeyRotationStatus, ListKeyRotations, RotateKeyOnDemand. botocore parses every
answer by the KMS service model it ships, and this driver also checks each raw answer against
that model: every field one the model names, of the model's type.

Run by crates/kmipd/tests/e2e/aws.rs:

    aws_kms_boto3.py --port HTTP_PORT --certs certs/ --token dev-token --key-id KEY_ID
"""
import argparse
import datetime
import json
import uuid

import boto3
import botocore.exceptions

from checks import check

JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "timestamp": (int, float), "list": list,
              "structure": dict}


def conforms(value, shape, path="$"):
    """Whether `value` (raw JSON) has only the members `shape` names, each of its type."""
    kind = JSON_TYPES[shape.type_name]
    if not isinstance(value, kind) or (shape.type_name == "integer" and isinstance(value, bool)):
        return f"{path}: {value!r} is not {shape.type_name}"
    if shape.type_name == "structure":
        for name, member in value.items():
            if name not in shape.members:
                return f"{path}.{name}: not in the model"
            problem = conforms(member, shape.members[name], f"{path}.{name}")
            if problem:
                return problem
    if shape.type_name == "list":
        for i, item in enumerate(value):
            problem = conforms(item, shape.member, f"{path}[{i}]")
            if problem:
                return problem
    return None


def client(port, ca, token):
    kms = boto3.client("kms", endpoint_url=f"https://localhost:{port}", region_name="us-east-1",
                       aws_access_key_id="unused", aws_secret_access_key="unused", verify=ca)
    if token:
        kms.meta.events.register("before-sign.kms.*", lambda request, **_: request.headers.__setitem__(
            "X-Auth-Token", token))

    def check_raw(http_response, model, **_):
        if http_response.status_code == 200:
            problem = conforms(json.loads(http_response.content or b"{}"), model.output_shape)
            check(f"{model.name}'s answer conforms to the KMS model" + (f" ({problem})" if problem else ""),
                  problem is None)

    kms.meta.events.register("after-call.kms.*", check_raw)
    return kms


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--key-id", required=True)
    args = parser.parse_args()
    kms = client(args.port, args.certs + "/ca.pem", args.token)
    key = args.key_id
    now = datetime.datetime.now(datetime.timezone.utc)

    status = kms.get_key_rotation_status(KeyId=key)
    check("KeyRotationEnabled", status["KeyRotationEnabled"] is True)
    check("RotationPeriodInDays 365", status["RotationPeriodInDays"] == 365)
    next_date = status["NextRotationDate"]
    check("NextRotationDate a year ahead", abs((next_date - now).total_seconds() - 365 * 86400) < 300)
    arn = f"arn:aws:kms:us-east-1:111122223333:key/{key}"
    check("a key ARN names the key too", kms.get_key_rotation_status(KeyId=arn)["KeyId"] == key)
    empty = kms.list_key_rotations(KeyId=key)
    check("no rotations yet", empty["Rotations"] == [] and empty["Truncated"] is False)

    for _ in range(3):
        check("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=key)["KeyId"] == key)
    first = kms.list_key_rotations(KeyId=key, Limit=2)
    check("a page of 2, truncated", len(first["Rotations"]) == 2 and first["Truncated"] is True)
    rest = kms.list_key_rotations(KeyId=key, Limit=2, Marker=first["NextMarker"])
    check("the last page", len(rest["Rotations"]) == 1 and rest["Truncated"] is False and "NextMarker" not in rest)
    rotations = first["Rotations"] + rest["Rotations"]
    check("each ON_DEMAND", all(r["RotationType"] == "ON_DEMAND" and r["KeyId"] == key for r in rotations))
    check("dated now", all(abs((r["RotationDate"] - now).total_seconds()) < 300 for r in rotations))
    after = kms.get_key_rotation_status(KeyId=key)
    check("on-demand rotations leave the schedule", after["NextRotationDate"] >= next_date)

    try:
        kms.get_key_rotation_status(KeyId=str(uuid.uuid4()))
        check("an unknown key is NotFoundException", False)
    except kms.exceptions.NotFoundException:
        check("an unknown key is NotFoundException", True)
    try:
        kms.list_key_rotations(KeyId=key, Marker="not-a-marker")
        check("a bad marker is InvalidMarkerException", False)
    except kms.exceptions.InvalidMarkerException:
        check("a bad marker is InvalidMarkerException", True)
    anonymous = client(args.port, args.certs + "/ca.pem", None)
    try:
        anonymous.get_key_rotation_status(KeyId=key)
        check("no token, no answer", False)
    except botocore.exceptions.ClientError as e:
        check("no token, no answer: " + e.response["Error"]["Code"],
              e.response["Error"]["Code"] == "UnrecognizedClientException")
    print("boto3 against the AWS-shaped rotation routes: passed")


if __name__ == "__main__":
    main()
