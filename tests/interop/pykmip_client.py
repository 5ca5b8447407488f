#!/usr/bin/env python3
"""PyKMIP 0.11.0's ProxyKmipClient against a running kmipd, at one KMIP version.

Run by crates/kmipd/tests/e2e/pykmip.rs (with the venv that scripts/test-all.sh makes):

    pykmip_client.py --port PORT --version 1.2 --certs certs/

Prints one line per step and exits non-zero on the first failure.
"""
import argparse

from kmip.core import enums
from kmip.pie import objects

from checks import check, pykmip_client, pykmip_versions

VERSIONS = pykmip_versions()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--version", required=True, choices=sorted(VERSIONS))
    parser.add_argument("--certs", required=True)
    args = parser.parse_args()
    v = args.version
    crypto_ops = v not in ("1.0", "1.1")  # Encrypt, Decrypt and MAC arrived in KMIP 1.2

    client = pykmip_client(args.port, args.certs, v)
    name = "pykmip-interop-" + v
    mask = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]
    uid = client.create(enums.CryptographicAlgorithm.AES, 256, name=name, cryptographic_usage_mask=mask)
    check("create " + uid, bool(uid))
    client.activate(uid)
    check("activate", True)
    key = client.get(uid)
    check("get returns a 32-byte AES key", isinstance(key, objects.SymmetricKey) and len(key.value) == 32)
    check("get again returns the same bytes", client.get(uid).value == key.value)
    _, attributes = client.get_attributes(uid, ["State", "Cryptographic Algorithm", "Cryptographic Length"])
    found = {a.attribute_name.value: a.attribute_value.value for a in attributes}
    check("get_attributes: State Active", found.get("State") == enums.State.ACTIVE)
    check("get_attributes: AES", found.get("Cryptographic Algorithm") == enums.CryptographicAlgorithm.AES)
    check("get_attributes: 256 bits", found.get("Cryptographic Length") == 256)
    names = client.get_attribute_list(uid)
    check("get_attribute_list", "State" in names and "Name" in names and "Unique Identifier" in names)
    located = client.locate(attributes=[client.attribute_factory.create_attribute(enums.AttributeType.NAME, name)])
    check("locate by name", located == [uid])

    secret = client.register(objects.SecretData(b"correct horse battery", enums.SecretDataType.PASSWORD))
    check("register secret data", client.get(secret).value == b"correct horse battery")

    if crypto_ops:
        params = {
            "block_cipher_mode": enums.BlockCipherMode.CBC,
            "padding_method": enums.PaddingMethod.PKCS5,
            "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
        }
        ciphertext, iv = client.encrypt(b"attack at dawn", uid=uid, cryptographic_parameters=params)
        check("encrypt (AES-CBC, server IV)", iv is not None and len(ciphertext) == 16)
        plain = client.decrypt(ciphertext, uid=uid, iv_counter_nonce=iv, cryptographic_parameters=params)
        check("decrypt", plain == b"attack at dawn")
        mac_key = client.create(
            enums.CryptographicAlgorithm.HMAC_SHA256, 256,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.MAC_GENERATE],
        )
        client.activate(mac_key)
        _, tag = client.mac(b"some data", uid=mac_key, algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        check("mac (HMAC-SHA256)", len(tag) == 32)

    new_uid = client.rekey(uid=uid)
    check("rekey makes a new key", new_uid and new_uid != uid)
    check("rekey leaves the old key's bytes alone", client.get(uid).value == key.value)
    check("the name moved to the new key", client.locate(
        attributes=[client.attribute_factory.create_attribute(enums.AttributeType.NAME, name)]) == [new_uid])

    client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid)
    _, attributes = client.get_attributes(uid, ["State"])
    check("revoke deactivates", attributes[0].attribute_value.value == enums.State.DEACTIVATED)
    client.destroy(uid)
    try:
        client.get(uid)
        check("get after destroy fails", False)
    except Exception:
        check("get after destroy fails", True)
    client.close()
    print("pykmip interop at KMIP %s: passed" % v)


if __name__ == "__main__":
    main()
