"""Archives are extracted without path traversal (zoo.io.safe_extract and the .deb path of recipes.fetch).

Every crafted archive below holds one harmless member and one hostile one; extraction must
refuse the archive with an ``UnsafeArchiveError`` naming the hostile member, and nothing may
appear outside (or, for the up-front checks, inside) the target directory.
"""

import gzip
import io
import os
import tarfile
import zipfile

import pytest

from recipes import fetch
from zoo.errors import DataError, DatasetUnavailableError
from zoo.io import UnsafeArchiveError, safe_extract


def _tar(path, entries, mode="w"):
    """``entries``: ``(name, kind, payload)`` with kind file|dir|sym|hard|fifo."""
    with tarfile.open(path, mode, format=tarfile.GNU_FORMAT) as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.mode = 0, 0o644
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            if kind == "dir":
                info.mode = 0o755
            if kind in ("sym", "hard"):
                info.linkname = payload
            tar.addfile(info)
    return path


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload, symlink in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = ((0o120777 if symlink else 0o100644) << 16)
            zf.writestr(info, payload)
    return path


def _tree(root):
    """Every path under ``root`` (relative), files and links included."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.relpath(os.path.join(dirpath, n), root) for n in dirnames + filenames]
    return sorted(found)


OK = ("data/ok.txt", "file", b"fine")

HOSTILE_TARS = [
    pytest.param([OK, ("../escaped.txt", "file", b"pwned")], r"member '\.\./escaped\.txt' has a '\.\.' component",
                 id="dotdot"),
    pytest.param([OK, ("data/../../escaped.txt", "file", b"pwned")], r"'data/\.\./\.\./escaped\.txt' has a '\.\.'",
                 id="dotdot-inside-path"),
    pytest.param([OK, ("/tmp/ganzoo-abs-escape.txt", "file", b"pwned")],
                 r"'/tmp/ganzoo-abs-escape\.txt' has an absolute path", id="absolute"),
    pytest.param([OK, ("link", "sym", "/etc"), ("link/passwd", "file", b"pwned")],
                 r"member 'link' is a link to the absolute path '/etc'", id="symlink-absolute"),
    pytest.param([OK, ("data/link", "sym", "../../outside"), ("data/link/x.txt", "file", b"pwned")],
                 r"member 'data/link' is a link to '\.\./\.\./outside', outside the target", id="symlink-dotdot"),
    pytest.param([OK, ("hard", "hard", "../outside/secret")], r"member 'hard' is a link to '\.\./outside/secret'",
                 id="hardlink-escape"),
    pytest.param([OK, ("fifo", "fifo", None)], r"member 'fifo' is a device file or FIFO", id="fifo"),
    pytest.param([OK, ("C:/windows.txt", "file", b"pwned")], r"'C:/windows\.txt' has an absolute path",
                 id="drive-letter"),
]


@pytest.mark.parametrize("entries, message", HOSTILE_TARS)
@pytest.mark.parametrize("compression", ["", "gz"])
def test_hostile_tar_members_are_refused_before_anything_is_written(tmp_path, entries, message, compression):
    archive = _tar(tmp_path / f"evil.tar{'.' + compression if compression else ''}", entries,
                   mode=f"w:{compression}" if compression else "w")
    (tmp_path / "outside").mkdir()
    dest = tmp_path / "a" / "b" / "dest"
    with pytest.raises(UnsafeArchiveError, match=message):
        safe_extract(archive, dest)
    assert not dest.exists(), "checked up front: nothing is extracted"
    assert _tree(tmp_path / "outside") == [] and not (tmp_path / "a" / "escaped.txt").exists()
    assert not (tmp_path / "a" / "b" / "escaped.txt").exists()
    assert not os.path.exists("/tmp/ganzoo-abs-escape.txt")


def test_a_chain_of_links_that_escapes_on_disk_is_refused(tmp_path):
    """Each link alone stays inside ('here' -> '.', 'up' -> 'here/..' normalises to '.'), but on
    disk 'up' is the target's parent; the extraction filter resolves real paths and refuses it."""
    archive = _tar(tmp_path / "chain.tar", [OK, ("here", "sym", "."), ("up", "sym", "here/.."),
                                            ("up/escaped.txt", "file", b"pwned")])
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=r"Refusing to extract .*chain\.tar: member '(up|up/escaped\.txt)'"):
        safe_extract(archive, dest)
    assert not (tmp_path / "escaped.txt").exists()
    assert not dest.exists(), "what had been extracted is removed"


def test_a_benign_tar_with_an_inner_link_is_extracted(tmp_path):
    archive = _tar(tmp_path / "ok.tar.gz", [("data/", "dir", None), OK, ("data/alias.txt", "sym", "ok.txt")],
                   mode="w:gz")
    dest = safe_extract(archive, tmp_path / "dest")
    assert (tmp_path / "dest" / "data" / "ok.txt").read_bytes() == b"fine"
    assert os.readlink(tmp_path / "dest" / "data" / "alias.txt") == "ok.txt"
    assert dest == str(tmp_path / "dest")


@pytest.mark.parametrize("name, symlink, message", [
    ("../escaped.txt", False, r"member '\.\./escaped\.txt' has a '\.\.' component"),
    ("/tmp/ganzoo-abs-escape.txt", False, r"has an absolute path"),
    ("data\\..\\..\\escaped.txt", False, r"has a '\.\.' component"),
    ("data/link", True, r"member 'data/link' is a symbolic link"),
])
def test_hostile_zip_members_are_refused(tmp_path, name, symlink, message):
    archive = _zip(tmp_path / "evil.zip", [("data/ok.txt", b"fine", False), (name, b"/etc", symlink)])
    with pytest.raises(UnsafeArchiveError, match=message):
        safe_extract(archive, tmp_path / "dest")
    assert not (tmp_path / "dest").exists() and not (tmp_path / "escaped.txt").exists()


def test_a_benign_zip_is_extracted_and_a_non_archive_is_a_data_error(tmp_path):
    safe_extract(_zip(tmp_path / "ok.zip", [("data/ok.txt", b"fine", False)]), tmp_path / "dest")
    assert (tmp_path / "dest" / "data" / "ok.txt").read_bytes() == b"fine"
    (tmp_path / "junk.bin").write_bytes(b"not an archive at all")
    with pytest.raises(DataError, match=r"junk\.bin is neither a zip nor a tar archive"):
        safe_extract(tmp_path / "junk.bin", tmp_path / "dest2")


# ------------------------------------------------------------------ the Fashion-MNIST .deb path


def _ar(path, members):
    """A Debian package is an ``ar`` archive: debian-binary, control.tar, data.tar."""
    out = b"!<arch>\n"
    for name, data in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode() + data
        out += b"\n" if len(data) % 2 else b""
    path.write_bytes(out)
    return path


def _deb(tmp_path, data_entries, name="pkg.deb"):
    control = _tar(tmp_path / "control.tar", [("./", "dir", None), ("./control", "file", (
        b"Package: dataset-fashion-mnist\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\n"
        b"Description: test\n"))])
    data = _tar(tmp_path / "data.tar", [("./", "dir", None)] + data_entries)
    return _ar(tmp_path / name, [("debian-binary", b"2.0\n"), ("control.tar", control.read_bytes()),
                                 ("data.tar", data.read_bytes())])


needs_dpkg = pytest.mark.skipif(not os.path.exists("/usr/bin/dpkg-deb"), reason="needs dpkg-deb")


@needs_dpkg
def test_a_hostile_deb_is_refused_by_fetch(tmp_path):
    (tmp_path / "outside").mkdir()
    deb = _deb(tmp_path, [("./usr/", "dir", None), ("./usr/link", "sym", str(tmp_path / "outside")),
                          ("./usr/link/x.txt", "file", b"pwned")])
    with pytest.raises(UnsafeArchiveError, match=r"member '\./usr/link' is a link to the absolute path"):
        fetch.fetch_fashion_mnist(cache=str(tmp_path / "cache"), source=str(deb))
    assert _tree(tmp_path / "outside") == []
    assert not os.path.exists(fetch.dataset_path("fashion_mnist", str(tmp_path / "cache")))


@needs_dpkg
def test_a_benign_deb_is_unpacked_and_its_files_checksummed(tmp_path):
    idx = bytes([0, 0, 8, 1]) + (2).to_bytes(4, "big") + b"\x00\x01"
    base = "./usr/share/datasets/fashion-mnist/"
    entries = [(base[: i + 1], "dir", None) for i in range(1, len(base)) if base[i] == "/"]
    entries += [(base + stem + ".gz", "file", gzip.compress(idx)) for stem in fetch.FASHION_SHA256]
    deb = _deb(tmp_path, entries)
    # The files are fake, so the checksum check (after a safe unpacking) is what stops it.
    with pytest.raises(DatasetUnavailableError, match=r"fashion-mnist/train-images-idx3-ubyte\.gz has sha256"):
        fetch.fetch_fashion_mnist(cache=str(tmp_path / "cache"), source=str(deb))
    junk = tmp_path / "junk.deb"
    junk.write_bytes(b"!<arch>\nnot really")
    with pytest.raises(DatasetUnavailableError, match=r"junk\.deb is not a Debian package dpkg-deb can read"):
        fetch.fetch_fashion_mnist(cache=str(tmp_path / "cache"), source=str(junk))
