"""Every message of proto/ between Google's protobuf runtime and Switchyard's Swift message layer.

Each message is filled in here, field by field from its descriptor (every field set to a distinct
value, each oneof member in turn), serialized by Google's runtime and handed to
`switchyard proto decode`, which prints the value the Swift layer read: every field must arrive
under its Swift name with the value Python wrote. `switchyard proto echo` then re-encodes it with
protobuf-c, and Google's runtime must read back exactly the message it sent. A mapping mistake
the Swift side makes symmetrically (reading and writing the wrong field) fails the first check.
"""
import itertools
import json
import subprocess

import pytest
from google.protobuf.descriptor import FieldDescriptor as F

from conftest import _binary
from switchyard.v1 import router_model_pb2, switchyard_pb2

MODULES = [switchyard_pb2, router_model_pb2]
ACRONYMS = {"id": "ID", "usd": "USD", "url": "URL", "ngram": "NGram"}


def swift_name(snake):
    words = snake.split("_")
    return words[0] + "".join(ACRONYMS.get(w, w[:1].upper() + w[1:]) for w in words[1:])


def messages():
    for module in MODULES:
        for name, descriptor in sorted(module.DESCRIPTOR.message_types_by_name.items()):
            yield getattr(module, name)


def oneof_choices(descriptor):
    """One choice of member per real oneof, over every combination needed to set each member once."""
    groups = [o.fields for o in descriptor.oneofs]
    width = max([len(g) for g in groups] or [1])
    return [{g[0].containing_oneof.name: g[i % len(g)].name for g in groups} for i in range(width)]


counter = itertools.count(1)


def sample(field, repeated_index=0):
    n = next(counter)
    t = field.type
    if t == F.TYPE_STRING:
        return f"{field.name}-{n}-ünï ✓"
    if t == F.TYPE_BYTES:
        return bytes([0, 255, n % 256])
    if t == F.TYPE_BOOL:
        return True
    if t in (F.TYPE_FLOAT, F.TYPE_DOUBLE):
        return n + 0.25
    if t == F.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values if v.number != 0]
        return values[n % len(values)]
    if t in (F.TYPE_UINT64, F.TYPE_FIXED64):
        return (1 << 63) + n
    if t in (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64):
        return -(1 << 40) - n
    if t in (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32):
        return -n
    return 1000 + n  # uint32, fixed32


def populate(message, choice=None, depth=0):
    """Sets every field of `message` (for oneofs, the members `choice` names); returns it."""
    descriptor = message.DESCRIPTOR
    choice = choice or oneof_choices(descriptor)[0]
    for field in descriptor.fields:
        if field.containing_oneof is not None and choice.get(field.containing_oneof.name) != field.name:
            continue
        if field.type == F.TYPE_MESSAGE:
            if depth > 3:
                continue
            if field.label == F.LABEL_REPEATED:
                for _ in range(2):
                    populate(getattr(message, field.name).add(), depth=depth + 1)
            else:
                populate(getattr(message, field.name), depth=depth + 1)
        elif field.label == F.LABEL_REPEATED:
            getattr(message, field.name).extend([sample(field), sample(field)])
        else:
            setattr(message, field.name, sample(field))
    return message


def expected_json(message):
    """What `switchyard proto decode` should print for `message`."""
    out = {}
    descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        oneof = field.containing_oneof
        value = getattr(message, field.name)
        if oneof is not None:
            if message.WhichOneof(oneof.name) != field.name:
                if len(oneof.fields) == 1:
                    out[swift_name(field.name)] = None
                continue
            converted = convert(field, value)
            if len(oneof.fields) == 1:
                out[swift_name(field.name)] = converted
            else:
                out[swift_name(oneof.name)] = {swift_name(field.name): converted}
            continue
        if oneof is None and field.type == F.TYPE_MESSAGE and field.label != F.LABEL_REPEATED:
            out[swift_name(field.name)] = expected_json(value) if message.HasField(field.name) else None
        elif field.label == F.LABEL_REPEATED:
            out[swift_name(field.name)] = [convert(field, v) for v in value]
        else:
            out[swift_name(field.name)] = convert(field, value)
    for oneof in descriptor.oneofs:
        if len(oneof.fields) > 1 and message.WhichOneof(oneof.name) is None:
            out[swift_name(oneof.name)] = None
    return out


def convert(field, value):
    if field.type == F.TYPE_MESSAGE:
        return expected_json(value)
    if field.type == F.TYPE_ENUM:
        return field.enum_type.values_by_number[value].name
    if field.type == F.TYPE_BYTES:
        return list(value)
    return value


def run(command, name, payload):
    result = subprocess.run([_binary("switchyard"), "proto", command, name], input=payload, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


CASES = [(cls, choice) for cls in messages() for choice in oneof_choices(cls.DESCRIPTOR)]


@pytest.mark.parametrize("cls,choice", CASES, ids=[f"{c.DESCRIPTOR.name}-{i}" for i, (c, _) in enumerate(CASES)])
def test_swift_reads_what_python_writes_and_writes_it_back(cls, choice):
    message = populate(cls(), choice)
    name = cls.DESCRIPTOR.full_name
    payload = message.SerializeToString()
    decoded = json.loads(run("decode", name, payload))
    # Through JSON, so bytes, floats and None compare as the command prints them.
    assert decoded == json.loads(json.dumps(expected_json(message))), f"{name}: Swift read {decoded}"
    echoed = cls.FromString(run("echo", name, payload))
    assert echoed == message


@pytest.mark.parametrize("cls", list(messages()), ids=lambda c: c.DESCRIPTOR.name)
def test_empty_messages_round_trip_to_no_bytes(cls):
    assert run("echo", cls.DESCRIPTOR.full_name, b"") == b""


def test_every_message_of_the_proto_files_is_covered():
    names = {c.DESCRIPTOR.full_name for c in messages()}
    assert "switchyard.v1.Envelope" in names and "switchyard.v1.RouterModelFile" in names
    assert len(names) == sum(len(m.DESCRIPTOR.message_types_by_name) for m in MODULES)


def test_the_method_table_is_the_service_blocks_of_proto():
    """The client's method table (generated) holds every rpc of services.proto, each with the
    messages and options Google's runtime reads from the descriptors themselves."""
    from switchyard.v1 import services_pb2
    from switchyard_client.methods import ADMIN_METHODS, METHODS, OPEN_METHODS, SERVICES

    declared = {}
    for service in services_pb2.DESCRIPTOR.services_by_name.values():
        assert SERVICES[service.name] == tuple(m.name for m in service.methods)
        for method in service.methods:
            declared[method.name] = method
    assert set(METHODS) == set(declared)
    for name, method in declared.items():
        request, response = METHODS[name]
        assert request.DESCRIPTOR.full_name == method.input_type.full_name
        assert response.DESCRIPTOR.full_name == method.output_type.full_name
        options = method.GetOptions()
        assert (name in ADMIN_METHODS) == options.Extensions[services_pb2.admin]
        assert (name in OPEN_METHODS) == options.Extensions[services_pb2.open]
