"""Schemathesis hooks of the fuzz stage (loaded through SCHEMATHESIS_HOOKS).

One hook, against one known mislabel of Schemathesis 4.32.5, never against a
finding about the API:

The coverage phase cannot produce a value for some optional parameters whose
pattern has an alternation (the `If-Match` header: `*` or an entity tag), so it
seeds them with a type-violating value (`if-match: 0`) and records that
component as negative; the cases it then builds to test *other* parts of the
request are still labelled positive as a whole. `positive_data_acceptance`
then reports the server's 400 for `if-match: 0` as "schema-valid request
rejected", although Schemathesis's own metadata says the request was not
schema-valid. Only that failure (ST202) is dropped, and only when the case
itself records a negative component and the server's 400 problem names no
field outside those components (its `errors[].field` starts with the part:
`header.if-match`), so a body the server refuses for its own reasons in the
same case is still reported. Schemathesis counts every drop in its report
("filtered"); each is also written, with its curl, to the file that
FLOTILLA_FUZZ_DROPPED names, and the test prints them.
"""

import json
import os

import schemathesis
from schemathesis.generation import GenerationMode


def _record(case, response, negative):
    path = os.environ.get("FLOTILLA_FUZZ_DROPPED")
    if not path:
        return
    try:
        curl = case.as_curl_command()
    except Exception as error:  # a body curl cannot carry; the entry still counts
        curl = f"(no curl: {error})"
    entry = {"operation": case.operation.label, "status": response.status_code, "negative": negative, "curl": curl}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def _fields_refused(response):
    """The request parts a 400 problem document names (`header`, `query`, `path`, `body`), or None."""
    if response.status_code != 400:
        return None
    try:
        errors = json.loads(response.text_lossy()).get("errors")
    except (ValueError, AttributeError):
        return None
    if not isinstance(errors, list) or not errors:
        return None
    fields = [error.get("field") for error in errors if isinstance(error, dict)]
    if len(fields) != len(errors) or not all(isinstance(field, str) for field in fields):
        return None
    return {field.split(".", 1)[0] for field in fields}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code != "ST202" or case.meta is None:
        return True
    negative = sorted(
        location.value for location, info in case.meta.components.items() if info.mode == GenerationMode.NEGATIVE
    )
    refused = _fields_refused(response)
    if not negative or refused is None or not refused <= set(negative):
        return True
    _record(case, response, negative)
    return False
