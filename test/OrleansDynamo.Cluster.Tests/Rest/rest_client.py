"""Drives a silo's REST API with Python's standard library only (urllib): the test runs it as a process.

Usage: python3 rest_client.py BASE_URL API_KEY KV_BUCKET SET_BUCKET. Prints "ok" and exits 0 when every check holds.
"""
import base64
import json
import sys
import urllib.error
import urllib.request

base, key, kv, sets = sys.argv[1:5]


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Authorization", "Bearer " + key)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:  # 300, 404 and the errors arrive here
        return e.code, e.headers, e.read()


def check(condition, what):
    if not condition:
        print("FAILED: " + what)
        sys.exit(1)


# put, get, the context, delete, 404
status, headers, _ = call("PUT", f"/buckets/{kv}/keys/py-1", b"from python", {"Content-Type": "text/plain"})
check(status == 204, f"put answers 204, got {status}")
status, headers, body = call("GET", f"/buckets/{kv}/keys/py-1?r=2")
check(status == 200 and body == b"from python", f"get answers the value, got {status} {body!r}")
check(headers["Content-Type"] == "text/plain", f"get answers the put's content type, got {headers['Content-Type']}")
context = headers["X-Dynamo-Context"]
check(len(base64.b64decode(context)) > 0, "the context is base64")
status, _, _ = call("PUT", f"/buckets/{kv}/keys/py-1?w=2", b'"second"', {"X-Dynamo-Context": context, "Content-Type": "application/json"})
check(status == 204, f"a put with the context answers 204, got {status}")
status, headers, body = call("GET", f"/buckets/{kv}/keys/py-1")
check(status == 200 and body == b'"second"', f"the put with the context replaced the value, got {status} {body!r}")
check(headers["Content-Type"] == "application/json", f"and its content type, got {headers['Content-Type']}")
status, _, _ = call("DELETE", f"/buckets/{kv}/keys/py-1", headers={"X-Dynamo-Context": headers["X-Dynamo-Context"]})
check(status == 204, f"delete answers 204, got {status}")
status, _, body = call("GET", f"/buckets/{kv}/keys/py-1")
check(status == 404 and json.loads(body)["code"] == "not_found", f"a deleted key answers 404 not_found, got {status} {body!r}")

# siblings: two puts without a context, each listed with its own content type (urllib sends
# application/x-www-form-urlencoded with a body unless told otherwise, and that is what is kept)
call("PUT", f"/buckets/{kv}/keys/py-2", b"left", {"Content-Type": "text/plain; charset=utf-8"})
call("PUT", f"/buckets/{kv}/keys/py-2", b"right")
status, headers, body = call("GET", f"/buckets/{kv}/keys/py-2")
answer = json.loads(body)
check(status == 300, f"siblings answer 300, got {status}")
check(sorted(s["value"] for s in answer["siblings"]) == ["left", "right"], f"300 lists both siblings: {answer}")
types = {s["value"]: s["content_type"] for s in answer["siblings"]}
check(types == {"left": "text/plain; charset=utf-8", "right": "application/x-www-form-urlencoded"}, f"each sibling's own content type: {types}")
check(answer["context"] == headers["X-Dynamo-Context"], "the 300's body and header carry one context")

# a typed bucket: a set
status, _, body = call("POST", f"/types/{sets}/keys/py-cart", json.dumps({"add": ["apple", "pear"]}).encode(), {"Content-Type": "application/json"})
check(status == 200 and sorted(json.loads(body)["value"]) == ["apple", "pear"], f"set add answers the set, got {status} {body!r}")
status, headers, body = call("GET", f"/types/{sets}/keys/py-cart")
read = json.loads(body)
check(status == 200 and read["type"] == "set", f"typed get answers the set, got {status} {body!r}")
status, _, body = call("POST", f"/types/{sets}/keys/py-cart", json.dumps({"remove": ["pear"]}).encode(), {"X-Dynamo-Context": read["context"]})
check(status == 200 and json.loads(body)["value"] == ["apple"], f"set remove with the context, got {status} {body!r}")

# an error with its code
status, _, body = call("POST", f"/types/{sets}/keys/py-cart", b'{"increment": 1}')
check(status == 400 and json.loads(body)["code"] == "invalid_argument", f"a counter operation on a set is invalid_argument, got {status} {body!r}")
print("ok")
