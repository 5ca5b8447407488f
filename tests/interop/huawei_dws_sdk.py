#!/usr/bin/env python3
"""Huawei Cloud's DWS SDK (huaweicloudsdkdws), signing with AK/SK, against kmipd's side API.

Run by crates/kmipd/tests/e2e/huawei.rs:

    huawei_dws_sdk.py --port HTTP_PORT --key-id KEY_ID

Binds a cluster to the CMK KEY_ID (encrypt), reads its encrypt-info, rotates its key
(rotate-key) and checks that the CMK rotated. Exits non-zero on the first failure.
"""
import argparse
import re
import warnings

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdws.v2 import (
    DwsClient,
    EncryptCluster,
    EncryptClusterReq,
    EncryptClusterRequest,
    RotateKeyRequest,
    RotateKeyRequestBody,
    ShowClusterEncryptInfoRequest,
)

from checks import check

warnings.filterwarnings("ignore", message="Unverified HTTPS request")
DWS_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--ak", default="dev-ak")
    parser.add_argument("--sk", default="dev-sk")
    parser.add_argument("--project", default="dev-project")
    args = parser.parse_args()

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    client = (
        DwsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(args.ak, args.sk, args.project))
        .with_endpoint("https://127.0.0.1:%d" % args.port)
        .build()
    )
    cluster = "dws-cluster-1"

    try:
        client.show_cluster_encrypt_info(ShowClusterEncryptInfoRequest(cluster_id=cluster))
        check("an unregistered cluster is refused", False)
    except ClientRequestException as e:
        check("an unregistered cluster gives 404", e.status_code == 404)

    bound = client.encrypt_cluster(EncryptClusterRequest(
        cluster_id=cluster,
        body=EncryptClusterReq(encrypt=EncryptCluster(master_key_id=args.key_id, crypt_algorithm="generalCipher"))))
    check("encrypt binds the cluster", bool(bound.job_id))

    info = client.show_cluster_encrypt_info(ShowClusterEncryptInfoRequest(cluster_id=cluster))
    check("encrypt-info names the CMK", info.master_key_id == args.key_id and info.cluster_id == cluster)
    check("encrypt-info: AES (generalCipher)", info.crypt_algorithm == "generalCipher")

    rotated = client.rotate_key(RotateKeyRequest(cluster_id=cluster, body=RotateKeyRequestBody()))
    check("rotate-key answers with the cluster and a DWS time",
          rotated.cluster_id == cluster and DWS_TIME.match(rotated.rotate_key_time or ""))
    after = client.show_cluster_encrypt_info(ShowClusterEncryptInfoRequest(cluster_id=cluster))
    check("encrypt-info shows the rotation time", after.last_rotate_key_time == rotated.rotate_key_time)
    print("huawei dws sdk: passed")


if __name__ == "__main__":
    main()
