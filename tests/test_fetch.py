"""Tests of cs231n.datasets.fetch (``python -m cs231n.datasets``) without the network.

The archive is a tiny fake one in the official layout (conftest.py); downloads come from a
local file, a ``file://`` URL, or an HTTP server on 127.0.0.1 that the tests start. Its md5
is passed in where the official one would be expected.
"""

import gc
import http.server
import io
import os
import pickle
import re
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cs231n.datasets import (
    BATCH_NAMES,
    FETCH_COMMAND,
    FETCH_COMMAND_PLAIN,
    FETCH_FROM_COPY_COMMAND,
    FOLDER_NAME,
    fetch,
)
from cs231n.datasets.fetch import FetchError, fetch_CIFAR10, main

REPO = Path(__file__).resolve().parents[1]
# The longest a test waits for a process or a server before calling it hung: a guard, far above
# what any step takes even on a busy machine, never a judgment of speed.
HANG_GUARD_SECONDS = 300


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


DRIP_SECONDS = 0.1


class ArchiveHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.body`` at /archive.tar.gz, and broken variants of it."""

    def do_GET(self):
        body = self.server.body
        self.server.requests.append(self.path)
        if self.path not in ("/archive.tar.gz", "/truncated.tar.gz", "/stall.tar.gz", "/drip"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/archive.tar.gz":
            self.wfile.write(body)
            return
        if self.path == "/drip":  # 1 KB every DRIP_SECONDS: never silent, never done
            for start in range(0, len(body), 1024):
                self.wfile.write(body[start : start + 1024])
                self.wfile.flush()
                if self.server.release.wait(DRIP_SECONDS):
                    break
            return
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if self.path == "/stall.tar.gz":  # go silent until the test is over
            self.server.release.wait(timeout=HANG_GUARD_SECONDS)
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


def test_a_repacked_archive_with_other_checksums_is_used_with_a_notice(
    fake_archive, tmp_path, capsys
):
    dest = tmp_path / "dest"
    folder = fetch_quietly(dest, fake_archive.path, "0" * 32, fetch.CIFAR10_BATCH_MD5S)
    assert_same_files(folder, fake_archive.data)
    assert leftovers(dest) == [FOLDER_NAME]
    notices = [line for line in capsys.readouterr().out.splitlines() if "Notice" in line]
    assert len(notices) == 1
    assert f"{fake_archive.path} is not the official CIFAR-10 archive" in notices[0]
    assert "6 of 6 differ" in notices[0]


def repack(folder, path):
    """A ``cifar-10-python.tar.gz``-shaped archive of ``folder`` at ``path``."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(folder, arcname=FOLDER_NAME)
    return path


def truncate_batch(folder, name="data_batch_2"):
    path = Path(folder) / name
    path.write_bytes(path.read_bytes()[:1000])


def shrink_batch(folder, name="test_batch"):
    """Rewrite a batch with fewer images than the others: loadable, but not complete."""
    rows = np.zeros((5, 3072), np.uint8)
    with open(Path(folder) / name, "wb") as f:
        pickle.dump({"data": rows, "labels": [0] * 5}, f, protocol=2)


class CreatesFile:
    """Unpickling this would call ``open(path, "w")``: code from the file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def rig_batch(folder, marker, name="data_batch_3"):
    with open(Path(folder) / name, "wb") as f:
        pickle.dump({"data": np.zeros((20, 3072), np.uint8), "labels": CreatesFile(marker)}, f)


@pytest.mark.parametrize(
    "damage, match",
    [
        (truncate_batch, "does not hold a complete, loadable CIFAR-10 .*data_batch_2"),
        (shrink_batch, "does not hold a complete.* should hold 20 images .* test_batch has 5"),
        (lambda folder: (Path(folder) / "batches.meta").unlink(), "lacks batches.meta"),
    ],
    ids=["truncated", "incomplete", "no-meta"],
)
def test_a_repacked_archive_that_is_damaged_is_refused(fake_archive, tmp_path, damage, match):
    damage(fake_archive.data.folder)
    path = repack(fake_archive.data.folder, tmp_path / "repacked.tar.gz")
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match=match):
        fetch_quietly(dest, path, fetch.CIFAR10_ARCHIVE_MD5, fetch.CIFAR10_BATCH_MD5S)
    assert leftovers(dest) == []


def test_a_repacked_archive_that_would_run_code_is_refused(fake_archive, tmp_path):
    marker = tmp_path / "marker"
    rig_batch(fake_archive.data.folder, marker)
    path = repack(fake_archive.data.folder, tmp_path / "rigged.tar.gz")
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="data_batch_3.*not among the numpy array globals"):
        fetch_quietly(dest, path, fetch.CIFAR10_ARCHIVE_MD5, None)
    assert not marker.exists()
    assert leftovers(dest) == []


# ---------------------------------------------------------------- --source as a folder


@pytest.mark.parametrize("which", ["the folder", "its parent"])
def test_a_source_folder_is_checked_and_copied_with_a_notice(
    fake_cifar10, tmp_path, capsys, which
):
    source = fake_cifar10.folder if which == "the folder" else fake_cifar10.folder.parent
    dest = tmp_path / "dest"
    folder = fetch_quietly(dest, source, fetch.CIFAR10_ARCHIVE_MD5, fetch.CIFAR10_BATCH_MD5S)
    assert Path(folder) == dest / FOLDER_NAME
    assert_same_files(folder, fake_cifar10)
    readme = (Path(folder) / "readme.html").read_text()
    assert readme == (fake_cifar10.folder / "readme.html").read_text()
    assert leftovers(dest) == [FOLDER_NAME]
    assert fetch.missing_files(fake_cifar10.folder) == []  # the source is left as it was
    notices = [line for line in capsys.readouterr().out.splitlines() if "Notice" in line]
    assert len(notices) == 1 and "not the official CIFAR-10 archive" in notices[0]


@pytest.mark.parametrize("damage", [truncate_batch, shrink_batch], ids=["truncated", "incomplete"])
def test_a_damaged_source_folder_is_refused(fake_cifar10, tmp_path, damage):
    damage(fake_cifar10.folder)
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match="does not hold a complete, loadable CIFAR-10"):
        fetch_quietly(dest, fake_cifar10.folder, None, None)
    assert leftovers(dest) == []


def test_a_source_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(FetchError, match="absent is not a file or folder"):
        fetch_quietly(tmp_path / "dest", tmp_path / "absent", None, None)


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


@pytest.mark.parametrize(
    "path, timeout",
    [("/truncated.tar.gz", 5.0), ("/stall.tar.gz", 0.3), ("/missing.tar.gz", 5.0)],
)
def test_a_failed_download_closes_its_connection(
    fake_archive, server, tmp_path, monkeypatch, path, timeout
):
    opened = []
    connect = socket.create_connection

    def recording_connect(*args, **kwargs):
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(socket, "create_connection", recording_connect)
    gc.disable()  # closed by the fetch itself, not by a garbage collection that happens to run
    try:
        fetch_quietly(tmp_path / "dest", server.base + path, fake_archive.md5, None,
                      timeout=timeout)  # fmt: skip
    except FetchError:  # checked while the caller holds the error, as a caller would
        left_open = [sock for sock in opened if sock.fileno() != -1]
    else:
        pytest.fail(f"the download of {path} did not fail")
    finally:
        gc.enable()
    assert len(opened) == 1
    assert left_open == [], f"the connection for {path} was left open"


def test_offline_gives_a_clear_message_and_the_source_way(closed_port_url, tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(FetchError) as info:
        fetch_quietly(dest, closed_port_url, "0" * 32, None, timeout=2.0)
    message = str(info.value)
    assert message.startswith(f"Could not download {closed_port_url}")
    assert FETCH_FROM_COPY_COMMAND in message and "make" not in message
    assert leftovers(dest) == []


def test_a_drip_feeding_server_meets_the_deadline(fake_archive, server, tmp_path):
    """1 KB every 0.1 s never trips the 1 s read timeout; the 1 s deadline ends it.

    The whole drip takes over 30 s however fast the machine is (a pause after every KB), so
    the download ending early, short of the archive's size, shows the deadline at work.
    """
    dest = tmp_path / "dest"
    size = fake_archive.path.stat().st_size
    assert size / 1024 * DRIP_SECONDS > 30
    start = time.monotonic()
    with pytest.raises(FetchError, match="did not finish within the deadline of 1 s") as info:
        fetch_quietly(
            dest, f"{server.base}/drip", fake_archive.md5, None, timeout=1.0, deadline=1.0
        )
    assert time.monotonic() - start >= 1.0
    received = re.search(r"\(([0-9,]+) of ([0-9,]+) bytes received\)", str(info.value))
    assert received is not None, str(info.value)
    assert 0 < int(received[1].replace(",", "")) < size == int(received[2].replace(",", ""))
    assert FETCH_FROM_COPY_COMMAND in str(info.value)
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
    with pytest.raises(FetchError, match="data_batch_5.*Remove that folder"):
        fetch_CIFAR10(fake_cifar10.folder.parent, source="http://127.0.0.1:9/never-contacted")
    assert (fake_cifar10.folder / "data_batch_1").exists()


def empty_batch(folder):
    (Path(folder) / "data_batch_4").write_bytes(b"")


@pytest.mark.parametrize(
    "damage, named",
    [
        (truncate_batch, "data_batch_2"),
        (empty_batch, "data_batch_4"),
        (shrink_batch, "test_batch"),
    ],
    ids=["truncated", "empty", "incomplete"],
)
def test_cli_refuses_a_damaged_present_folder_with_the_remedy(fake_cifar10, capsys, damage, named):
    damage(fake_cifar10.folder)
    before = {name: fetch.md5_of_file(fake_cifar10.folder / name) for name in BATCH_NAMES}
    never = "http://127.0.0.1:9/never-contacted"
    assert main(["--source", never, "--dest", str(fake_cifar10.folder.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: The CIFAR-10 folder {fake_cifar10.folder} is damaged")
    assert named in err and "Remove that folder" in err and FETCH_COMMAND in err
    assert "Traceback" not in err
    after = {name: fetch.md5_of_file(fake_cifar10.folder / name) for name in BATCH_NAMES}
    assert after == before  # refused, never overwritten


def test_a_present_folder_that_would_run_code_is_refused(fake_cifar10, tmp_path):
    marker = tmp_path / "marker"
    rig_batch(fake_cifar10.folder, marker)
    with pytest.raises(FetchError, match="data_batch_3"):
        fetch_CIFAR10(fake_cifar10.folder.parent, source="http://127.0.0.1:9/never-contacted")
    assert not marker.exists()


# ---------------------------------------------------------------- the command line


def test_cli_takes_a_repacked_archive_with_a_notice(fake_archive, tmp_path, capsys):
    dest = tmp_path / "dest"
    assert main(["--source", str(fake_archive.path), "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "is not the official CIFAR-10 archive" in out
    assert_same_files(dest / FOLDER_NAME, fake_archive.data)
    assert leftovers(dest) == [FOLDER_NAME]


FINITE = "must be a finite number of seconds > 0"


@pytest.mark.parametrize(
    "args, match",
    [
        (["--timeout", "-1"], f"argument --timeout: {FINITE}, got '-1'"),
        (["--timeout", "nan"], f"argument --timeout: {FINITE}, got 'nan'"),
        (["--timeout", "0"], f"argument --timeout: {FINITE}, got '0'"),
        (["--timeout", "inf"], f"argument --timeout: {FINITE}, got 'inf'"),
        (["--timeout", "soon"], "argument --timeout: must be a number of seconds > 0, got 'soon'"),
        (["--deadline", "-5"], f"argument --deadline: {FINITE}, got '-5'"),
        (["--colour"], "unrecognized arguments: --colour"),
        (["--timeout"], "expected one argument"),
    ],
)
def test_cli_argument_errors_are_one_line(tmp_path, capsys, args, match):
    with pytest.raises(SystemExit) as info:
        main([*args, "--dest", str(tmp_path / "dest")] if args[-1] != "--timeout" else args)
    assert info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], lines
    assert "(see python -m cs231n.datasets --help)" in lines[0]
    assert captured.out == ""
    assert not (tmp_path / "dest").exists()


def test_cli_argument_error_from_a_shell_has_no_traceback(tmp_path):
    result = run_command([sys.executable, "-m", "cs231n.datasets", "--timeout", "nan"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: argument --timeout: must be a finite number")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("kwargs", [{"timeout": -1}, {"timeout": float("nan")}, {"deadline": 0}])
def test_fetch_CIFAR10_rejects_bad_seconds(fake_archive, tmp_path, kwargs):
    with pytest.raises(ValueError, match="finite number of seconds > 0"):
        fetch_quietly(tmp_path / "dest", fake_archive.path, None, None, **kwargs)


def test_cli_offline_exits_non_zero_with_the_source_way(closed_port_url, tmp_path, capsys):
    dest = tmp_path / "dest"
    argv = ["--source", closed_port_url, "--dest", str(dest), "--timeout", "2"]
    assert main(argv) == 1
    assert "--source" in capsys.readouterr().err
    assert leftovers(dest) == []


def run_command(command, dest):
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=str(REPO))
    return subprocess.run(
        [*command, "--dest", str(dest)], capture_output=True, text=True, env=env,
        timeout=HANG_GUARD_SECONDS,
    )


# A fetch that stops, once its archive is extracted into dest/.tmp-*, and waits: it writes the
# scratch folder's path to argv[1], then goes on only once the file argv[2] exists. The tests
# decide when it goes on, so nothing depends on how fast the machine runs the processes.
PAUSING_FETCH = """
import sys, time
from pathlib import Path
from cs231n.datasets import fetch

unpack = fetch.unpack

def pausing_unpack(archive, scratch):
    unpack(archive, scratch)
    Path(sys.argv[1]).write_text(scratch)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.01)

fetch.unpack = pausing_unpack
sys.exit(fetch.main(sys.argv[3:]))
"""


def start_pausing_fetch(tmp_path, source, dest, go, name="paused"):
    """Start the pausing fetch in a subprocess, going on once the file go exists; return it and
    the path it reports on. Its output is unbuffered, so each line can be read as printed."""
    script = tmp_path / "pausing_fetch.py"
    script.write_text(PAUSING_FETCH)
    report = tmp_path / name
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    command = [sys.executable, str(script), str(report), str(go)]
    process = subprocess.Popen(
        [*command, "--source", str(source), "--dest", str(dest)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, report


def wait_for(path, process, seconds=HANG_GUARD_SECONDS):
    """The scratch folder the pausing fetch reports once it pauses (seconds: a guard against a
    hang, not a judgment of speed)."""
    end = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, "the fetch never reached the pause"
        time.sleep(0.02)
    return Path(path.read_text())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_fetch_killed_during_extraction_leaves_nothing_after_a_rerun(
    fake_archive, tmp_path, capsys, sig
):
    dest = tmp_path / "dest"
    process, report = start_pausing_fetch(tmp_path, fake_archive.path, dest, tmp_path / "never")
    scratch = wait_for(report, process)
    assert scratch.parent == dest and scratch.name.startswith(".tmp-")
    assert (scratch / FOLDER_NAME / "test_batch").exists()  # extracted, not yet in place
    process.send_signal(sig)
    process.communicate(timeout=HANG_GUARD_SECONDS)
    assert process.returncode == (128 + sig if sig == signal.SIGTERM else -sig)
    if sig == signal.SIGTERM:  # SIGTERM: the fetch cleans up after itself
        assert leftovers(dest) == []
    else:  # SIGKILL: nothing can run, the scratch folder (and the lock file) stay behind
        assert scratch.name in leftovers(dest)
    (dest / "cifar-10-python.tar.gz.part").write_bytes(b"half a download")

    folder = fetch_quietly(dest, fake_archive.path, fake_archive.md5, fake_archive.data.batch_md5s)

    assert_same_files(folder, fake_archive.data)
    assert leftovers(dest) == [FOLDER_NAME]
    out = capsys.readouterr().out
    assert "Removed what an interrupted fetch left" in out and "tar.gz.part" in out


def test_two_concurrent_fetches_into_one_destination_both_end_well(fake_archive, tmp_path):
    dest = tmp_path / "dest"
    go_first, go_second = tmp_path / "go-first", tmp_path / "go-second"
    go_second.touch()
    first, report = start_pausing_fetch(tmp_path, fake_archive.path, dest, go_first)
    wait_for(report, first)  # the first holds the lock, mid-extraction
    second, _ = start_pausing_fetch(tmp_path, fake_archive.path, dest, go_second, name="second")
    guard = threading.Timer(HANG_GUARD_SECONDS, go_first.touch)  # a stuck second ends, later
    guard.start()
    try:
        said = second.stdout.readline()  # the second's first line, printed while it waits
    finally:
        go_first.touch()
        guard.cancel()
    out_first, err_first = first.communicate(timeout=HANG_GUARD_SECONDS)
    out_second, err_second = second.communicate(timeout=HANG_GUARD_SECONDS)
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    assert "CIFAR-10 is ready at" in out_first
    assert said.startswith(f"Another fetch into {dest} is running; waiting")
    assert "CIFAR-10 is already at" in out_second
    assert_same_files(dest / FOLDER_NAME, fake_archive.data)
    assert leftovers(dest) == [FOLDER_NAME]


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


# ---------------------------------------------------------------- suggested commands


def test_the_plain_fetch_command_works_without_an_activated_venv(tmp_path):
    """What messages suggest besides ``make data``, run from a shell with a bare PATH."""
    python, *rest = FETCH_COMMAND_PLAIN.split()
    if not (REPO / python).exists():
        pytest.skip(f"no {python} in {REPO} (make setup creates it)")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [python, *rest, "--help"], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=HANG_GUARD_SECONDS,
    )
    assert result.returncode == 0, result.stderr
    assert "--source PATH_OR_URL" in result.stdout


def test_make_data_passes_the_source_on(tmp_path):
    makefile = (REPO / "Makefile").read_text()
    if "\ndata:" not in makefile:
        pytest.skip("the Makefile has no data target yet")
    command = ["make", "-n", "-C", str(REPO), "data", f"SOURCE={tmp_path}/cifar"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS)
    assert result.returncode == 0, result.stderr
    assert f'-m cs231n.datasets --source "{tmp_path}/cifar"' in result.stdout
