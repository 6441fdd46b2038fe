"""Hooks of .ci/schemathesis: two rules of the server that no OpenAPI document can state,
applied to the requests schemathesis generates so that every check stays on.

1. JSON Schema 2020-12 (OpenAPI 3.1) counts `2.0` as the integer 2; the contract does not
   coerce (`1.0` is not an integer: 422, docs/contract/licensing-api.md). Whole floats are
   sent as the integers they equal, which is the same request in the document's terms.
2. Outgoing URLs (webhook endpoints) must resolve to an address the server may call; CI has
   loopback only. A URL the document admits is replaced by ST_HOOK_URL, a closed loopback
   port the server accepts (CODITECT_WEBHOOKS_ALLOW_HTTP=true). A URL the document refuses
   is left as it is, so negative cases stay negative.

schemathesis re-validates a case after `before_call`, so neither edit can turn a case it
meant as invalid into one it judges as valid, or the other way round, unnoticed.
"""

import os
import re

import schemathesis

HOOK_URL = os.environ["ST_HOOK_URL"]
URL_MAX = 2048


def _whole_floats_as_ints(value):
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, list):
        return [_whole_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole_floats_as_ints(v) for k, v in value.items()}
    return value


def _admitted_url(value):
    return isinstance(value, str) and len(value) <= URL_MAX and re.match(r"^https?://", value) is not None


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not isinstance(body, (dict, list)):
        return
    body = _whole_floats_as_ints(body)
    if isinstance(body, dict) and "/webhooks" in case.operation.path and _admitted_url(body.get("url")):
        body["url"] = HOOK_URL
    case.body = body
