"""Uploading and removing documents: limits checked before anything is written (zip bombs, path
traversal, types), the background job and its per-file results, removal keeping annotations."""

from __future__ import annotations

import io
import json
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CORPUS, make_app

HEADERS = {"X-CSRF-Token": "t0ken"}
TEXT = b"The European Border and Coast Guard Agency, Frontex, met UNHCR in Warsaw.\n\nA second paragraph."


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory):
    """A data directory holding two sample documents (real index, real spaCy tagging), once."""
    from indexer.pipeline import ingest

    data = tmp_path_factory.mktemp("upload") / "data"
    report = ingest(sorted(SAMPLE_CORPUS.glob("*.txt"))[:2], data, progress=False)
    assert not report.failed
    return data


@pytest.fixture
def upload_app(two_documents, tmp_path):
    """An app over a private copy of :func:`two_documents`."""
    data = tmp_path / "data"
    shutil.copytree(two_documents, data)
    return make_app(data, tmp_path / "glossa.db")


def client_of(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "t0ken"
    return client


@pytest.fixture
def client(upload_app):
    return client_of(upload_app)


def post(client, files, **form):
    data = {"files": [(io.BytesIO(body), name) for name, body in files], **form}
    return client.post("/api/documents", data=data, headers=HEADERS, content_type="multipart/form-data")


def wait(client, job_id: str, timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job did not finish: {job}")


def results(job) -> dict[str, tuple[str, str]]:
    return {f["sent_as"]: (f["status"], f.get("reason") or "") for f in job["files"]}


def nothing_written(app) -> bool:
    data = Path(app.config["DATA_DIR"])
    return not (data / "corpus").exists() and not (data / "uploads" / "jobs").exists()


def make_zip(entries, mode=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", mode) as archive:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, b"target.txt")
            else:
                archive.writestr(*entry)
    return buffer.getvalue()


# --- whole uploads refused before anything is written ----------------------------------------


@pytest.mark.parametrize(
    "entry, words",
    [
        ("../evil.txt", "'..'"),
        ("notes/../../evil.txt", "'..'"),
        ("/etc/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
        ("..\\evil.txt", "'..'"),
    ],
)
def test_zip_entries_climbing_out_are_refused(client, upload_app, entry, words):
    response = post(client, [("bundle.zip", make_zip([("fine.txt", TEXT), (entry, TEXT)]))])
    assert response.status_code == 400 and response.is_json
    assert words in response.get_json()["message"]
    assert nothing_written(upload_app)


def test_a_name_sent_with_dot_dot_is_refused(client, upload_app):
    response = post(client, [("a.txt", TEXT)], paths=["../../a.txt"])
    assert response.status_code == 400 and "'..'" in response.get_json()["message"]
    assert nothing_written(upload_app)


def test_zip_bombs_are_refused(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    app = make_app(data, tmp_path / "g.db", UPLOAD_ZIP_MAX_ENTRIES=5, UPLOAD_ZIP_MAX_EXPANDED="1M")
    client = client_of(app)
    # highly compressed: 20 MB of one letter
    ratio = post(client, [("bomb.zip", make_zip([("zeros.txt", b"a" * (20 * 1024 * 1024))]))])
    assert ratio.status_code == 413 and "zip bomb" in ratio.get_json()["message"]
    many = post(client, [("many.zip", make_zip([(f"f{i}.txt", TEXT) for i in range(6)]))])
    assert many.status_code == 413 and "6 entries" in many.get_json()["message"]
    words = " ".join(f"word{i}" for i in range(70_000)).encode()  # ~600 KB that compresses ~5 times
    big = post(client, [("big.zip", make_zip([("a.txt", words), ("b.txt", words)]))])
    assert big.status_code == 413 and "UPLOAD_ZIP_MAX_EXPANDED" in big.get_json()["message"]
    assert nothing_written(app)


def test_unsafe_zip_contents_are_refused(client, upload_app):
    link = zipfile.ZipInfo("link.txt")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    symlinked = post(client, [("links.zip", make_zip([("fine.txt", TEXT), link]))])
    assert symlinked.status_code == 400 and "symbolic link" in symlinked.get_json()["message"]
    inner = make_zip([("x.txt", TEXT)])
    nested = post(client, [("outer.zip", make_zip([("inner.zip", inner)]))])
    assert nested.status_code == 400 and "nested zips" in nested.get_json()["message"]
    disguised = post(client, [("outer.zip", make_zip([("inner.txt", inner)]))])
    assert disguised.status_code == 400 and "nested zips" in disguised.get_json()["message"]
    broken = post(client, [("broken.zip", b"PK\x03\x04 this is not really a zip")])
    assert broken.status_code == 400 and "not a zip archive" in broken.get_json()["message"]
    assert nothing_written(upload_app)


def test_size_and_count_limits(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    app = make_app(data, tmp_path / "g.db", UPLOAD_MAX_FILE_SIZE="2K", UPLOAD_MAX_FILES=2, UPLOAD_MAX_TOTAL_SIZE="8K")
    client = client_of(app)
    large = post(client, [("large.txt", b"x " * 1500)])
    assert large.status_code == 413 and "UPLOAD_MAX_FILE_SIZE" in large.get_json()["message"]
    many = post(client, [(f"f{i}.txt", TEXT) for i in range(3)])
    assert many.status_code == 413 and "UPLOAD_MAX_FILES" in many.get_json()["message"]
    expanded = post(client, [("one.zip", make_zip([("big.txt", b"y " * 1500)]))])
    assert expanded.status_code == 413 and "UPLOAD_MAX_FILE_SIZE" in expanded.get_json()["message"]
    body = post(client, [("a.txt", b"z" * 20_000)])  # the request body is over the route's own limit
    assert body.status_code == 413 and "UPLOAD_MAX_TOTAL_SIZE" in body.get_json()["message"]
    assert nothing_written(app)


def test_the_upload_limit_does_not_raise_max_content_length_elsewhere(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    app = make_app(data, tmp_path / "g.db", MAX_CONTENT_LENGTH="4K", UPLOAD_MAX_TOTAL_SIZE="1M")
    client = client_of(app)
    note = client.post("/api/annotations", data=b"x" * 10_000, headers=HEADERS, content_type="application/json")
    assert note.status_code == 413 and "MAX_CONTENT_LENGTH" in note.get_json()["message"]
    refused = post(client, [("a.exe", b"MZ\x90\x00" + b"\x00" * 8000)])  # over 4K, under the upload limit
    assert refused.status_code == 415  # got past the size check, refused for its type


def test_no_file_and_no_accepted_file(client, upload_app):
    empty = client.post("/api/documents", data={}, headers=HEADERS, content_type="multipart/form-data")
    assert empty.status_code == 400 and "No file was sent" in empty.get_json()["message"]
    not_a_file = client.post("/api/documents", data={"files": "text"}, headers=HEADERS)
    assert not_a_file.status_code == 400
    wrong = post(client, [("report.docx", b"PK\x03\x04" + b"\x00" * 100), ("image.png", b"\x89PNG....")])
    assert wrong.status_code == 415 and wrong.is_json
    assert ".docx" in wrong.get_json()["message"] and "not an accepted type" in wrong.get_json()["message"]
    no_csrf = client.post("/api/documents", data={"files": [(io.BytesIO(TEXT), "a.txt")]})
    assert no_csrf.status_code == 403
    assert nothing_written(upload_app)


def test_settings_are_validated():
    from webui.config import SettingsError, check, defaults

    for name, value in (
        ("UPLOAD_TYPES", "pdf,exe"),
        ("UPLOAD_TYPES", ""),
        ("UPLOAD_MAX_FILE_SIZE", "huge"),
        ("UPLOAD_MAX_TOTAL_SIZE", "20G"),
        ("UPLOAD_ZIP_MAX_ENTRIES", 0),
        ("UPLOAD_MAX_FILES", "-1"),
    ):
        with pytest.raises(SettingsError, match=name):
            check({**defaults(), name: value})
    checked = check({**defaults(), "UPLOAD_TYPES": ".PDF, txt", "UPLOAD_MAX_FILE_SIZE": "3M"})
    assert checked["UPLOAD_TYPES"] == ("pdf", "txt") and checked["UPLOAD_MAX_FILE_SIZE"] == 3 * 1024 * 1024


def test_safe_names_and_sniffing():
    from webui.intake import UploadRefused, safe_name, sniff

    assert safe_name("reports/2021/Annual report?.pdf") == "reports/2021/Annual report_.pdf"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("a\\b.txt") == "a/b.txt"
    assert safe_name("./x//y.md") == "x/y.md"
    assert safe_name("-rf.txt") == "rf.txt"
    for bad in ("../x.txt", "/x.txt", "a/../../x.txt", "", "D:\\x.txt"):
        with pytest.raises(UploadRefused):
            safe_name(bad)
    assert sniff("pdf", b"%PDF-1.7\n...") is None
    assert "not a PDF" in sniff("pdf", b"<html>")
    assert sniff("txt", "Grüße\n".encode("utf-16")) is None  # UTF-16 with its BOM is text
    assert "PNG" in sniff("txt", b"\x89PNG\r\n")
    assert "NUL" in sniff("md", b"abc\x00def")
    assert "no HTML markup" in sniff("html", b"plain words")
    assert sniff("html", b"<!doctype html><p>x</p>") is None


# --- the background job: per-file results, dedup, bad files fail alone ----------------------------


def test_upload_job_results_dedup_and_updates(client, upload_app):
    real_pdf = Path(__file__).resolve().parents[1] / "data" / "small.pdf"
    corrupt_pdf = Path(__file__).resolve().parents[1] / "data" / "corrupt.pdf"
    files = [
        ("warsaw.txt", TEXT),
        ("notes.md", b"# Notes\n\nThe European Commission and UNHCR met in Athens."),
        ("broken.pdf", corrupt_pdf.read_bytes()),
        ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00"),
        ("small.pdf", real_pdf.read_bytes()),
    ]
    sent = post(client, files)
    assert sent.status_code == 202, sent.get_data(as_text=True)
    queued = sent.get_json()
    assert queued["status"] == "queued" and results(queued)["picture.txt"][0] == "failed"  # sniffed at once
    job = wait(client, queued["id"])
    assert job["status"] == "done", job
    got = results(job)
    assert got["warsaw.txt"][0] == "added" and got["notes.md"][0] == "added"
    assert got["broken.pdf"][0] == "failed" and "PDF" in got["broken.pdf"][1]
    assert got["picture.txt"] == ("failed", "its content is a PNG image, not text")
    assert got["small.pdf"][0] == "added"
    # searchable, kept under the corpus folder; the failed file is not kept
    assert client.get("/api/search?q=warsaw").get_json()["total"] >= 1
    corpus = Path(upload_app.config["DATA_DIR"]) / "corpus"
    assert (corpus / "warsaw.txt").read_bytes() == TEXT and not (corpus / "broken.pdf").exists()
    assert not any((Path(upload_app.config["DATA_DIR"]) / "uploads" / "incoming").iterdir())

    again = wait(
        client,
        post(
            client,
            [
                ("warsaw.txt", TEXT),  # same name, same content
                ("copy.txt", TEXT),  # same content, another name: the same document
                ("notes.md", b"# Notes\n\nThe European Commission and UNHCR met in Lisbon."),  # changed
            ],
        ).get_json()["id"],
    )
    got = results(again)
    assert got["warsaw.txt"][0] == "unchanged" and got["copy.txt"][0] == "unchanged"
    assert "same content as the document" in got["copy.txt"][1]
    assert got["notes.md"][0] == "updated"
    assert client.get("/api/search?q=lisbon").get_json()["total"] == 1
    assert client.get("/api/search?q=athens").get_json()["total"] == 0
    assert not (corpus / "copy.txt").exists()
    listed = client.get("/api/jobs").get_json()["jobs"]
    assert [j["id"] for j in listed[:2]] == [again["id"], job["id"]]
    # the job page shows the same results without a script
    page = client.get(f"/upload/jobs/{job['id']}").get_data(as_text=True)
    assert "broken.pdf" in page and "failed" in page and "added" in page


def test_a_zip_and_a_folder_upload_keep_their_folders(client, upload_app):
    bundle = make_zip(
        [("inside/a.txt", TEXT.replace(b"Warsaw", b"Riga")), ("inside/", b""), ("b.md", b"# B\n\nTallinn.")]
    )
    sent = post(client, [("bundle.zip", bundle), ("c.txt", b"Vilnius is a city.")], paths=["", "trip/c.txt"])
    job = wait(client, sent.get_json()["id"])
    names = {f["name"]: f["status"] for f in job["files"]}
    assert names == {"bundle/inside/a.txt": "added", "bundle/b.md": "added", "trip/c.txt": "added"}
    corpus = Path(upload_app.config["DATA_DIR"]) / "corpus"
    assert (corpus / "bundle" / "inside" / "a.txt").exists() and (corpus / "trip" / "c.txt").exists()
    assert client.get("/api/search?q=tallinn").get_json()["total"] == 1


def test_the_plain_form_works_without_script(client, upload_app):
    page = client.get("/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="files" multiple' in page
    sent = client.post(
        "/upload",
        data={"csrf_token": "t0ken", "files": [(io.BytesIO(TEXT), "form.txt")]},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 303 and "/upload/jobs/" in sent.headers["Location"]
    job_id = sent.headers["Location"].rsplit("/", 1)[-1]
    assert results(wait(client, job_id))["form.txt"][0] == "added"
    refused = client.post(
        "/upload",
        data={"csrf_token": "t0ken", "files": [(io.BytesIO(b"x"), "../x.txt")]},
        content_type="multipart/form-data",
    )
    # the browser sends only the base name; a crafted one is refused on the page, with the reason
    assert refused.status_code in (303, 400)


# --- removal keeps annotations; adding the file again brings them back ----------------------------


def annotate(client, doc_id: str, quote: str) -> str:
    body = {
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "commenting", "value": "keep me"}],
        "target": {
            "source": f"http://127.0.0.1:5000/doc/{doc_id}",
            "selector": [{"type": "TextQuoteSelector", "exact": quote}],
        },
    }
    created = client.post("/api/annotations", json=body, headers=HEADERS)
    assert created.status_code == 201, created.get_data(as_text=True)
    return json.loads(created.data)["id"].rsplit("/", 1)[-1]


@pytest.mark.parametrize("back_as", ["warsaw.txt", "renamed.txt"])
def test_removal_keeps_annotations_and_readding_reattaches_them(client, upload_app, back_as):
    job = wait(client, post(client, [("warsaw.txt", TEXT)]).get_json()["id"])
    doc_id = job["files"][0]["doc_id"]
    note = annotate(client, doc_id, "met UNHCR in Warsaw")
    confirm = client.get(f"/documents/{doc_id}/remove").get_data(as_text=True)
    assert "annotations are kept" in confirm.lower() and "1 that you can see" in confirm

    etag = client.get(f"/api/documents/{doc_id}").headers["ETag"]
    assert etag == f'"{job["files"][0]["hash"]}"'
    blind = client.delete(f"/api/documents/{doc_id}", headers=HEADERS)
    assert blind.status_code == 428 and "If-Match" in blind.get_json()["message"]
    stale = client.delete(f"/api/documents/{doc_id}", headers={**HEADERS, "If-Match": '"0123abcd"'})
    assert stale.status_code == 412 and "changed since" in stale.get_json()["message"]
    no_version = client.post(f"/documents/{doc_id}/remove", data={"csrf_token": "t0ken"})
    assert no_version.status_code == 428
    removal = client.delete(f"/api/documents/{doc_id}", headers={**HEADERS, "If-Match": etag})
    assert removal.status_code == 202
    done = wait(client, removal.get_json()["id"])
    assert done["files"][0]["status"] == "removed" and done["files"][0]["annotations_kept"] == 1
    assert client.get(f"/api/documents/{doc_id}").status_code == 404
    assert client.get(f"/doc/{doc_id}").status_code == 404  # the reader's cache knows it went
    assert client.get("/api/search?q=warsaw").get_json()["total"] == 0
    assert not (Path(upload_app.config["DATA_DIR"]) / "corpus" / "warsaw.txt").exists()
    # kept, listed as belonging to a removed document, exported
    assert client.get(f"/api/annotations/{note}").status_code == 200
    listing = client.get("/annotations").get_data(as_text=True)
    assert "document removed" in listing and "met UNHCR in Warsaw" in listing
    exported = client.get("/api/annotations/export?format=csv").get_data(as_text=True)
    assert "met UNHCR in Warsaw" in exported
    assert client.delete(f"/api/documents/{doc_id}", headers={**HEADERS, "If-Match": "*"}).status_code == 404

    back = wait(client, post(client, [(back_as, TEXT)]).get_json()["id"])
    new_id = back["files"][0]["doc_id"]
    assert back["files"][0]["status"] == "added"
    again = client.get(f"/api/annotations/{note}").get_json(force=True)
    assert again["target"]["source"].endswith(f"/doc/{new_id}")
    assert again["glossa:status"] == "anchored"
    assert "document removed" not in client.get("/annotations").get_data(as_text=True)


def test_a_document_ingested_from_elsewhere_keeps_its_file(client, upload_app):
    from indexer.store import DocumentStore, source_key

    data = Path(upload_app.config["DATA_DIR"])
    doc_id, entry = next(iter(DocumentStore(data).manifest().items()))
    source = Path(source_key(entry))
    # the confirmation page's form, as a browser sends it
    version = re.search(
        r'name="version" value="([^"]+)"', client.get(f"/documents/{doc_id}/remove").get_data(as_text=True)
    )
    sent = client.post(f"/documents/{doc_id}/remove", data={"csrf_token": "t0ken", "version": version.group(1)})
    assert sent.status_code == 303
    done = wait(client, sent.headers["Location"].rsplit("/", 1)[-1])
    assert done["files"][0]["status"] == "removed"
    assert source.exists()  # not under DATA/corpus: not ours to delete
    assert doc_id not in DocumentStore(data).manifest()


def test_too_many_parts_is_a_clear_413(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    client = client_of(make_app(data, tmp_path / "g.db", UPLOAD_MAX_FILES=3))
    many = post(client, [(f"f{i}.txt", TEXT) for i in range(30)], paths=[f"x/f{i}.txt" for i in range(30)])
    assert many.status_code == 413 and "UPLOAD_MAX_FILES" in many.get_json()["message"]
    # a folder upload of the allowed number, each file with its relative name, gets through the parser
    ok = post(client, [(f"f{i}.txt", b"\x89PNG") for i in range(3)], paths=[f"x/f{i}.txt" for i in range(3)])
    assert ok.status_code == 415


def test_one_job_at_a_time_and_a_waiting_job_is_picked_up(client, upload_app):
    """While a runner holds the queue, a new job waits; looking at it starts a runner once it is free."""
    from webui import jobs

    data = Path(upload_app.config["DATA_DIR"])
    with jobs._runner_lock(data) as got:
        assert got
        job_id = post(client, [("queued.txt", TEXT)]).get_json()["id"]
        time.sleep(3)  # the runner the upload started found the lock taken and left
        assert client.get(f"/api/jobs/{job_id}").get_json()["status"] == "queued"
    assert results(wait(client, job_id))["queued.txt"][0] == "added"


def test_a_job_cut_off_while_running_is_run_again(upload_app):
    """A runner that finds a job 'running' (its runner died) runs it again, in this process here."""
    from webui import jobs
    from webui.intake import Limits, check_upload, stage_upload

    data = Path(upload_app.config["DATA_DIR"])
    checked = check_upload([("again.txt", io.BytesIO(TEXT))], Limits.from_config(upload_app.config))
    job = stage_upload(data, checked, "local")
    job["status"] = "running"
    job["started"] = "2026-01-01T00:00:00+00:00"
    jobs.JobStore(data).write(job)
    assert jobs.run_queue(upload_app) == 1
    done = jobs.JobStore(data).get(job["id"])
    assert done["status"] == "done" and done["files"][0]["status"] == "added"
    assert not (data / "uploads" / "incoming" / job["id"]).exists()
