"""``greengate init [PATH]``: write a commented starter policy, never over an existing file."""

from __future__ import annotations

import os

import click

from greengate.errors import UsageError
from greengate.scaffold.ci_templates import CI_KINDS, ci_snippet
from greengate.scaffold.starter import NewFile, starter_policy, write_new_files


def _files(policy_path: str, ci: str | None, job_wide: bool) -> list[NewFile]:
    """What ``init`` creates: the policy, and with ``--ci`` the pipeline file for that CI."""
    if ci is not None and os.path.isfile(policy_path):
        return [ci_snippet(ci, policy_path, job_wide)]  # for the policy the project has
    files = [NewFile(policy_path, starter_policy(policy_path), "starter policy")]
    if ci is not None:
        files.append(ci_snippet(ci, policy_path, job_wide))
    return files


@click.command("init")
@click.argument("path", default="greengate.yml", metavar="[PATH]")
@click.option(
    "--ci",
    type=click.Choice(list(CI_KINDS)),
    help="Also write a pipeline running greengate for this CI (docs/ci.md).",
)
@click.option(
    "--job-wide",
    is_flag=True,
    help="With --ci: measure the whole job with start / lap / stop (docs/job.md).",
)
def command(path: str, ci: str | None, job_wide: bool) -> int:
    """Write a commented starter policy to PATH (default greengate.yml).

    With --ci, also the pipeline for that CI (only the pipeline when PATH exists): GitHub's
    in .github/workflows of the repository, the others beside the policy. Refuses to
    overwrite an existing file (exit code 2).
    """
    if job_wide and ci is None:
        raise UsageError(
            "--job-wide needs --ci NAME", hint="e.g. greengate init --ci gitlab --job-wide"
        )
    files = _files(path, ci, job_wide)
    write_new_files(files)
    for new in files:
        click.echo(f"wrote {new.what} {new.path}")
    click.echo(f"next: edit the limits, then run `greengate validate {path}`")
    return 0
