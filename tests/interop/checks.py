"""What every interop driver shares: one `ok   LABEL` line per check that holds, and on the
first that does not, `FAIL LABEL` and exit status 1 (the Rust test shows the output); and the
KMIP versions PyKMIP speaks, by name."""

import sys


def pykmip_versions():
    """PyKMIP's KMIPVersion for each version name ("1.0" ... "2.0"): imported on use, so that
    drivers of other clients need no PyKMIP."""
    from kmip.core import enums

    return {
        "1.0": enums.KMIPVersion.KMIP_1_0,
        "1.1": enums.KMIPVersion.KMIP_1_1,
        "1.2": enums.KMIPVersion.KMIP_1_2,
        "1.3": enums.KMIPVersion.KMIP_1_3,
        "1.4": enums.KMIPVersion.KMIP_1_4,
        "2.0": enums.KMIPVersion.KMIP_2_0,
    }


def check(label, condition):
    if not condition:
        print("FAIL " + label)
        sys.exit(1)
    print("ok   " + label)


def pykmip_client(port, certs, version):
    """PyKMIP's ProxyKmipClient for the dev PKI's first identity, opened, at `version` ("1.2")."""
    from kmip.pie.client import ProxyKmipClient

    client = ProxyKmipClient(
        hostname="127.0.0.1",
        port=port,
        cert=certs + "/client.pem",
        key=certs + "/client.key",
        ca=certs + "/ca.pem",
        kmip_version=pykmip_versions()[version],
    )
    client.open()
    return client
