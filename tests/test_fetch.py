"""Tests of cs231n.datasets.fetch (``python -m cs231n.datasets``) without the network.

The archive is a tiny fake one in the official layout (conftest.py); downloads come from a
local file, a ``file://`` URL, or an HTTP server on 127.0.0.1 that the tests start. Its md5
is passed in where the official one would be expected.
"""

import http.server
import io
import os
import socket
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from cs231n.datasets import fetch
from cs231n.datasets.fetch import FetchError, fetch_CIFAR10, main

REPO = Path(__file__).resolve().parents[1]


def leftovers(dest):
    """Everything a fetch left in ``dest`` (an empty list if ``dest`` does not exist)."""
    return sorted(path.name for path in Path(dest).iterdir()) if Path(dest).exists() else []


def fetch_quietly(dest, source, archive_md5, batch_md5s, **kwargs):
    return fetch_CIFAR10(dest, source, archive_md5, batch_md5s, progress=False, **kwargs)


def assert_same_files(folder, fake):
    assert fetch.missing_files(folder) == []
    for name, md5 in fake.batch_md5s.items():
        assert fetch.md5_of_file(Path(folder) / name) == md5


# ---------------------------------------------------------------- a loopback HTTP server


class ArchiveHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.body`` at /archive.tar.gz, and broken variants of it."""

    def do_GET(self):
        body = self.server.body
        self.server.requests.append(self.path)
        if self.path not in ("/archive.tar.gz", "/truncated.tar.gz", "/stall.tar.gz"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/archive.tar.gz":
            self.wfile.write(body)
            return
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if self.path == "/stall.tar.gz":  # go silent until the test is over
            self.server.release.wait(timeout=10)
        self.close_connection = True

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server(fake_archive):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ArchiveHandler)
    httpd.daemon_threads = True
    httpd.body = fake_archive.path.read_bytes()
    httpd.requests = []
    httpd.release = threading.Event()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port_url():
    """A loopback URL on a port nobody listens on: what an offline machine sees."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"


# ---------------------------------------------------------------- fetching that works


def test_fetch_from_a_local_archive(fake_archive, tmp_path):
    dest = tmp_path / "dest"
    folder = fetch_quietly(dest, fake_archive.path, fake_archive.md5, fake_archive.data.batch_md5s)
    assert Path(folder) == dest / "cifar-10-batches-py"
    assert_same_files(folder, fake_archive.data)
    assert leftovers(dest) == ["cifar-10-batches-py"]
    assert fake_archive.path.exists()  # a --source copy is never removed


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_fetch_by_url_downloads_verifies_and_cleans_up(fake_archive, server, tmp_path, scheme):
    url = f"{server.base}/archive.tar.gz" if scheme == "http" else fake_archive.path.as_uri()
    dest = tmp_path / "dest"
    folder = fetch_quietly(dest, url, fake_archive.md5, fake_archive.data.batch_md5s)
    assert_same_files(folder, fake_archive.data)
    assert leftovers(dest) == ["cifar-10-batches-py"]  # no archive, .part or .tmp-* left


def test_fetch_is_idempotent(fake_archive, server, tmp_path, capsys):
    dest = tmp_path / "dest"
    url = f"{server.base}/archive.tar.gz"
    md5s = fake_archive.data.batch_md5s
    first = fetch_quietly(dest, url, fake_archive.md5, md5s)
    second = fetch_quietly(dest, url, fake_archive.md5, md5s)
    assert first == second and server.requests == ["/archive.tar.gz"]
    assert "already" in capsys.readouterr().out.splitlines()[-1]
    assert leftovers(dest) == ["cifar-10-batches-py"]


# The complete archive's bytes left in dest under two names: a .part file from a killed run is
# never trusted (the archive is downloaded again); a finished download is verified and reused.
@pytest.mark.parametrize(
    "left_name, expected_requests",
    [
        pytest.param("cifar-10-python.tar.gz.part", ["/archive.tar.gz"], id="part not trusted"),
        pytest.param("cifar-10-python.tar.gz", [], id="verified archive reused"),
    ],
)
def test_an_archive_left_in_dest_is_reused_only_under_its_final_name(
    fake_archive, server, tmp_path, left_name, expected_requests
):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / left_name).write_bytes(fake_archive.path.read_bytes())
    url = f"{server.base}/archive.tar.gz"
    fetch_quietly(dest, url, fake_archive.md5, fake_archive.data.batch_md5s)
    assert server.requests == expected_requests
    assert leftovers(dest) == ["cifar-10-batches-py"]


def test_a_present_copy_with_other_checksums_is_used_with_a_notice(fake_cifar10, capsys):
    dest = fake_cifar10.folder.parent
    folder = fetch_CIFAR10(dest, source="http://127.0.0.1:9/never-contacted")  # official md5s
    assert Path(folder) == fake_cifar10.folder
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and "differ from the official archive" in out[0]


# ---------------------------------------------------------------- fetching that fails


def test_a_local_archive_with_a_wrong_md5_is_rejected(fake_archive, tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="md5"):
        fetch_quietly(dest, fake_archive.path, "0" * 32, None)
    assert leftovers(dest) == []


def test_a_download_with_a_wrong_md5_is_rejected(server, tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="md5"):
        fetch_quietly(dest, f"{server.base}/archive.tar.gz", "0" * 32, None)
    assert leftovers(dest) == []


@pytest.mark.parametrize(
    "path, timeout, match",
    [
        ("/truncated.tar.gz", 5.0, "stopped after"),
        ("/stall.tar.gz", 0.3, "timed out"),
        ("/missing.tar.gz", 5.0, "404"),
    ],
)
def test_an_interrupted_download_leaves_nothing_that_looks_complete(
    fake_archive, server, tmp_path, path, timeout, match
):
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match=match) as info:
        fetch_quietly(dest, server.base + path, fake_archive.md5, None, timeout=timeout)
    assert "--source" in str(info.value)
    assert leftovers(dest) == []


def test_offline_gives_a_clear_message_and_the_source_way(closed_port_url, tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(FetchError) as info:
        fetch_quietly(dest, closed_port_url, "0" * 32, None, timeout=2.0)
    message = str(info.value)
    assert message.startswith(f"Could not download {closed_port_url}")
    assert "--source /path/to/cifar-10-python.tar.gz" in message
    assert leftovers(dest) == []


def tar_with(fake_archive, tmp_path, extra):
    """An archive of the fake folder plus the member ``extra`` (a TarInfo); returns path, md5."""
    path = tmp_path / "crafted.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(fake_archive.data.folder, arcname="cifar-10-batches-py")
        payload = b"evil\n" if extra.isfile() else None
        if payload is not None:
            extra.size = len(payload)
        tar.addfile(extra, io.BytesIO(payload) if payload else None)
    return path, fetch.md5_of_file(path)


def member(name, kind=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


@pytest.mark.parametrize(
    "extra",
    [
        member("../evil.txt"),
        member("cifar-10-batches-py/../../evil.txt"),
        member("/tmp/cs231n-test-evil.txt"),
        member("cifar-10-batches-py/link", tarfile.SYMTYPE, "/etc/passwd"),
        member("cifar-10-batches-py/hard", tarfile.LNKTYPE, "/etc/passwd"),
        member("cifar-10-batches-py/fifo", tarfile.FIFOTYPE),
    ],
    ids=["parent", "nested-parent", "absolute", "symlink", "hardlink", "fifo"],
)
def test_a_tar_member_outside_the_destination_is_refused(fake_archive, tmp_path, extra):
    path, md5 = tar_with(fake_archive, tmp_path, extra)
    dest = tmp_path / "deep" / "dest"
    with pytest.raises(FetchError, match="Refusing archive member"):
        fetch_quietly(dest, path, md5, None)
    assert leftovers(dest) == []
    assert leftovers(tmp_path / "deep") == ["dest"]
    assert not Path("/tmp/cs231n-test-evil.txt").exists()


def test_an_archive_lacking_a_batch_is_refused(fake_archive, tmp_path):
    (fake_archive.data.folder / "test_batch").unlink()
    path = tmp_path / "partial.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(fake_archive.data.folder, arcname="cifar-10-batches-py")
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="test_batch"):
        fetch_quietly(dest, path, fetch.md5_of_file(path), None)
    assert leftovers(dest) == []


def test_extracted_batches_with_wrong_md5s_are_refused(fake_archive, tmp_path):
    md5s = dict(fake_archive.data.batch_md5s, data_batch_2="0" * 32)
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="data_batch_2"):
        fetch_quietly(dest, fake_archive.path, fake_archive.md5, md5s)
    assert leftovers(dest) == []


def test_a_damaged_archive_is_refused(tmp_path):
    path = tmp_path / "damaged.tar.gz"
    path.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="Could not extract"):
        fetch_quietly(dest, path, fetch.md5_of_file(path), None)
    assert leftovers(dest) == []


def test_an_incomplete_present_folder_is_reported_not_overwritten(fake_cifar10):
    (fake_cifar10.folder / "data_batch_5").unlink()
    with pytest.raises(FetchError, match="data_batch_5.*Remove it"):
        fetch_CIFAR10(fake_cifar10.folder.parent, source="http://127.0.0.1:9/never-contacted")
    assert (fake_cifar10.folder / "data_batch_1").exists()


# ---------------------------------------------------------------- the command line


def test_cli_rejects_a_source_that_is_not_the_official_archive(fake_archive, tmp_path, capsys):
    dest = tmp_path / "dest"
    assert main(["--source", str(fake_archive.path), "--dest", str(dest)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fetch.CIFAR10_ARCHIVE_MD5 in err
    assert leftovers(dest) == []


def test_cli_offline_exits_non_zero_with_the_source_way(closed_port_url, tmp_path, capsys):
    dest = tmp_path / "dest"
    argv = ["--source", closed_port_url, "--dest", str(dest), "--timeout", "2"]
    assert main(argv) == 1
    assert "--source" in capsys.readouterr().err
    assert leftovers(dest) == []


def run_command(command, dest):
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(REPO))
    return subprocess.run(
        [*command, "--dest", str(dest)], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "cs231n.datasets"],
        ["bash", str(REPO / "cs231n" / "datasets" / "get_datasets.sh")],
    ],
    ids=["python-m", "get_datasets.sh"],
)
def test_commands_use_a_present_folder_and_exit_zero(fake_cifar10, command):
    result = run_command(command, fake_cifar10.folder.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CIFAR-10 is already at")
    assert len(result.stdout.splitlines()) == 1


def test_get_datasets_sh_passes_failure_on(tmp_path):
    script = ["bash", str(REPO / "cs231n" / "datasets" / "get_datasets.sh")]
    result = run_command([*script, "--source", str(tmp_path / "absent.tar.gz")], tmp_path / "d")
    assert result.returncode == 1
    assert "absent.tar.gz is not a file" in result.stderr
