#!/usr/bin/env python3
"""Qumulo's own CLI (`qq`, package qumulo-api) against kmipd's side API, with a second kmipd as
the KMS it points at. Run by crates/kmipd/tests/e2e/qumulo_cli.rs:

    qumulo_qq.py --http-port A_HTTP --kms-port B_KMIP --kms-pid B_PID --certs certs/

Logs in, sets a KMS key store that points at kmipd B with the dev PKI (creating the key by
name), reads it back, reads the status "KMS Available", then produces each failure status for
real: a wrong client certificate, a destroyed key, a revoked key, and B stopped.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from kmip.core import enums
from kmip.pie.client import ProxyKmipClient

from checks import check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--kms-port", type=int, required=True)
    parser.add_argument("--kms-pid", type=int, required=True)
    parser.add_argument("--certs", required=True)
    args = parser.parse_args()
    certs = args.certs
    creds = os.path.join(tempfile.mkdtemp(), "qq-credentials")
    qq_bin = os.path.join(os.path.dirname(sys.executable), "qq")

    def qq(*words, ok=True):
        command = [qq_bin, "--host", "127.0.0.1", "--port", str(args.http_port), "--credentials-store", creds, *words]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if ok and done.returncode != 0:
            print("FAIL qq %s: %s %s" % (" ".join(words), done.stdout, done.stderr))
            sys.exit(1)
        return done

    def set_kms(key_args, cert="client", ok=True):
        return qq("encryption_set_key_store", "kms",
                  "--client-cert", "%s/%s.pem" % (certs, cert), "--client-private-key", "%s/%s.key" % (certs, cert),
                  "--hostname", "127.0.0.1", "--port", str(args.kms_port),
                  "--server-ca-cert", "%s/ca.pem" % certs, *key_args, ok=ok)

    def status():
        out = qq("encryption_get_status").stdout
        return json.loads(out)["status"]

    def kmip():
        return ProxyKmipClient(hostname="127.0.0.1", port=args.kms_port, cert="%s/client.pem" % certs,
                               key="%s/client.key" % certs, ca="%s/ca.pem" % certs,
                               kmip_version=enums.KMIPVersion.KMIP_1_0)

    qq("login", "-u", "admin", "-p", "admin")
    check("qq login", True)

    set_kms(["--create-key-with-name", "qumulo-master-key"])
    store = qq("encryption_get_key_store").stdout
    check("encryption_get_key_store shows the KMS", "KMS" in store and "127.0.0.1" in store)
    check("the key store never shows a certificate or key", "BEGIN" not in store)
    key_id = json.loads(store)["config_details"]["key_id"]
    check("the key store names a key", bool(key_id))
    check("status: KMS Available", status() == "KMS Available")

    refused = set_kms(["--key-id", "no-such-key"], ok=False)
    check("setting an unknown key id is refused", refused.returncode != 0)

    set_kms(["--key-id", key_id], cert="bad/wrong-ca")
    check("a client certificate from another CA: KMS Authentication Error", status() == "KMS Authentication Error")

    with kmip() as client:
        doomed = client.create(enums.CryptographicAlgorithm.AES, 256, name="doomed")
        client.activate(doomed)
        revoked = client.create(enums.CryptographicAlgorithm.AES, 256, name="revoked")
        client.activate(revoked)
    set_kms(["--key-id", doomed])
    check("a second key: KMS Available", status() == "KMS Available")
    with kmip() as client:
        client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, doomed)
        client.destroy(doomed)
    check("a destroyed key: KMS Key Not Found", status() == "KMS Key Not Found")

    set_kms(["--key-id", revoked])
    with kmip() as client:
        client.revoke(enums.RevocationReasonCode.KEY_COMPROMISE, revoked)
    check("a revoked key: KMS Key Inactive", status() == "KMS Key Inactive")

    set_kms(["--key-id", key_id])
    check("back to the first key: KMS Available", status() == "KMS Available")
    os.kill(args.kms_pid, signal.SIGKILL)
    time.sleep(0.5)
    check("the KMS stopped: Cannot connect to KMS server.", status() == "Cannot connect to KMS server.")
    print("qumulo qq: passed")


if __name__ == "__main__":
    main()
