"""A file read from a git ref's own tree: git objects only, never the working tree.

``--policy-from main`` must apply what ``main`` holds. Two tricks used to defeat it (issue
10): a pull request replaces ``greengate.yml`` (or a directory on its path) with a symlink
to a looser file that also exists on ``main``, and a path resolved through the working tree
follows it; or it pushes a tag named ``main``, which git's own ``main`` lookup prefers over
the branch. Here the ref is resolved to a fully qualified branch, and the path is walked
entry by entry in that commit's trees; a symlink committed at the ref is followed only
within that tree, and one that leaves it is refused.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from dataclasses import dataclass

from greengate.errors import PolicyError, UsageError

FETCH_HINT = (
    "fetch the ref first: `git fetch origin BRANCH`, or on GitHub Actions use "
    "actions/checkout with `fetch-depth: 0`"
)
GIT_TIMEOUT_S = 30
_MAX_SYMLINKS = 40  # as Linux's path walk: more hops than this is a loop
_MAX_LINK_BYTES = 4096  # PATH_MAX: a symlink's target is a path, not a file
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.ASCII)
# Where git itself looks for a plain name, in its order (git help revisions: "<refname>");
# the first, $GIT_DIR/<name>, only for a root ref such as FETCH_HEAD (all capitals).
GIT_RULES = ("refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}", "refs/remotes/{}/HEAD")
# Where a name git does not find is looked for next: what actions/checkout with fetch-depth
# 0 leaves (origin/main, and no local main).
REMOTE_FALLBACK = "refs/remotes/origin/{}"
# The one root ref taken: what `git fetch origin main` just wrote. HEAD is the checkout (the
# pull request's own commit); ORIG_HEAD, MERGE_HEAD and the like are what git operations on
# that checkout left.
FETCH_HEAD = "FETCH_HEAD"
_ROOT_REF = re.compile(r"[A-Z_]+", re.ASCII)
_GIT_STATE = re.compile(r"[A-Z_]*HEAD|AUTO_MERGE", re.ASCII)
# A pull request's own refs on GitHub and GitLab: never a trusted policy, even named in full.
_PR_REFS = ("refs/pull/", "refs/merge-requests/")


@dataclass(frozen=True)
class Blob:
    """A file's bytes at a ref, with the fully qualified ref and the path actually read."""

    ref: str  # e.g. refs/heads/main, or a commit id given as one
    commit: str
    path: str  # inside the tree, after following committed symlinks
    data: bytes


def resolve_ref(top: str, ref: str) -> tuple[str, str]:
    """The fully qualified name and commit of ``ref``, as git reads it; never an ambiguous one.

    A full commit id, a full ref (``refs/heads/main``, ``refs/tags/v1``), ``FETCH_HEAD``, or a
    branch name read by git's own rules, then as ``origin/NAME``. A name git finds in more
    than one place (a branch and a tag, FETCH_HEAD and a branch called FETCH_HEAD) that do
    not agree is refused rather than one of them picked: a pull request can create the
    other. ``HEAD``, other root refs and a pull request's own refs are refused (docs/ci.md,
    "Which refs are trusted").
    """
    if ref.startswith("-") or not ref.strip():
        raise UsageError(f"--policy-from: {ref!r} is not a git ref")
    if _COMMIT_ID.fullmatch(ref):
        commit = _commit_of(top, ref)
        if commit is None:
            raise UsageError(f"--policy-from: no commit {ref} in {top!r}", hint=FETCH_HINT)
        return ref, commit
    if ref == "HEAD":  # git's own spelling of the checkout, whatever a branch is called
        raise UsageError(
            "--policy-from: HEAD is the commit checked out, the pull request's own: its "
            "policy is the one being judged, not a trusted one",
            hint=f"{FETCH_HINT}; then pass the branch (origin/main) or FETCH_HEAD",
        )
    if ref.startswith("refs/"):
        _check_ref_format(top, ref, ref)
        if ref.startswith(_PR_REFS):
            raise UsageError(
                f"--policy-from: {ref} is a pull request's own ref, not a trusted one",
                hint="pass the base branch (origin/main)",
            )
        commit = _commit_of(top, ref)
        if commit is None:
            raise UsageError(f"--policy-from: no ref {ref} in {top!r}", hint=FETCH_HINT)
        return ref, commit
    _check_ref_format(top, ref, f"refs/heads/{ref}")
    return _plain_name(top, ref)


def _plain_name(top: str, ref: str) -> tuple[str, str]:
    if _GIT_STATE.fullmatch(ref) and ref != FETCH_HEAD:
        raise UsageError(
            f"--policy-from: {ref} names git's own state of this checkout (as ORIG_HEAD or "
            "MERGE_HEAD do), not a trusted ref",
            hint=f"{FETCH_HINT}; then pass the branch (origin/main) or FETCH_HEAD",
        )
    names = _git_candidates(top, ref)
    if ref == FETCH_HEAD:  # and the remote branch greengate reads a plain name as: a same-
        names += (REMOTE_FALLBACK.format(ref),)  # repository PR can push one of that name
    found = {n: c for n in names if (c := _commit_of(top, n)) is not None}
    if ref == FETCH_HEAD and FETCH_HEAD not in found:
        # Never a branch or tag called FETCH_HEAD instead: a pull request can push one.
        raise UsageError(
            f"--policy-from: FETCH_HEAD: nothing was fetched in {top!r} (no FETCH_HEAD file)",
            hint="fetch the base branch first: `git fetch origin main`",
        )
    if len(set(found.values())) > 1:
        places = ", ".join(f"{name} ({commit[:12]})" for name, commit in found.items())
        raise UsageError(
            f"--policy-from: {ref!r} is ambiguous: git finds {places}; refused rather than "
            "picking one, since a pull request can create a branch or tag of that name",
            hint="name the ref in full, e.g. refs/remotes/origin/main or refs/heads/main",
        )
    tags = f"refs/tags/{ref}"
    branches = [name for name in found if name != tags]
    fallback = REMOTE_FALLBACK.format(ref)
    if not branches:
        commit = _commit_of(top, fallback)
        if commit is not None and found and commit not in found.values():
            raise UsageError(
                f"--policy-from: {ref!r} is ambiguous: git reads it as the tag {tags}, "
                f"greengate would read {fallback}; refused",
                hint=f"name the ref in full: {fallback}",
            )
        if commit is not None:
            return fallback, commit
        tried = ", ".join((*_git_candidates(top, ref), fallback))
        raise UsageError(
            f"--policy-from: no branch {ref!r} in {top!r} (looked for {tried})",
            hint=f"{FETCH_HINT}; a tag or other ref must be named in full, e.g. refs/tags/v1",
        )
    name = branches[0]  # all agree: the first in git's order names it
    return name, found[name]


def _git_candidates(top: str, ref: str) -> tuple[str, ...]:
    """Where git looks for ``ref``: its root ref file (FETCH_HEAD) when there is one, then refs."""
    names = tuple(rule.format(ref) for rule in GIT_RULES)
    if _ROOT_REF.fullmatch(ref):
        path = _git(top, "rev-parse", "--git-path", ref, what="find git's directory").strip()
        if os.path.isfile(os.path.join(top, path)):
            return (ref, *names)
    return names


def read_blob(top: str, ref: str, commit: str, path: str, *, limit: int) -> Blob:
    """The file at ``path`` in ``commit``'s tree, symlinks followed inside that tree only."""
    name = f"{ref}:{path}"
    parts = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []  # the directories walked so far: real trees, never links
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if not done:
                raise PolicyError(f"the path leaves the repository at {ref}", file=name)
            done.pop()
            continue
        mode, kind, oid = _entry(top, commit, "/".join([*done, part]), name, ref)
        if mode == "120000":  # a symlink: its target is resolved inside this tree
            hops += 1
            target = _link_target(top, oid, name)
            if hops > _MAX_SYMLINKS:
                raise PolicyError(f"too many levels of symbolic links at {ref}", file=name)
            if target.startswith("/"):
                raise PolicyError(
                    f"is a symbolic link at {ref} to the absolute path {target!r}, outside "
                    "the repository; refused",
                    file=name,
                    hint="commit the policy itself (or a link inside the repository)",
                )
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if parts and kind != "tree":
            raise PolicyError(f"{'/'.join([*done, part])} is not a directory at {ref}", file=name)
        if not parts and kind != "blob":
            what = "a directory" if kind == "tree" else f"a {kind} (a submodule?)"
            raise PolicyError(f"is {what} at {ref}, not a policy file", file=name)
        done.append(part)
    if not done:
        raise PolicyError(f"is the repository's root at {ref}, not a policy file", file=name)
    read = "/".join(done)
    size = int(_git(top, "cat-file", "-s", oid, what="measure the policy"))
    if size > limit:
        raise PolicyError(f"larger than {limit // 1024} KiB at {ref}", file=name)
    data = git_bytes(top, "cat-file", "blob", oid, what="read the policy")
    return Blob(ref, commit, posixpath.normpath(read), data)


def _entry(top: str, commit: str, path: str, name: str, ref: str) -> tuple[str, str, str]:
    """The mode, type and object id of ``path`` in ``commit``: the entry itself, unfollowed."""
    out = git_bytes(
        top, "--literal-pathspecs", "ls-tree", "-z", commit, "--", path, what="list the tree"
    )
    for record in out.split(b"\0"):
        info, _, entry_path = record.partition(b"\t")
        if entry_path.decode("utf-8", "surrogateescape") == path:
            mode, kind, oid = info.decode("ascii").split()
            return mode, kind, oid
    raise PolicyError(
        f"no such file at {ref}" + (f" (no {path})" if path != name.partition(":")[2] else ""),
        file=name,
        hint="commit the policy to that branch first, or pass the ref that has it",
    )


def _link_target(top: str, oid: str, name: str) -> str:
    if int(_git(top, "cat-file", "-s", oid, what="read a symbolic link")) > _MAX_LINK_BYTES:
        raise PolicyError("a symbolic link on the path is longer than a path can be", file=name)
    return git_bytes(top, "cat-file", "blob", oid, what="read a symbolic link").decode(
        "utf-8", "surrogateescape"
    )


def _check_ref_format(top: str, shown: str, full: str) -> None:
    try:
        _git(top, "check-ref-format", full, what="")
    except UsageError:
        raise UsageError(
            f"--policy-from: {shown!r} is not a branch name",
            hint="name a branch (main), a full ref (refs/tags/v1) or a full commit id",
        ) from None


def _commit_of(top: str, name: str) -> str | None:
    try:
        out = _git(top, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", what="")
    except UsageError:
        return None
    return out.strip() or None


def _git(cwd: str, *args: str, what: str) -> str:
    return git_bytes(cwd, *args, what=what).decode("utf-8", "replace")


def git_bytes(cwd: str, *args: str, what: str) -> bytes:
    """The stdout of ``git -C cwd ARGS``; UsageError (with git's own words) when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", cwd, *args], capture_output=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise UsageError(
            "--policy-from needs git, and git is not installed", hint="install git"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--policy-from: git {args[0]} took over {GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"--policy-from: could not {what or 'run git'}: {said[-1] if said else 'git failed'}",
            hint="run greengate inside a git checkout",
        )
    return done.stdout
