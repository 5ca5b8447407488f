#!/usr/bin/env python3
"""PyKMIP 0.11.0 at KMIP 1.2 drives rotation through kmipd's custom attributes for 1.x
clients (x-rotate-interval-days, x-rotate-next, x-rotate-generation, x-rotate-latest), and
watches a key rotate when the server's clock moves on.

Run by crates/kmipd/tests/e2e/rotation_clock.rs against a kmipd whose clock follows an offset
file ([testing] clock_offset_file):

    pykmip_rotation.py --port PORT --certs certs/ --offset-file FILE

PyKMIP has no AddAttribute payload (it ships Set/Modify/Delete only), so this driver adds one,
built from PyKMIP's own primitives and Attribute structure; everything else is PyKMIP's
client as shipped. Custom attribute values are Text Strings, the one type PyKMIP reads
custom attributes as.
"""
import argparse
import datetime
import time

from kmip.core import enums, exceptions, objects, primitives, utils
from kmip.core.factories.payloads import response as response_factory
from kmip.core.messages import payloads

from checks import check, pykmip_client

DAY = 86400


class AddAttributeRequestPayload(payloads.RequestPayload):
    """KMIP 1.x Add Attribute request: Unique Identifier, Attribute."""

    def __init__(self, unique_identifier, attribute):
        super().__init__()
        self.unique_identifier = primitives.TextString(unique_identifier, enums.Tags.UNIQUE_IDENTIFIER)
        self.attribute = attribute

    def write(self, output_buffer, kmip_version=enums.KMIPVersion.KMIP_1_0):
        local = utils.BytearrayStream()
        self.unique_identifier.write(local, kmip_version=kmip_version)
        self.attribute.write(local, kmip_version=kmip_version)
        self.length = local.length()
        super().write(output_buffer, kmip_version=kmip_version)
        output_buffer.write(local.buffer)


class AddAttributeResponsePayload(payloads.ResponsePayload):
    """KMIP 1.x Add Attribute response: Unique Identifier, Attribute."""

    def read(self, input_buffer, kmip_version=enums.KMIPVersion.KMIP_1_0):
        super().read(input_buffer, kmip_version=kmip_version)
        local = utils.BytearrayStream(input_buffer.read(self.length))
        self.unique_identifier = primitives.TextString(tag=enums.Tags.UNIQUE_IDENTIFIER)
        self.unique_identifier.read(local, kmip_version=kmip_version)
        self.attribute = objects.Attribute()
        self.attribute.read(local, kmip_version=kmip_version)


response_factory.ResponsePayloadFactory._create_add_attribute_payload = lambda self: AddAttributeResponsePayload()


def add_attribute(client, uid, name, value):
    attribute = client.attribute_factory.create_attribute(name, value)
    reply = client.proxy.send_request_payload(enums.Operation.ADD_ATTRIBUTE, AddAttributeRequestPayload(uid, attribute))
    return reply.attribute.attribute_value.value


def rotation_attributes(client, uid):
    names = ["x-rotate-interval-days", "x-rotate-next", "x-rotate-generation", "x-rotate-latest"]
    _, attributes = client.get_attributes(uid, names)
    return {a.attribute_name.value: a.attribute_value.value for a in attributes}


def rfc3339(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certs", required=True)
    parser.add_argument("--offset-file", required=True)
    args = parser.parse_args()
    client = pykmip_client(args.port, args.certs, "1.2")
    name = "pykmip-x-rotate"
    uid = client.create(enums.CryptographicAlgorithm.AES, 256, name=name)
    client.activate(uid)
    original = client.get(uid).value

    added = add_attribute(client, uid, "x-rotate-interval-days", "30")
    check("add x-rotate-interval-days 30", added == "30")
    found = rotation_attributes(client, uid)
    check("x-rotate-interval-days reads back 30", found.get("x-rotate-interval-days") == "30")
    check("x-rotate-generation is 1", found.get("x-rotate-generation") == "1")
    check("x-rotate-latest is true", found.get("x-rotate-latest") == "true")
    due = rfc3339(found.get("x-rotate-next", "1970-01-01T00:00:00Z"))
    check("x-rotate-next is 30 days ahead", abs(due - time.time() - 30 * DAY) < 120)
    try:
        add_attribute(client, uid, "x-rotate-interval-days", "29")
        check("an interval of 29 days is refused", False)
    except exceptions.OperationFailure as e:
        check("an interval of 29 days is refused: " + str(e.reason), e.reason == enums.ResultReason.INVALID_FIELD)
    check("and left nothing behind", rotation_attributes(client, uid).get("x-rotate-interval-days") == "30")
    try:
        add_attribute(client, uid, "x-rotate-generation", "7")
        check("x-rotate-generation is the engine's to write", False)
    except exceptions.OperationFailure as e:
        check("x-rotate-generation is the engine's to write: " + str(e.reason), e.reason == enums.ResultReason.PERMISSION_DENIED)

    # A month passes on the server's clock; its scheduler rotates the key.
    with open(args.offset_file, "w") as f:
        f.write(str(31 * DAY))
    deadline = time.time() + 20
    while rotation_attributes(client, uid).get("x-rotate-latest") != "false":
        check("the key rotated within 20 s", time.time() < deadline)
        time.sleep(0.25)
    old = rotation_attributes(client, uid)
    check("the old version keeps x-rotate-generation 1", old.get("x-rotate-generation") == "1")
    check("the old version has no x-rotate-next", "x-rotate-next" not in old)
    check("the old version's bytes are unchanged", client.get(uid).value == original)

    located = client.locate(attributes=[client.attribute_factory.create_attribute(enums.AttributeType.NAME, name)])
    check("the name moved to one new version", len(located) == 1 and located[0] != uid)
    new = rotation_attributes(client, located[0])
    check("the new version has x-rotate-generation 2", new.get("x-rotate-generation") == "2")
    check("the new version is latest", new.get("x-rotate-latest") == "true")
    check("the new version carries the interval", new.get("x-rotate-interval-days") == "30")
    next_due = rfc3339(new.get("x-rotate-next", "1970-01-01T00:00:00Z"))
    check("the next rotation is one interval after the last due time", abs(next_due - due - 30 * DAY) < 120)
    check("the new version's bytes differ", client.get(located[0]).value != original)
    client.close()
    print("pykmip x-rotate attributes at KMIP 1.2: passed")


if __name__ == "__main__":
    main()
