"""Reading and writing files of a folder without following a symlink out of it, nor writing through one.

A folder being logged, exported or loaded is trusted only for what it holds
itself: a symbolic link inside it may point anywhere (``/etc/shadow``, the
user's ``~/.ssh``), and files of the kernel's special filesystems
(``/proc/self/environ``, ``/sys``, ``/dev``) are not data at all. Here a link
is refused with a clear ``InvalidInputError`` before anything is read, so no
error message ever carries the content or the hash of what it points to.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError

__all__ = ["SPECIAL_ROOTS", "artifact_files", "read_own_file", "refuse_special", "write_replacing"]

# Filesystems whose "files" are views of the kernel or of devices: reading one can leak secrets (a process's
# environment), block, or never end.
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + os.sep)


# Ordinary memory-backed filesystems under /dev: users keep real files there (scratch data, fast stores).
ORDINARY_UNDER_DEV = ("/dev/shm",)


def refuse_special(path: Path, what: str) -> None:
    """``InvalidInputError`` if ``path`` (resolved) lies on ``/proc``, ``/sys`` or ``/dev`` (``/dev/shm`` is a
    plain tmpfs and allowed)."""
    resolved = os.path.realpath(path)
    if any(_under(resolved, root) for root in SPECIAL_ROOTS) \
            and not any(_under(resolved, root) for root in ORDINARY_UNDER_DEV):
        raise InvalidInputError(f"cannot {what} {str(path)!r}: it is not a regular file but part of the operating "
                                f"system's special filesystems ({', '.join(SPECIAL_ROOTS)}); copy what you need to "
                                "a regular file first.", path=str(path))


def read_own_file(folder: Path, name: str, what: str) -> bytes:
    """The bytes of ``folder/name``, a regular file that is not a symbolic link.

    Raises:
        NotFoundError: there is no such file.
        InvalidInputError: it is a symbolic link, or not a regular file.
    """
    path = folder / name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise NotFoundError(f"{folder} has no {name} ({what})", path=str(path)) from None
    except OSError as error:
        if os.path.islink(path):
            raise InvalidInputError(
                f"{path} is a symbolic link; {what} must be a file inside {folder} itself, so it is not followed "
                "(copy the real file there if you trust it)", path=str(path)) from None
        raise InvalidInputError(f"cannot read {path}: {error.strerror}", path=str(path)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InvalidInputError(f"{path} is not a regular file ({what})", path=str(path))
        return handle.read()


def write_replacing(path: Path, data: bytes) -> None:
    """Write ``path`` as a new file that replaces whatever is there (a symlink is replaced, never written
    through; the target it pointed at is left untouched)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)  # as a plain write would make it (mkstemp's 0600 would hide an export from others)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def artifact_files(path: Path) -> list[tuple[Path, str]]:
    """The regular files to log for ``path`` (a file, or a folder walked recursively), as (file, relative name).

    A symbolic link given directly, or one inside the folder that points out of it, is refused; a link
    that stays inside the folder is logged as the file it names (its content is the folder's own).

    Raises:
        NotFoundError: ``path`` does not exist.
        InvalidInputError: a link out of the folder, a special file, or something that is not a file or folder.
    """
    if not os.path.lexists(path):
        raise NotFoundError(f"cannot log artifact {str(path)!r}: no such file or folder", path=str(path))
    if path.is_symlink():
        raise InvalidInputError(
            f"cannot log artifact {str(path)!r}: it is a symbolic link (to {os.readlink(path)!r}), which is not "
            f"followed; log the file it points to by its own path ({os.path.realpath(path)!r}) if you mean "
            "to store that content.", path=str(path))
    refuse_special(path, "log artifact")
    if path.is_file():
        return [(path, path.name)]
    if not path.is_dir():  # a FIFO or device: reading could block or never end
        raise InvalidInputError(f"cannot log artifact {str(path)!r}: it is not a regular file or folder "
                                "(a pipe, socket or device); copy its content to a file first.", path=str(path))
    root = os.path.realpath(path)
    files: list[tuple[Path, str]] = []
    outside: list[str] = []
    for directory, dirnames, filenames in os.walk(path, followlinks=False):
        for name in sorted(dirnames) + sorted(filenames):
            entry = Path(directory) / name
            relative = entry.relative_to(path).as_posix()
            if entry.is_symlink():
                target = os.path.realpath(entry)
                if not _inside(target, root):
                    outside.append(f"{relative} -> {os.readlink(entry)}")
                    continue
                if name in dirnames:  # a link to a folder inside: its files are logged where they really are
                    continue
                if Path(target).is_file():
                    files.append((Path(target), relative))
            elif name in filenames and entry.is_file():
                files.append((entry, relative))
    if outside:
        raise InvalidInputError(
            f"cannot log artifact {str(path)!r}: it holds symbolic links that point out of it "
            f"({', '.join(outside[:5])}{', ...' if len(outside) > 5 else ''}), which are not followed; remove "
            "them or copy the files they point to into the folder. Nothing was logged.",
            path=str(path), links=outside)
    return sorted(files, key=lambda item: item[1])
