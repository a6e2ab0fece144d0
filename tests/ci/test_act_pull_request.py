"""The action on pull requests under act: the base branch's policy, the PR comment against a
loopback GitHub API (a real Octokit from @actions/github calls it), matrix legs, a hostile
head ref, and pip's cache restored by the next run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from act_fixtures import act_parts, new_act, package_index  # noqa: F401 (fixtures)
from act_repos import commit, git, make_repo
from act_runner import TOKEN, USES, Act, NewAct
from github_api import FakeGitHub, serve

pytestmark = pytest.mark.act

BASE_POLICY = """\
version: 1
defaults:
  country: FRA
budgets:
  - name: strict
    job: pr
    max_energy: 0.000001 mWh
  - name: legs
    max_emissions: 1 kg
"""
LOOSER = BASE_POLICY.replace("max_energy: 0.000001 mWh", "max_emissions: 1000 kg")
# A branch name git accepts and a shell would run: it reaches every report greengate writes.
HEAD = "feat/$(touch${IFS}pwned)`touch${IFS}pwned2`"
NUMBER = 7

WORKFLOW = {
    "on": "pull_request",
    "jobs": {
        "pr": {
            "steps": [
                {
                    "id": "gate",
                    "uses": USES,
                    "with": {"command": "echo measured", "comment": "true"},
                }
            ]
        },
        "legs": {
            "strategy": {"matrix": {"python": ["3.10", "3.13"]}},
            "steps": [
                {
                    "id": "gate",
                    "uses": USES,
                    "with": {
                        "command": "true",
                        "matrix": "${{ toJSON(matrix) }}",
                        "comment": "true",
                        "upload-verdict": "true",
                    },
                }
            ],
        },
    },
}


def event(repo: Path) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": NUMBER,
        "pull_request": {
            "number": NUMBER,
            "head": {"ref": HEAD, "sha": git(repo, "rev-parse", HEAD)},
            "base": {"ref": "main", "sha": git(repo, "rev-parse", "main")},
        },
        "repository": {"full_name": "octo/app", "name": "app", "owner": {"login": "octo"}},
    }


class PullRequest:
    """Two act runs of the same pull request, the second after the first commented."""

    def __init__(self, act: Act, api: FakeGitHub, repo: Path) -> None:
        self.act, self.api, self.repo = act, api, repo
        self.others = api.add(NUMBER, "LGTM <!-- greengate:pr --> said someone, not at the start")
        self.first = act.run(repo, WORKFLOW, branch=HEAD, event="pull_request", payload=event(repo))
        self.first_comments = json.loads(json.dumps(api.comments[NUMBER]))
        self.second = act.run(
            repo, WORKFLOW, branch=HEAD, event="pull_request", payload=event(repo), job="pr"
        )


@pytest.fixture(scope="module")
def pr(new_act: NewAct, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PullRequest]:
    repo = make_repo(tmp_path_factory.mktemp("pr"), {"greengate.yml": BASE_POLICY})
    git(repo, "checkout", "--quiet", "-b", HEAD)
    commit(repo, {"greengate.yml": LOOSER, "app.py": "print('hi')\n"}, "loosen the budget")
    act = new_act()
    with serve(FakeGitHub(TOKEN)) as api:
        act.api_url = api.url
        yield PullRequest(act, api, repo)


def test_a_pr_that_loosens_the_policy_is_judged_by_the_base_branchs(pr: PullRequest) -> None:
    run = pr.first
    assert run.job_result("pr") == "failure", run.log
    errors = run.annotations("pr")
    assert [e["command"] for e in errors] == ["error"]
    assert "strict" in errors[0]["arg"]
    summary = run.commands("pr", "summary")[0]["content"]
    assert "| emissions | none | 1 t CO2e |" in summary  # proposed beside applied


def test_the_annotation_names_the_policy_file_not_the_ref_it_was_read_from(
    pr: PullRequest,
) -> None:
    files = {a["kvPairs"].get("file") for a in pr.first.annotations()}
    assert files == {"greengate.yml"}


def test_the_comment_is_created_once_then_edited_in_place(pr: PullRequest) -> None:
    first = [c for c in pr.first_comments if c["body"].startswith("<!-- greengate:pr -->")]
    assert len(first) == 1, pr.first_comments
    assert "greengate: FAIL" in first[0]["body"]
    now = pr.api.comments[NUMBER]
    mine = [c for c in now if c["body"].startswith("<!-- greengate:pr -->")]
    assert [c["id"] for c in mine] == [first[0]["id"]]
    assert pr.second.job_result("pr") == "failure"
    assert ("PATCH", f"/repos/octo/app/issues/comments/{first[0]['id']}") in pr.api.requests
    assert pr.others in now and pr.others["body"].startswith("LGTM")


def test_matrix_legs_keep_two_identities_comments_and_artifacts(pr: PullRequest) -> None:
    assert pr.first.job_result("legs") == "success", pr.first.log
    legs = [c for c in pr.first_comments if c["body"].startswith("<!-- greengate:legs:")]
    assert len(legs) == 2, pr.first_comments
    names = sorted(p.name for p in pr.act.artifacts())
    assert len(names) == 2 and len(set(names)) == 2, names
    keys = set()
    for folder in pr.act.artifacts():
        verdict = json.loads((folder / "greengate-verdict.json").read_text())
        keys.add(verdict["context"]["job_key"])
        assert verdict["context"]["job"] == "legs"
    assert keys == {"python=3.10", "python=3.13"}


def test_a_hostile_head_ref_executes_nothing(pr: PullRequest) -> None:
    for job in ("pr", "legs"):
        assert not [line for line in pr.first.untracked(job) if "pwned" in line]
    summary = pr.first.commands("pr", "summary")[0]["content"]
    assert "touch${IFS}pwned" in summary  # shown as text, the branch it is


def test_pips_cache_is_saved_once_and_restored_by_the_next_run(pr: PullRequest) -> None:
    saved = [e for e in pr.first.events if "Cache saved with key" in str(e.get("msg"))]
    assert saved, pr.first.log
    key = str(saved[0]["msg"]).split("key: ", 1)[1].strip()
    assert key.startswith("greengate-pip-v1-Linux-X64-") and key.endswith("-action")
    restored = [e for e in pr.second.events if "Cache restored from key" in str(e.get("msg"))]
    assert restored and key in str(restored[0]["msg"])
