#!/usr/bin/python3
"""A client session of UFDL's core dataset API against a Strata server with the ufdl plugin,
working as UFDL's Python client does: it logs in with POST /v1/auth/obtain, sends
`Authorization: Bearer <access>`, and on a 401 refreshes the access token once
(POST /v1/auth/refresh), obtaining a new pair if the refresh is refused, then retries.

As the user given (who must be staff: in the users file's admin group, since creating teams is
for admins), it creates a team, a project and datasets, uploads files (binary content, names
with '/'), sets metadata, copies (a new version and a new name), merges, lists with a filter,
and downloads zip and tar.gz archives; the bytes must stay identical through upload, copy,
merge and download. It exits non-zero with a message at the first difference.

    /usr/bin/python3 examples/ufdl_client.py --url http://127.0.0.1:8080 \\
        --user admin --password secret

Debian's python3-requests and python3-jwt are what it needs (scripts/setup.sh installs them;
they live in /usr/bin/python3, not in other Pythons on PATH).
"""
import argparse
import hashlib
import io
import os
import sys
import tarfile
import time
import urllib.parse
import zipfile

import jwt
import requests


def check(condition, what):
    if not condition:
        sys.exit("FAIL: " + what)
    print("ok:", what)


class Server:
    """UFDL's server context: the tokens, and the retry on 401 (refresh once, then obtain)."""

    def __init__(self, url, username, password):
        self.url = url.rstrip("/")
        self.username, self.password = username, password
        self.session = requests.Session()
        self.refreshes = self.obtains = 0
        self.obtain()

    def obtain(self):
        r = self.session.post(self.url + "/v1/auth/obtain",
                              json={"username": self.username, "password": self.password})
        if r.status_code != 200:
            sys.exit("FAIL: POST /v1/auth/obtain answered %d: %s" % (r.status_code, r.text[:300]))
        tokens = r.json()
        self.access, self.refresh = tokens["access"], tokens["refresh"]
        self.obtains += 1

    def refresh_access(self):
        r = self.session.post(self.url + "/v1/auth/refresh", json={"refresh": self.refresh})
        if r.status_code != 200:
            return False
        self.access = r.json()["access"]
        self.refreshes += 1
        return True

    def request(self, method, path, headers=None, **kwargs):
        """The answer to an authenticated request, after at most one token renewal."""
        def send():
            h = dict(headers or {})
            h["Authorization"] = "Bearer " + self.access
            data = kwargs.get("data")
            if hasattr(data, "seek"):
                data.seek(0)
            return self.session.request(method, self.url + path, headers=h, **kwargs)
        r = send()
        if r.status_code == 401:
            if not self.refresh_access():
                self.obtain()
            r = send()
        return r

    def json(self, method, path, expect=200, **kwargs):
        r = self.request(method, path, **kwargs)
        if r.status_code != expect:
            sys.exit("FAIL: %s %s answered %d (expected %d): %s" % (method, path, r.status_code, expect, r.text[:300]))
        return r.json()

    def upload(self, pk, filename, content):
        return self.json("POST", "/v1/datasets/%d/files/%s" % (pk, quote(filename)), data=io.BytesIO(content),
                         headers={"Content-Disposition": "attachment; filename=%s" % filename.split("/")[-1]})

    def download_file(self, pk, filename):
        r = self.request("GET", "/v1/datasets/%d/files/%s" % (pk, quote(filename)))
        check(r.status_code == 200, "GET files/%s of dataset %d" % (filename, pk))
        return r.content


def quote(filename):
    return urllib.parse.quote(filename, safe="/")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tampered(token):
    """The token with its signature changed (an invalid token, as an expired one is)."""
    head, _, sig = token.rpartition(".")
    return head + "." + ("A" if sig[0] != "A" else "B") + sig[1:]


def archive_files(kind, data):
    """{name: bytes} of the regular files of a zip or tar.gz archive."""
    out = {}
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            check(z.testzip() is None, "the zip's CRCs are right")
            for info in z.infolist():
                if not info.is_dir():
                    out[info.filename] = z.read(info)
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
            for member in t.getmembers():
                if member.isfile():
                    out[member.name] = t.extractfile(member).read()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True, help="a staff user (creates a team)")
    parser.add_argument("--password", required=True)
    parser.add_argument("--access-lifetime", type=float, default=0,
                        help="the server's access token lifetime in seconds, if short: the client waits it "
                             "out once to see the refresh on 401")
    args = parser.parse_args()
    server = Server(args.url, args.user, args.password)

    # ---- tokens, as UFDL's client decodes them (no signature check: the key is the server's)
    access = jwt.decode(server.access, options={"verify_signature": False})
    refresh = jwt.decode(server.refresh, options={"verify_signature": False})
    check(access.get("jtt") == "access" and refresh.get("jtt") == "refresh", "tokens carry their type in jtt")
    check(isinstance(access.get("upk"), int) and access["upk"] == refresh["upk"], "tokens carry the user's pk in upk")
    check(access["exp"] > time.time() and refresh["exp"] > access["exp"], "the refresh token outlives the access token")
    me = server.json("GET", "/v1/users/%s" % args.user)
    check(me["pk"] == access["upk"] and me["username"] == args.user, "GET /v1/users/{username} is the token's user")

    # ---- team, project, licence, dataset
    suffix = "%d" % (time.time() * 1000)
    team = server.json("POST", "/v1/teams/create", expect=201, json={"name": "client-team-" + suffix})
    project = server.json("POST", "/v1/projects/create", expect=201,
                          json={"name": "client-project", "team": team["pk"]})
    check(project["team"] == team["pk"], "POST /v1/projects/create in the new team")
    licences = server.json("POST", "/v1/licences/list", json={
        "expressions": [{"type": "contains", "field": "name", "sub_string": "mit", "case_insensitive": True}]})
    if not licences:
        licences = server.json("POST", "/v1/licences/list", json={})
    check(len(licences) > 0, "POST /v1/licences/list finds a licence")
    licence = licences[0]["pk"]
    ds = server.json("POST", "/v1/datasets/create", expect=201, json={
        "name": "client-ds", "project": project["pk"], "licence": licence, "tags": "example",
        "description": "made by ufdl_client.py", "is_public": False})
    check(ds["version"] == 1 and ds["previous_version"] == -1 and ds["files"] == {}, "a new dataset: v1, no files")
    pk = ds["pk"]

    # ---- uploads: text, every byte value, binary with CR/LF and NULs, names with '/'
    files = {
        "readme.txt": "Cats and dogs.\nÜnïcödé line.\n".encode("utf-8"),
        "images/all-bytes.bin": bytes(range(256)) * 64 + os.urandom(70000),
        "images/deep/dir/crlf.dat": b"\r\n\x00\x00\r\x1a\xff" * 1000,
        "notes.txt": b"notes of the first dataset\n",
    }
    for name, content in files.items():
        answer = server.upload(pk, name, content)
        check(answer == {"filename": name, "handle": sha256(content)},
              "upload %s: the handle is the content's SHA-256" % name)
    ds = server.json("GET", "/v1/datasets/%d" % pk)
    check(ds["files"] == {n: sha256(c) for n, c in files.items()}, "GET /v1/datasets/{pk} lists the files")
    for name, content in files.items():
        check(server.download_file(pk, name) == content, "%s reads back byte for byte" % name)
    r = server.request("GET", "/v1/datasets/%d/file-handles/%s" % (pk, sha256(files["notes.txt"])))
    check(r.status_code == 200 and r.content == files["notes.txt"], "GET file-handles/{handle}")
    r = server.request("GET", "/v1/datasets/%d/files/missing.txt" % pk)
    check(r.status_code == 400 and r.json() == {"detail": "Bad name 'missing.txt': Doesn't exist"},
          "a missing file: 400 Bad name ... Doesn't exist")

    # ---- metadata
    for name, text in (("readme.txt", '{"lang": "en"}'), ("images/all-bytes.bin", "label=bytes")):
        got = server.json("POST", "/v1/datasets/%d/metadata/%s" % (pk, quote(name)), json={"metadata": text})
        check(got == {"metadata": text}, "POST metadata of %s" % name)
    check(server.json("GET", "/v1/datasets/%d/metadata/readme.txt" % pk) == {"metadata": '{"lang": "en"}'},
          "GET metadata of one file")
    meta = server.json("GET", "/v1/datasets/%d/metadata" % pk)
    check(meta.get("images/all-bytes.bin") == "label=bytes" and meta.get("notes.txt", "") == "",
          "GET metadata of every file")

    # ---- refresh on 401, then obtain when the refresh is refused too
    if args.access_lifetime > 0:
        time.sleep(args.access_lifetime + 1.5)
        before = server.refreshes
        check(server.json("GET", "/v1/datasets/%d" % pk)["pk"] == pk and server.refreshes == before + 1,
              "an expired access token: 401, refreshed, retried")
    before = server.refreshes
    server.access = tampered(server.access)
    r = server.session.get(server.url + "/v1/datasets/%d" % pk, headers={"Authorization": "Bearer " + server.access})
    check(r.status_code == 401 and r.json().get("code") == "token_not_valid", "a bad token: 401 token_not_valid")
    check(server.json("GET", "/v1/datasets/%d" % pk)["pk"] == pk and server.refreshes == before + 1,
          "a refused access token: refreshed once, retried")
    obtains = server.obtains
    server.access, server.refresh = tampered(server.access), tampered(server.refresh)
    check(server.json("GET", "/v1/datasets/%d" % pk)["pk"] == pk and server.obtains == obtains + 1,
          "a refused refresh token: obtained anew, retried")

    # ---- copies: a new version (same name), and a new name with some files
    v2 = server.json("POST", "/v1/datasets/%d/copy" % pk, json={})
    check(v2["name"] == "client-ds" and v2["version"] == 2 and v2["previous_version"] == 1,
          "copy without new_name: version 2 of the same name")
    check(v2["files"] == ds["files"], "the version copy has the same files")
    for name, content in files.items():
        check(server.download_file(v2["pk"], name) == content, "%s is identical in the copy" % name)
    check(server.json("GET", "/v1/datasets/%d/metadata/readme.txt" % v2["pk"]) == {"metadata": '{"lang": "en"}'},
          "metadata is copied")
    renamed = server.json("POST", "/v1/datasets/%d/copy" % pk,
                          json={"new_name": "client-ds-part", "only_files": ["notes.txt", "images/all-bytes.bin"]})
    check(renamed["version"] == 1 and sorted(renamed["files"]) == ["images/all-bytes.bin", "notes.txt"],
          "copy with new_name and only_files")

    # ---- merge: another dataset into the version copy
    other = server.json("POST", "/v1/datasets/create", expect=201, json={
        "name": "client-other", "project": project["pk"], "licence": licence, "tags": ""})
    other_files = {
        "extra/data.bin": os.urandom(50000),
        "readme.txt": files["readme.txt"],  # same name, same content: kept once
        "notes.txt": b"notes of the other dataset\n",  # same name, other content: renamed
    }
    for name, content in other_files.items():
        server.upload(other["pk"], name, content)
    merged = server.json("POST", "/v1/datasets/%d/merge/%d" % (v2["pk"], other["pk"]), json={"delete": False})
    expected = dict(files)
    expected["extra/data.bin"] = other_files["extra/data.bin"]
    expected["notes-0001.txt"] = other_files["notes.txt"]
    check(merged["pk"] == v2["pk"] and merged["files"] == {n: sha256(c) for n, c in expected.items()},
          "merge adds the other's files (a clashing name with other content as notes-0001.txt)")
    for name, content in expected.items():
        check(server.download_file(v2["pk"], name) == content, "%s is identical after the merge" % name)
    check(server.json("GET", "/v1/datasets/%d" % other["pk"])["deletion_time"] is None,
          "merge with delete false keeps the other dataset")
    check(server.json("GET", "/v1/datasets/%d" % pk)["files"] == ds["files"], "the merge left the source version alone")

    # ---- list with a filter: the versions of client-ds in the project
    listed = server.json("POST", "/v1/datasets/list", json={
        "expressions": [{"type": "exact", "field": "name", "value": "client-ds"},
                        {"type": "exact", "field": "project", "value": project["pk"]}],
        "order_by": [{"field": "version", "ascending": False}]})
    check([d["version"] for d in listed] == [2, 1], "list by name and project, newest version first")
    r = server.request("POST", "/v1/datasets/list", json={"expressions": [{"type": "exact", "field": "nope", "value": 1}]})
    check(r.status_code == 400 and r.json() == {"detail": "Unknown field 'nope'"}, "an unknown filter field: 400")

    # ---- downloads
    for kind in ("zip", "tar.gz"):
        r = server.request("POST", "/v1/datasets/%d/download" % v2["pk"], json={"filetype": kind})
        check(r.status_code == 200, "download of the merged dataset as %s" % kind)
        check(r.headers.get("Content-Type", "").startswith("application/data"), "%s: Content-Type application/data" % kind)
        check(r.headers.get("Content-Disposition") == 'attachment; filename="client-ds.v2.%s"' % kind,
              "%s: Content-Disposition names client-ds.v2.%s" % (kind, kind))
        got = archive_files(kind, r.content)
        check(sorted(got) == sorted(expected), "the %s holds every file" % kind)
        for name, content in expected.items():
            if got[name] != content:
                sys.exit("FAIL: %s in the %s differs (%d bytes, expected %d)" % (name, kind, len(got[name]), len(content)))
        print("ok: every file of the %s is identical" % kind)
    r = server.request("POST", "/v1/datasets/%d/download" % pk, json={"filetype": "rar"})
    check(r.status_code == 415, "an unknown filetype: 415")

    print("all checks passed")


if __name__ == "__main__":
    main()
