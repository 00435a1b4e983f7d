"""A copy-on-write view of the workspace for one attempt (issue 11 item 1).

Commands see the workspace through an overlay: the real workspace is the read-only lower layer and
everything a command writes lands in this attempt's upper layer, outside the workspace. The model's
staged edits are written into the same upper layer, so tests, builds and formatters run against the
attempt's own proposed changes. `change_set()` reads the upper layer back as one ChangeSet (with what
the apply guard would refuse already in `refused`); nothing reaches the host until `apply()` (or
`apply_change_set`) writes an accepted change set through the guard. Several overlays of one workspace
work side by side (best-of-N): each has its own upper and work folders.

    with Overlay(workspace, spec) as attempt:
        attempt.write("src/app.py", new_text)
        result = attempt.run("pytest -q")
        proposal = attempt.change_set()
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import stat
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from types import TracebackType

import platformdirs

from modelroute.changeset import ChangeSet
from modelroute.sandbox.apply import ApplyResult, apply_change_set, apply_folders, change_refusal, marker_check
from modelroute.sandbox.bwrap import Layers
from modelroute.sandbox.changes import (
    collect_changes,
    is_opaque,
    is_whiteout,
    lower_lstat,
    new_folders,
    read_regular,
)
from modelroute.sandbox.protected import path_error
from modelroute.sandbox.runner import execute, normalise
from modelroute.sandbox.spec import SandboxResult, SandboxSpec, SandboxUnavailable, inside

OPAQUE = "user.overlay.opaque"


class PathRefused(ValueError):
    """A staged edit the apply guard would refuse (protected path, `..`, ...): nothing was staged."""

    def __init__(self, rel: str, reason: str) -> None:
        super().__init__(f"{rel}: {reason}")
        self.path = rel
        self.reason = reason


def overlay_storage(workspace: Path) -> Path:
    """Where upper layers live: the user's cache, unless that overlaps the workspace (the upper layer
    may be neither inside the lower one nor around it)."""
    candidates = [
        Path(platformdirs.user_cache_dir("modelroute")) / "overlays",
        Path("/var/tmp") / f"modelroute-{os.getuid()}" / "overlays",
        Path(tempfile.gettempdir()) / f"modelroute-{os.getuid()}" / "overlays",
    ]
    for base in candidates:
        real = Path(os.path.realpath(base))
        if inside(real, workspace) or inside(workspace, real):
            continue
        try:
            real.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            continue
        return real
    raise SandboxUnavailable(f"no folder outside the workspace {workspace} can hold the overlay's changes")


class Overlay:
    """One attempt's copy-on-write workspace. Use as a context manager, or call `close()`."""

    def __init__(self, workspace: Path, spec: SandboxSpec | None = None, *, storage: Path | None = None) -> None:
        base = spec if spec is not None else SandboxSpec(workspace=workspace)
        self.spec = normalise(dataclasses.replace(base, workspace=workspace, mode="workspace-write"))
        self.root = self.spec.workspace
        parent = storage if storage is not None else overlay_storage(self.root)
        self._dir = Path(tempfile.mkdtemp(prefix="attempt-", dir=parent))
        self.upper = self._dir / "upper"
        self.upper.mkdir()
        (self._dir / "work").mkdir()
        self._layers = Layers(upper=self.upper, work=self._dir / "work", storage=parent)
        self.closed = False

    def __enter__(self) -> Overlay:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ commands

    def run(
        self,
        command: str | Sequence[str],
        *,
        cwd: Path | str | None = None,
        timeout_s: float | None = None,
        network: bool | None = None,
    ) -> SandboxResult:
        """Run one approved command against the overlay (the attempt's edits included)."""
        self._check_open()
        changes: dict[str, object] = {}
        if cwd is not None:
            changes["cwd"] = self._inside_path(cwd)
        if timeout_s is not None:
            changes["timeout_s"] = timeout_s
        if network is not None:
            changes["network"] = network
        spec = dataclasses.replace(self.spec, **changes) if changes else self.spec  # type: ignore[arg-type]
        return execute(command, spec, self._layers)

    # ------------------------------------------------------------ staged edits

    def read(self, rel: str) -> str:
        """The file as commands see it now: staged or written by a command, else the workspace's."""
        return self.read_bytes(rel).decode("utf-8")

    def read_bytes(self, rel: str) -> bytes:
        self._check_open()
        where = self._locate(rel)
        if where is None:
            raise FileNotFoundError(f"{rel}: not in the attempt's workspace")
        if os.path.isdir(where) and not os.path.islink(where):
            raise IsADirectoryError(f"{rel}: is a folder")
        try:
            return read_regular(where)
        except OSError as exc:
            raise OSError(f"{rel}: a symlink or special file, not read") from exc

    def exists(self, rel: str) -> bool:
        return self._locate(rel) is not None

    def write(self, rel: str, text: str | bytes, *, executable: bool | None = None) -> None:
        """Stage `rel` with `text` in the upper layer (the workspace itself is not touched)."""
        self._check_open()
        self._check_path(rel)
        parts = rel.split("/")
        folder = self._upper_folder(parts[:-1])
        target = folder / parts[-1]
        lower = lower_lstat(self.root, rel)
        old_upper = _lstat(target)
        if old_upper is not None and stat.S_ISDIR(old_upper.st_mode) and not is_whiteout(old_upper):
            raise IsADirectoryError(f"{rel}: is a folder")
        if old_upper is None and lower is not None and stat.S_ISDIR(lower.st_mode):
            raise IsADirectoryError(f"{rel}: is a folder")
        if old_upper is not None and is_whiteout(old_upper):
            target.unlink()
        if old_upper is not None and stat.S_ISREG(old_upper.st_mode):
            mode = stat.S_IMODE(old_upper.st_mode)
        elif old_upper is None and lower is not None and stat.S_ISREG(lower.st_mode):
            mode = stat.S_IMODE(lower.st_mode)
        else:
            mode = 0o644
        mode &= 0o777
        if executable is not None:
            mode = mode | ((mode & 0o444) >> 2) if executable else mode & ~0o111
        data = text.encode("utf-8") if isinstance(text, str) else text
        tmp = folder / f".{parts[-1][:100]}.staging"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, target)

    def delete(self, rel: str) -> None:
        """Stage the deletion of file `rel`."""
        self._check_open()
        self._check_path(rel)
        where = self._locate(rel)
        if where is None:
            raise FileNotFoundError(f"{rel}: not in the attempt's workspace")
        if os.path.isdir(where) and not os.path.islink(where):
            raise IsADirectoryError(f"{rel}: is a folder; only files are deleted")
        if lower_lstat(self.root, rel) is None and inside(Path(where), self.upper):
            os.unlink(where)  # only this attempt had it
            return
        # The workspace has it: the upper layer needs a whiteout, which only the overlay itself (or
        # CAP_MKNOD) can make. Let the sandbox delete it through the overlay.
        result = self.run(["rm", "-f", "--", rel], cwd=self.root, timeout_s=60)
        if result.exit_code != 0 or self.exists(rel):
            raise OSError(f"{rel}: could not stage the deletion: {result.stderr.strip() or result.exit_code}")

    # ------------------------------------------------------------ the result

    def change_set(self) -> ChangeSet:
        """Everything this attempt changed, with what the apply guard refuses in `refused`."""
        self._check_open()
        return collect_changes(self.root, self.upper)

    def apply(self, change_set: ChangeSet | None = None, *, approved_executable: Collection[str] = ()) -> ApplyResult:
        """Write an accepted change set (by default all of this attempt's) to the workspace, through the
        apply guard; binary files are taken from the upper layer."""
        self._check_open()
        accepted = change_set if change_set is not None else self.change_set()
        return apply_change_set(self.root, accepted, approved_executable=approved_executable, content_root=self.upper)

    def close(self) -> None:
        """Remove the upper and work folders (the workspace is untouched)."""
        if self.closed:
            return
        self.closed = True
        _remove_tree(self._dir)

    # ------------------------------------------------------------ helpers

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError("the overlay is closed")

    def _check_path(self, rel: str) -> None:
        reason = change_refusal(rel, marker_check(self.root, ChangeSet()))
        if reason is not None:
            raise PathRefused(rel, reason)

    def _inside_path(self, cwd: Path | str) -> Path:
        path = Path(cwd)
        path = path if path.is_absolute() else self.root / path
        if not inside(Path(os.path.normpath(path)), self.root):
            raise SandboxUnavailable(f"working directory {path} is outside the workspace {self.root}")
        return Path(os.path.normpath(path))

    def _locate(self, rel: str) -> str | None:
        """The path that holds `rel` in the merged view (upper, else lower), None when absent.
        Nothing is followed: a symlinked folder on the way hides what is behind it."""
        if path_error(rel) is not None:
            return None
        parts = rel.split("/")
        upper: str | None = str(self.upper)
        lower: str | None = str(self.root)
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            up_path = os.path.join(upper, name) if upper else None
            low_path = os.path.join(lower, name) if lower else None
            up = _lstat(Path(up_path)) if up_path else None
            low = _lstat(Path(low_path)) if low_path else None
            if up is not None and up_path is not None:
                if is_whiteout(up):
                    return None
                if last:
                    return up_path
                if not stat.S_ISDIR(up.st_mode):
                    return None
                upper = up_path
                hidden = is_opaque(up_path) or low is None or not stat.S_ISDIR(low.st_mode)
                lower = None if hidden else low_path
                continue
            upper = None
            if low is None or low_path is None:
                return None
            if last:
                return low_path
            if not stat.S_ISDIR(low.st_mode):
                return None
            lower = low_path
        return None

    def _upper_folder(self, folders: list[str]) -> Path:
        """Make the folders of a staged file in the upper layer, opaque where the workspace's are gone."""
        path = self.upper
        rel = ""
        for name in folders:
            rel = f"{rel}/{name}" if rel else name
            path = path / name
            st = _lstat(path)
            lower = lower_lstat(self.root, rel)
            if st is not None and stat.S_ISDIR(st.st_mode):
                continue
            if st is not None and not is_whiteout(st):
                raise NotADirectoryError(f"{rel}: is a file")
            if st is None and lower is not None and not stat.S_ISDIR(lower.st_mode):
                raise NotADirectoryError(f"{rel}: is a file")
            hides_lower = st is not None  # a whiteout: the workspace's folder was deleted in this attempt
            if hides_lower:
                path.unlink()
            path.mkdir(mode=0o755)
            if hides_lower:
                os.setxattr(path, OPAQUE, b"y")
        return path


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _remove_tree(path: Path) -> None:
    """Remove an overlay's folders (overlayfs leaves mode-000 folders in the work folder)."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            target = os.path.join(dirpath, name)
            if not os.path.islink(target):
                with contextlib.suppress(OSError):
                    os.chmod(target, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def run_sandboxed(command: str | Sequence[str], spec: SandboxSpec) -> SandboxResult:
    """Run one command; in workspace-write mode its writes reach the workspace only through the apply
    guard (a one-shot overlay, applied at once). What the guard refused is in `violations`; git-ignored
    output it left out is named in `notes`. The result carries the change set and what was applied."""
    spec = normalise(spec)
    if spec.mode == "read-only":
        return execute(command, spec, Layers())
    with Overlay(spec.workspace, spec) as attempt:
        result = attempt.run(command)
        proposal = attempt.change_set()
        applied = attempt.apply(proposal)
        folders = apply_folders(attempt.root, new_folders(attempt.root, attempt.upper))
    refused = tuple(f"not applied: {r.path}: {r.reason}" for r in (*applied.refused, *folders.refused))
    notes = result.notes
    if proposal.left_out:
        shown = ", ".join(proposal.left_out[:10]) + (" ..." if len(proposal.left_out) > 10 else "")
        notes += (f"git-ignored output left out (not written to the workspace): {shown}",)
    return dataclasses.replace(
        result, violations=result.violations + refused, notes=notes, change_set=proposal,
        applied=applied.applied + folders.applied,
    )
