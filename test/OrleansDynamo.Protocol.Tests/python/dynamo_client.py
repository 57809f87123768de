#!/usr/bin/python3
"""Calls the orleansdynamo.v1.Dynamo gRPC service with a third-party client (Debian's python3-grpcio).

Does a put, then a get of the same key, and prints one JSON object on stdout:
  {"ok": true, "codec": "protoc"|"hand", "put": {...}, "get": {...}, "roundtrip": true}
or, when a call fails:
  {"ok": false, "step": "put"|"get", "code": "INVALID_ARGUMENT", "details": "..."}
Exit code: 0 ok, 1 a call failed, 3 grpcio is not importable.

Messages are encoded either with stubs generated at run time by grpc_tools.protoc (python3-grpc-tools)
from client.proto, or with the tiny hand-written protobuf codec below (no dependency beyond grpcio).

Usage: /usr/bin/python3 dynamo_client.py --port 5000 [--host 127.0.0.1] [--key k] [--value v]
         [--bucket b] [--op putget|put|get] [--codec auto|protoc|hand] [--proto path/to/client.proto]
"""
import argparse
import base64
import json
import os
import sys
import tempfile

SERVICE = "/orleansdynamo.v1.Dynamo/"

try:
    import grpc
except ImportError as e:  # the C# test turns this into a clear failure
    print(json.dumps({"ok": False, "step": "import", "code": "MISSING_GRPCIO",
                      "details": "python3-grpcio is not importable (%s); apt-get install -y python3-grpcio python3-protobuf" % e}))
    sys.exit(3)


# --- hand codec: just the fields of PutRequest/GetRequest/PutResponse/GetResponse this script needs ---

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number, payload):
    """A length-delimited field (wire type 2): strings, bytes and embedded messages."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _decode(data):
    """Decodes a message into {field number: [values]}; varints as int, length-delimited as bytes."""
    fields, i = {}, 0
    def read_varint():
        nonlocal i
        shift = result = 0
        while True:
            b = data[i]
            i += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result
    while i < len(data):
        tag = read_varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value = read_varint()
        elif wire == 2:
            length = read_varint()
            value = bytes(data[i:i + length])
            i += length
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        fields.setdefault(number, []).append(value)
    return fields


def _first(fields, number, default):
    return fields.get(number, [default])[0]


class HandCodec:
    name = "hand"

    def put_request(self, bucket, key, value, context):
        return (_field(1, bucket.encode()) + _field(2, key.encode()) + _field(3, value) + _field(4, context.encode()))

    def get_request(self, bucket, key):
        return _field(1, bucket.encode()) + _field(2, key.encode())

    def put_response(self, data):
        f = _decode(data)
        return {"context": _first(f, 1, b"").decode(), "replicas_acked": _first(f, 2, 0),
                "coordinator": _first(f, 3, b"").decode()}

    def get_response(self, data):
        f = _decode(data)
        siblings = []
        for raw in f.get(2, []):
            s = _decode(raw)
            siblings.append({"value": _first(s, 1, b""), "deleted": bool(_first(s, 2, 0)), "timestamp_ms": _first(s, 3, 0)})
        return {"found": bool(_first(f, 1, 0)), "siblings": siblings, "context": _first(f, 3, b"").decode(),
                "replicas_answered": _first(f, 4, 0), "coordinator": _first(f, 5, b"").decode()}


class ProtocCodec:
    """Stubs generated at run time with grpc_tools.protoc into a temporary directory."""
    name = "protoc"

    def __init__(self, proto_path):
        from grpc_tools import protoc
        out = tempfile.mkdtemp(prefix="dynamo_pb2_")
        proto_dir, proto_file = os.path.split(os.path.abspath(proto_path))
        rc = protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + out, os.path.join(proto_dir, proto_file)])
        if rc != 0:
            raise RuntimeError("grpc_tools.protoc failed with exit code %d" % rc)
        sys.path.insert(0, out)
        self.pb = __import__(os.path.splitext(proto_file)[0] + "_pb2")

    def put_request(self, bucket, key, value, context):
        return self.pb.PutRequest(bucket=bucket, key=key, value=value, context=context).SerializeToString()

    def get_request(self, bucket, key):
        return self.pb.GetRequest(bucket=bucket, key=key).SerializeToString()

    def put_response(self, data):
        m = self.pb.PutResponse.FromString(data)
        return {"context": m.context, "replicas_acked": m.replicas_acked, "coordinator": m.coordinator}

    def get_response(self, data):
        m = self.pb.GetResponse.FromString(data)
        return {"found": m.found, "context": m.context, "replicas_answered": m.replicas_answered,
                "coordinator": m.coordinator,
                "siblings": [{"value": s.value, "deleted": s.deleted, "timestamp_ms": s.timestamp_ms} for s in m.siblings]}


def default_proto():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "client.proto"),
                      os.path.join(here, "..", "..", "..", "src", "OrleansDynamo.Protocol", "Protos", "client.proto")):
        if os.path.exists(candidate):
            return candidate
    return os.path.join(here, "client.proto")


def make_codec(kind, proto):
    if kind == "hand":
        return HandCodec()
    try:
        return ProtocCodec(proto)
    except Exception:
        if kind == "protoc":
            raise
        return HandCodec()


def show_value(value):
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(value).decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bucket", default="")
    parser.add_argument("--key", default="python-key")
    parser.add_argument("--value", default="hello from python grpcio")
    parser.add_argument("--op", choices=["putget", "put", "get"], default="putget")
    parser.add_argument("--codec", choices=["auto", "protoc", "hand"], default="auto")
    parser.add_argument("--proto", default=default_proto())
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    codec = make_codec(args.codec, args.proto)
    identity = lambda b: b
    result = {"ok": True, "codec": codec.name, "grpcio": grpc.__version__}
    with grpc.insecure_channel("%s:%d" % (args.host, args.port)) as channel:
        put = channel.unary_unary(SERVICE + "Put", request_serializer=identity, response_deserializer=identity)
        get = channel.unary_unary(SERVICE + "Get", request_serializer=identity, response_deserializer=identity)
        step = "put"
        try:
            context = ""
            if args.op in ("putget", "put"):
                reply = codec.put_response(put(codec.put_request(args.bucket, args.key, args.value.encode("utf-8"), context),
                                               timeout=args.timeout))
                result["put"] = reply
            if args.op in ("putget", "get"):
                step = "get"
                reply = codec.get_response(get(codec.get_request(args.bucket, args.key), timeout=args.timeout))
                values = [show_value(s["value"]) for s in reply["siblings"]]
                result["get"] = {"found": reply["found"], "values": values, "context": reply["context"],
                                 "replicas_answered": reply["replicas_answered"], "coordinator": reply["coordinator"]}
                if args.op == "putget":
                    result["roundtrip"] = args.value in values
        except grpc.RpcError as e:
            print(json.dumps({"ok": False, "step": step, "codec": codec.name, "code": e.code().name,
                              "details": e.details()}, ensure_ascii=False))
            return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
