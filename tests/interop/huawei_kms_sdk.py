#!/usr/bin/env python3
"""Huawei Cloud's own KMS SDK (huaweicloudsdkkms), signing with AK/SK, against kmipd's side API.

Run by crates/kmipd/tests/e2e/huawei.rs with the venv scripts/test-all.sh makes:

    huawei_kms_sdk.py --port HTTP_PORT

Prints one line per step and exits non-zero on the first failure.
"""
import argparse
import warnings

import requests

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkkms.v2 import (
    CreateKeyRequest,
    CreateKeyRequestBody,
    DisableKeyRotationRequest,
    EnableKeyRotationRequest,
    KmsClient,
    OperateKeyRequestBody,
    RotateOnDemandRequest,
    RotateOnDemandRequestBody,
    ShowKeyRotationStatusRequest,
    UpdateKeyRotationIntervalRequest,
    UpdateKeyRotationIntervalRequestBody,
)

from checks import check


# The dev PKI's CA is not in the system store, and the SDK is told not to verify: say it once.
warnings.filterwarnings("ignore", message="Unverified HTTPS request")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ak", default="dev-ak")
    parser.add_argument("--sk", default="dev-sk")
    parser.add_argument("--project", default="dev-project")
    parser.add_argument("--token", default="dev-token")
    parser.add_argument("--kmip-port", type=int, help="also Get the versions over KMIP, with PyKMIP")
    parser.add_argument("--certs", default="certs")
    args = parser.parse_args()

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # the dev PKI's CA is not in the system store
    client = (
        KmsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(args.ak, args.sk, args.project))
        .with_endpoint("https://127.0.0.1:%d" % args.port)
        .build()
    )

    created = client.create_key(CreateKeyRequest(body=CreateKeyRequestBody(key_alias="sdk-cmk")))
    key_id = created.key_info.key_id
    check("create-key returns a 36-character key_id", len(key_id) == 36 and created.key_info.domain_id == args.project)

    def status():
        return client.show_key_rotation_status(ShowKeyRotationStatusRequest(body=OperateKeyRequestBody(key_id=key_id)))

    before = status()
    check("rotation is off by default, every 365 days", before.key_rotation_enabled is False and before.rotation_interval == 365)

    client.enable_key_rotation(EnableKeyRotationRequest(body=OperateKeyRequestBody(key_id=key_id)))
    check("enable-key-rotation", status().key_rotation_enabled is True)

    try:
        client.enable_key_rotation(EnableKeyRotationRequest(body=OperateKeyRequestBody(key_id=key_id)))
        check("enabling twice is refused", False)
    except ClientRequestException as e:
        check("enabling twice gives KMS.2901", e.error_code == "KMS.2901")

    for bad in (29, 366):
        try:
            client.update_key_rotation_interval(UpdateKeyRotationIntervalRequest(
                body=UpdateKeyRotationIntervalRequestBody(key_id=key_id, rotation_interval=bad)))
            check("interval %d is refused" % bad, False)
        except ClientRequestException as e:
            check("interval %d gives KMS.3001 (HTTP %d)" % (bad, e.status_code), e.error_code == "KMS.3001" and e.status_code == 400)

    client.update_key_rotation_interval(UpdateKeyRotationIntervalRequest(
        body=UpdateKeyRotationIntervalRequestBody(key_id=key_id, rotation_interval=30)))
    now = status()
    check("interval 30 is taken", now.rotation_interval == 30 and isinstance(now.rotation_interval, int))
    check("no rotation yet", now.number_of_rotations == 0)

    def versions():
        url = "https://127.0.0.1:%d/v1/keys/%s/versions" % (args.port, key_id)
        reply = requests.get(url, headers={"X-Auth-Token": args.token}, verify=False, timeout=10)
        return [v["uid"] for v in reply.json()["versions"]]

    policy_url = "https://127.0.0.1:%d/v1/keys/%s/policy" % (args.port, key_id)
    headers = {"X-Auth-Token": args.token}
    refused = requests.put(policy_url, json={"deactivate_after_days": 0}, headers=headers, verify=False, timeout=10)
    check("the versions policy refuses 0 days", refused.status_code == 400)
    taken = requests.put(policy_url, json={"deactivate_after_days": 400}, headers=headers, verify=False, timeout=10)
    check("the versions policy takes an opt-in", taken.status_code == 200 and taken.json()["deactivate_after_days"] == 400)

    first_uid = versions()[0]
    first_bytes = kmip_get(args, first_uid)
    rotated = client.rotate_on_demand(RotateOnDemandRequest(body=RotateOnDemandRequestBody(key_id=key_id)))
    check("rotate-on-demand", rotated.key_id == key_id)
    after = status()
    check("number_of_rotations is the integer 1", after.number_of_rotations == 1 and isinstance(after.number_of_rotations, int))
    check("last_rotation_time is milliseconds, as a string",
          isinstance(after.last_rotation_time, str) and len(after.last_rotation_time) == 13 and after.last_rotation_time.isdigit())
    check("key_materials lists both versions", len(after.key_materials or []) == 2)
    chain = versions()
    check("the versions route lists the chain, first UID first", len(chain) == 2 and chain[0] == first_uid)
    if args.kmip_port:
        check("over KMIP, the first version's bytes did not change (F1)", kmip_get(args, first_uid) == first_bytes)
        check("over KMIP, the new version has new bytes", kmip_get(args, chain[1]) != first_bytes)

    client.disable_key_rotation(DisableKeyRotationRequest(body=OperateKeyRequestBody(key_id=key_id)))
    check("disable-key-rotation", status().key_rotation_enabled is False)

    try:
        client.show_key_rotation_status(ShowKeyRotationStatusRequest(
            body=OperateKeyRequestBody(key_id="00000000-0000-0000-0000-000000000000")))
        check("an unknown key is refused", False)
    except ClientRequestException as e:
        check("an unknown key gives KMS.0207 (HTTP 404)", e.error_code == "KMS.0207" and e.status_code == 404)

    print("cmk key_id: " + key_id)
    print("huawei kms sdk: passed")


def kmip_get(args, uid):
    """The key bytes of a version, fetched over KMIP by the project's KMIP client identity."""
    if not args.kmip_port:
        return None
    from kmip.pie.client import ProxyKmipClient  # noqa: E402 (only with --kmip-port)

    with ProxyKmipClient(hostname="127.0.0.1", port=args.kmip_port, cert=args.certs + "/client.pem",
                         key=args.certs + "/client.key", ca=args.certs + "/ca.pem") as kmip:
        return kmip.get(uid).value


if __name__ == "__main__":
    main()
