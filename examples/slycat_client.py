#!/usr/bin/python3
"""A Slycat client session against a Strata server with the slycat plugin, made the way
Slycat's own Python client makes it (python3-requests; form fields, then files={"data": ...}).

It creates a project, a model and an arrayset, stores a table (int64, float64 and string
columns) and a 2-D float32 array, writes data as raw bytes in both byte orders and as JSON,
reads it back with Hyperchunks (JSON, binary in both byte orders, the POST form), asks for
statistics and distinct values, reads the same values through the hdf plugin (domain
<storage id>.slycat.hdfgroup.org) when it is loaded, and, given --h5-root (the arrays store's
directory of an hdf5 backend), opens the arrayset's .h5 file with h5py. It exits non-zero at
the first difference.

    /usr/bin/python3 examples/slycat_client.py --url http://127.0.0.1:8080 \\
        --user alice --password secret [--h5-root var/hdf] [--hdf]

Debian's python3-requests, python3-numpy and python3-h5py are what it needs (scripts/setup.sh
installs them; they live in /usr/bin/python3, not in other Pythons on PATH).
"""
import argparse
import json
import os
import sys

import numpy
import requests


def check(condition, what):
    if not condition:
        sys.exit("FAIL: " + what)
    print("ok:", what)


class Connection:
    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (user, password)

    def request(self, method, path, expect=200, **kwargs):
        r = self.session.request(method, self.url + path, **kwargs)
        if r.status_code != expect:
            sys.exit("FAIL: %s %s gave %s, expected %s: %s" % (method, path, r.status_code, expect, r.text))
        return r

    # The calls of Slycat's slycat.web.client.Connection, by the same names.
    def post_projects(self, name, description=""):
        return self.request("POST", "/api/projects", 201, json={"name": name, "description": description}).json()["id"]

    def post_project_models(self, pid, model_type, name, marking="", description=""):
        body = {"model-type": model_type, "name": name, "marking": marking, "description": description}
        return self.request("POST", "/api/projects/%s/models" % pid, 201, json=body).json()["id"]

    def get_model(self, mid):
        return self.request("GET", "/api/models/%s" % mid).json()

    def put_model_arrayset(self, mid, aid, input=True):
        self.request("PUT", "/api/models/%s/arraysets/%s" % (mid, aid), json={"input": input})

    def put_model_arrayset_array(self, mid, aid, array, dimensions, attributes):
        body = {"dimensions": dimensions, "attributes": attributes}
        self.request("PUT", "/api/models/%s/arraysets/%s/arrays/%s" % (mid, aid, array), json=body)

    def put_model_arrayset_data(self, mid, aid, hyperchunks, data, byteorder=None):
        """data: a list with one numpy array or Python list per hyperslice. With byteorder, raw
        bytes in that order; without, JSON (Slycat's client picks JSON when a chunk holds
        strings)."""
        fields = {"hyperchunks": hyperchunks}
        if byteorder is not None:
            fields["byteorder"] = byteorder
            order = "<" if byteorder == "little" else ">"
            payload = b"".join(numpy.asarray(d).astype(numpy.asarray(d).dtype.newbyteorder(order)).tobytes() for d in data)
        else:
            payload = json.dumps([d.tolist() if hasattr(d, "tolist") else d for d in data]).encode()
        self.request("PUT", "/api/models/%s/arraysets/%s/data" % (mid, aid), data=fields, files={"data": payload})

    def get_model_arrayset_data(self, mid, aid, hyperchunks, byteorder=None):
        params = {"hyperchunks": hyperchunks}
        if byteorder is not None:
            params["byteorder"] = byteorder
        r = self.request("GET", "/api/models/%s/arraysets/%s/data" % (mid, aid), params=params)
        return r.content if byteorder is not None else r.json()

    def post_model_arrayset_data(self, mid, aid, hyperchunks, byteorder=None):
        body = {"hyperchunks": hyperchunks}
        if byteorder is not None:
            body["byteorder"] = byteorder
        r = self.request("POST", "/api/models/%s/arraysets/%s/data" % (mid, aid), json=body)
        return r.content if byteorder is not None else r.json()

    def get_model_arrayset_metadata(self, mid, aid, **queries):
        return self.request("GET", "/api/models/%s/arraysets/%s/metadata" % (mid, aid), params=queries).json()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--h5-root", help="the hdf5 arrays store's directory, to open the .h5 with h5py")
    parser.add_argument("--hdf", action="store_true", help="the hdf plugin is loaded: read the values through it too")
    args = parser.parse_args()
    c = Connection(args.url, args.user, args.password)

    pid = c.post_projects("strata-example", "a Slycat client session")
    mid = c.post_project_models(pid, "generic", "table")
    c.put_model_arrayset(mid, "data-table", input=True)
    rows = 1000
    c.put_model_arrayset_array(mid, "data-table", 0,
                               [{"name": "row", "type": "int64", "begin": 0, "end": rows}],
                               [{"name": "id", "type": "int64"}, {"name": "value", "type": "float64"},
                                {"name": "label", "type": "string"}])
    c.put_model_arrayset_array(mid, "data-table", 1,
                               [{"name": "x", "end": 3}, {"name": "y", "end": 4}],
                               [{"name": "grid", "type": "float32"}])

    ids = numpy.arange(rows, dtype="int64") * 7 % 101
    values = numpy.linspace(-1.0, 1.0, rows)
    values[13] = numpy.nan
    labels = ["row %d \u00e9" % (i % 17) for i in range(rows)]
    grid = numpy.arange(12, dtype="float32").reshape(3, 4) / 4

    # Binary little-endian, binary big-endian (two hyperslices), JSON for strings and the grid.
    c.put_model_arrayset_data(mid, "data-table", "0/0/...", [ids], byteorder="little")
    c.put_model_arrayset_data(mid, "data-table", "0/1/0:500|500:1000", [values[:500], values[500:]], byteorder="big")
    c.put_model_arrayset_data(mid, "data-table", "0/2/...", [labels])
    c.put_model_arrayset_data(mid, "data-table", "1/0/...", [grid])

    got = c.get_model_arrayset_data(mid, "data-table", "0/0|1|2/...")
    check(got[0] == ids.tolist(), "int64 column read back as JSON")
    check(got[1][13] is None and numpy.allclose([v for i, v in enumerate(got[1]) if i != 13],
                                                numpy.delete(values, 13), rtol=0, atol=0),
          "float64 column read back as JSON, NaN as null")
    check(got[2] == labels, "string column read back as JSON")
    little = numpy.frombuffer(c.get_model_arrayset_data(mid, "data-table", "0/1/...", byteorder="little"), "<f8")
    big = numpy.frombuffer(c.get_model_arrayset_data(mid, "data-table", "0/1/...", byteorder="big"), ">f8")
    check(numpy.array_equal(little, values, equal_nan=True), "float64 column read back as little-endian bytes")
    check(numpy.array_equal(big, values, equal_nan=True), "float64 column read back as big-endian bytes")
    check(c.get_model_arrayset_data(mid, "data-table", "1/0/1:3,::2") == [grid[1:3, ::2].tolist()],
          "2-D hyperslice with a step")
    check(c.post_model_arrayset_data(mid, "data-table", "0/0/5;0/1/2") == [int(ids[5]), float(values[2])],
          "the POST form; an all-integer hyperslice gives a scalar")
    sorted_ids = c.post_model_arrayset_data(mid, "data-table", '0/0/order:rank(a0, "asc")/0:10')
    check(sorted_ids == [sorted(ids.tolist())[:10]], "order: rank() sorts before the hyperslice")

    meta = c.get_model_arrayset_metadata(mid, "data-table", statistics="0/0|1", unique="0/2/0:3")
    stats = meta["statistics"]
    check(stats[0]["min"] == int(ids.min()) and stats[0]["max"] == int(ids.max()) and
          stats[0]["unique"] == len(set(ids.tolist())), "statistics of the int64 column")
    check(stats[1]["unique"] == rows - 1, "statistics leave NaN out")
    check(meta["unique"][0]["values"] == [sorted(set(labels))[:3]], "the first distinct labels")

    sid = c.get_model(mid)["artifact:data-table"]
    if args.hdf:
        host = {"host": "%s.slycat.hdfgroup.org" % sid}
        root = c.request("GET", "/", params=host).json()["root"]
        obj = root
        for name in ["array", "0", "attribute", "1"]:
            obj = c.request("GET", "/groups/%s/links/%s" % (obj, name), params=host).json()["link"]["id"]
        hdf = c.request("GET", "/datasets/%s/value" % obj, params=host).json()["value"]
        hdf = [numpy.nan if v == "NaN" else v for v in hdf]
        check(numpy.array_equal(numpy.array(hdf, dtype="float64"), values, equal_nan=True),
              "the same values through the hdf plugin")

    if args.h5_root:
        os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"  # the server has the file open
        import h5py
        path = os.path.join(args.h5_root, "slycat", sid + ".h5")
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["array/0/metadata/attribute-names"][...]]
            check(names == ["id", "value", "label"], "h5py reads the attribute names")
            check(numpy.array_equal(f["array/0/attribute/0"][...], ids), "h5py reads the int64 column")
            check(numpy.array_equal(f["array/0/attribute/1"][...], values, equal_nan=True), "h5py reads the float64 column")
            stored = [s.decode() if isinstance(s, bytes) else s for s in f["array/0/attribute/2"][...]]
            check(stored == labels, "h5py reads the strings")
            check(numpy.array_equal(f["array/1/attribute/0"][...], grid), "h5py reads the 2-D float32 array")
    print("all checks passed")


if __name__ == "__main__":
    main()
