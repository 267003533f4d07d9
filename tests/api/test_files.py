"""`/files`: upload (sniffed types, 415, 413), list, download, delete (bytes kept), and another
user's file is 404 everywhere. A real server with a 1 MiB upload limit, so 413 is cheap to show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.config import Settings
from tests.conftest import _settings, auth, register, serve
from tests.media_samples import docx_file, pdf_file, text_image


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(tmp_path_factory.mktemp("files"), upload_max_mib=1, demo_data=False)


@pytest.fixture(scope="module")
def base(settings: Settings) -> Iterator[str]:
    with serve(settings) as url:
        yield url


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def upload(c: httpx.Client, headers: dict[str, str], name: str, data: bytes, declared: str) -> httpx.Response:
    return c.post("/files/upload", files={"file": (name, data, declared)}, headers=headers)


def test_upload_list_download_delete(client: httpx.Client, settings: Settings) -> None:
    headers = auth(register(client, "Filer"))
    png = text_image(["hello"], size=(120, 60))
    r = upload(client, headers, "../../etc/passwd.png", png, "application/octet-stream")
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["file_type"] == "png" and up["content_type"] == "image/png"  # sniffed, not declared
    assert up["filename"] == "passwd.png" and up["size_bytes"] == len(png)
    assert up["download_url"] == f"/files/{up['artifact_id']}"
    pdf = upload(client, headers, "report.pdf", pdf_file(["Quarterly report"]), "application/pdf").json()
    docx = upload(client, headers, "notes.docx", docx_file(["hi"]), "application/msword").json()
    csv = upload(client, headers, "leads.csv", b"name,value\nAcme,10\n", "text/plain").json()
    assert (pdf["file_type"], docx["file_type"], csv["content_type"]) == ("pdf", "docx", "text/csv")

    listed = client.get("/files/", params={"limit": 2}, headers=headers).json()
    assert listed["count"] == 2 and listed["total"] == 4 and listed["has_more"] is True
    assert {a["id"] for a in listed["artifacts"]} <= {
        up["artifact_id"],
        pdf["artifact_id"],
        docx["artifact_id"],
        csv["artifact_id"],
    }

    got = client.get(up["download_url"], headers=headers)
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in got.headers["content-disposition"]

    stored = list((settings.data_dir / "files").rglob("*.png"))
    assert len(stored) == 1 and stored[0].name != "passwd.png"  # a generated name, under the data dir
    assert stored[0].resolve().is_relative_to(settings.data_dir.resolve())

    r = client.delete(up["download_url"], headers=headers)
    assert r.json() == {"deleted": True, "artifact_id": up["artifact_id"]}
    assert client.get(up["download_url"], headers=headers).status_code == 404
    assert client.delete(up["download_url"], headers=headers).status_code == 404
    assert stored[0].read_bytes() == png  # the bytes are kept for audit
    assert client.get("/files/", headers=headers).json()["total"] == 3


def test_types_the_content_does_not_match_are_415(client: httpx.Client) -> None:
    headers = auth(register(client, "Sniffer"))
    cases = [
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"),  # declared PDF, is a PE
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 60, "application/zip"),
        ("image.png", b"\x00\x01\x02\x03 binary junk", "image/png"),  # declared PNG, is not
        ("empty.txt", b"", "text/plain"),
    ]
    for name, data, declared in cases:
        r = upload(client, headers, name, data, declared)
        assert r.status_code == 415, (name, r.text)
        assert r.json()["code"] == "unsupported_media_type"


def test_a_file_over_the_limit_is_413(client: httpx.Client) -> None:
    headers = auth(register(client, "Big"))
    r = upload(client, headers, "big.txt", b"a" * (1024 * 1024 + 1), "text/plain")
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert upload(client, headers, "ok.txt", b"a" * (1024 * 1024), "text/plain").status_code == 200


def test_another_users_file_is_404_everywhere(client: httpx.Client) -> None:
    owner, other = auth(register(client, "Owner")), auth(register(client, "Stranger"))
    up = upload(client, owner, "mine.txt", b"private notes", "text/plain").json()
    url = up["download_url"]
    assert client.get(url, headers=other).status_code == 404
    assert client.delete(url, headers=other).status_code == 404
    assert client.get("/files/", headers=other).json()["artifacts"] == []
    assert client.get(url, headers=owner).content == b"private notes"  # untouched
    assert client.get(url).status_code == 401


def test_the_upload_route_is_documented(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    responses = doc["paths"]["/files/upload"]["post"]["responses"]
    assert {"200", "413", "415"} <= set(responses)


def test_stored_paths_never_come_from_the_client(tmp_path: Path) -> None:
    from frontdesk.storage.files import display_name

    assert display_name("..\\..\\win.ini", "txt") == "win.ini"
    assert display_name("a\x00b/c\nd.txt", "txt") == "c_d.txt"
    assert display_name("", "pdf") == "upload.pdf" and display_name("..", "pdf") == "upload.pdf"
