#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Validate Kubernetes objects against the API's models, offline, with
Debian's python3-kubernetes: every field must be one the kind's model
knows (unknown fields refused), of the model's type (bool, int, str,
lists, maps, nested models), and required fields present.  Reads a JSON
array of objects on stdin; prints one line per object; exits 1 if any is
invalid or of a kind it does not know.  Run with /usr/bin/python3 (the
Debian package is installed for Debian's Python)."""
import json
import re
import sys

import kubernetes.client as models
from kubernetes.client import ApiClient

PRIMITIVE = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def check(value, typ, path):
    """Raise ValueError naming path when value does not fit typ."""
    if typ in ("object", "datetime", "date"):
        return
    if typ in PRIMITIVE:
        ok = isinstance(value, PRIMITIVE[typ])
        if typ in ("int", "float") and isinstance(value, bool):
            ok = False
        if not ok:
            raise ValueError(f"{path} must be {typ}, not {value!r}")
        return
    m = re.fullmatch(r"list\[(.+)\]", typ)
    if m:
        if not isinstance(value, list):
            raise ValueError(f"{path} must be a list")
        for i, v in enumerate(value):
            check(v, m.group(1), f"{path}[{i}]")
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", typ)
    if m:
        if not isinstance(value, dict):
            raise ValueError(f"{path} must be a map")
        for k, v in value.items():
            check(v, m.group(1), f"{path}.{k}")
        return
    cls = getattr(models, typ)
    if not isinstance(value, dict):
        raise ValueError(f"{path} must be an object ({typ})")
    by_json = {j: a for a, j in cls.attribute_map.items()}
    for k, v in value.items():
        if k not in by_json:
            raise ValueError(f"{path}.{k}: no such field in {typ}")
        check(v, cls.openapi_types[by_json[k]], f"{path}.{k}")


def model_name(obj):
    version = obj["apiVersion"].split("/")[-1]
    return version[0].upper() + version[1:] + obj["kind"]


def main():
    bad = 0
    api = ApiClient()
    for o in json.load(sys.stdin):
        meta = o.get("metadata", {})
        what = f"{o.get('kind')} {meta.get('namespace', '')}/{meta.get('name')}"
        try:
            name = model_name(o)
            if not hasattr(models, name):
                raise ValueError(f"unknown kind {name}")
            check(o, name, o["kind"])
            # required fields: the model's own setters refuse a missing one
            api._ApiClient__deserialize(o, name)
            print(f"valid {what}")
        except (ValueError, KeyError, TypeError) as e:
            bad += 1
            print(f"invalid {what}: {e}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
