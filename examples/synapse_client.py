#!/usr/bin/python3
"""A client session of the 2011 Synapse repository API against a Strata server with the
synapse plugin (python3-requests): log in, create a dataset, read it, update it with its ETag
(and see a stale ETag refused), set annotations of every type, add a layer, page through
datasets, query by annotation, and delete. It exits non-zero at the first difference.

    /usr/bin/python3 examples/synapse_client.py --url http://127.0.0.1:8080 \\
        --user alice --password secret

Debian's python3-requests is what it needs (scripts/setup.sh installs it; it lives in
/usr/bin/python3, not in other Pythons on PATH).
"""
import argparse
import base64
import sys

import requests


def check(condition, what):
    if not condition:
        sys.exit("FAIL: " + what)
    print("ok:", what)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    repo = args.url.rstrip("/") + "/repo/v1"
    s = requests.Session()

    r = s.post(args.url.rstrip("/") + "/auth/v1/session", json={"email": args.user, "password": args.password})
    check(r.status_code == 201 and "sessionToken" in r.json(), "POST /auth/v1/session gives a session token")
    s.headers["sessionToken"] = r.json()["sessionToken"]

    r = s.post(repo + "/dataset", json={"name": "DeLiver", "description": "liver study", "status": "pending"})
    check(r.status_code == 201, "POST /dataset gives 201")
    dataset = r.json()
    did = dataset["id"]
    check(r.headers.get("ETag") == dataset["etag"], "the ETag header is the body's etag")
    check(r.headers.get("Location", "").endswith("/repo/v1/dataset/" + did), "Location names the dataset")
    check(dataset["version"] == "0.0.1" and isinstance(dataset["creationDate"], int), "defaults: version, creationDate")

    r = s.get(repo + "/dataset/" + did)
    check(r.status_code == 200 and r.json()["name"] == "DeLiver", "GET /dataset/{id}")
    old = r.json()
    changed = dict(old, description="liver and brain study")
    r = s.put(repo + "/dataset/" + did, json=changed, headers={"ETag": old["etag"]})
    check(r.status_code == 200 and r.json()["description"] == "liver and brain study", "PUT with the ETag")
    check(r.json()["etag"] != old["etag"], "a write makes a new etag")
    r = s.put(repo + "/dataset/" + did, json=dict(old, description="lost"), headers={"ETag": old["etag"]})
    check(r.status_code == 412 and "was updated since you last fetched it" in r.json()["reason"], "a stale ETag: 412")

    url = repo + "/dataset/%s/annotations" % did
    a = s.get(url)
    check(a.status_code == 200, "GET annotations")
    body = {
        "stringAnnotations": {"Species": ["Human"], "tissues": ["liver", "brain"]},
        "doubleAnnotations": {"pValues": [0.987, 0.0]},
        "longAnnotations": {"Number of Samples": [3000]},
        "dateAnnotations": {"Publication Date": ["2011-01-15"]},
        "blobAnnotations": {"thumbnail": [base64.b64encode(b"\x00\x01binary").decode()]},
    }
    r = s.put(url, json=body, headers={"ETag": a.json()["etag"]})
    check(r.status_code == 200, "PUT annotations of every type")
    got = s.get(url).json()
    check(got["dateAnnotations"]["Publication Date"] == [1295049600000], "dates come back as epoch ms")
    check(got["longAnnotations"]["Number of Samples"] == [3000], "long annotations")
    check(got["stringAnnotations"]["tissues"] == ["liver", "brain"], "string lists keep their order")
    check(base64.b64decode(got["blobAnnotations"]["thumbnail"][0]) == b"\x00\x01binary", "blob annotations")
    check(got["doubleAnnotations"]["pValues"] == [0.987, 0.0], "double annotations")

    r = s.post(repo + "/dataset/%s/layer" % did, json={"name": "DeLiver expression data", "type": "E"})
    check(r.status_code == 201, "POST a layer")
    lid = r.json()["id"]
    layers = s.get(repo + "/dataset/" + did).json()["layers"]
    check(any(l["id"] == lid and l["type"] == "E" for l in layers), "the dataset lists its layer")

    for i in range(5):
        s.post(repo + "/dataset", json={"name": "extra %d" % i}).raise_for_status()
    page = s.get(repo + "/dataset", params={"offset": 1, "limit": 3}).json()
    check(len(page["results"]) == 3 and page["totalNumberOfResults"] >= 6, "paging: limit 3")
    check(page["paging"].get("next") == "/repo/v1/dataset?offset=4&limit=3", "paging: the next link")

    q = s.get(repo + "/query", params={"query": 'select * from dataset where Species == "Human"'}).json()
    check(q["totalNumberOfResults"] == 1 and q["results"][0]["dataset.id"] == did, "query by annotation")

    check(s.delete(repo + "/dataset/" + did).status_code == 204, "DELETE gives 204")
    check(s.get(repo + "/dataset/" + did).status_code == 404, "the dataset is gone")
    check(s.get(repo + "/dataset/%s/layer/%s" % (did, lid)).status_code == 404, "its layer is gone")
    print("all checks passed")


if __name__ == "__main__":
    main()
