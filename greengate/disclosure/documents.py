"""The disclosure formats of ``greengate ledger export``: which document, built how."""

from __future__ import annotations

import os

from greengate.disclosure.esrs import Scope, esrs_document
from greengate.disclosure.sci import sci_document
from greengate.disclosure.sheet import esrs_csv, sci_csv
from greengate.files.json_text import dump_json
from greengate.ledger.interface import Ledger
from greengate.ledger.records import RecordFilter
from greengate.policy.loader import load_policy
from greengate.policy.scope2 import Scope2

FORMATS = ("esrs", "esrs-csv", "sci", "sci-csv")
DEFAULT_POLICY = "greengate.yml"


def instruments(policy_path: str | None) -> tuple[Scope2, str | None]:
    """The policy's scope2 section and where it was read; none without a policy file.

    A policy named with ``--policy`` must exist and be valid; the default one may be absent.
    """
    path = policy_path or DEFAULT_POLICY
    if policy_path is None and not os.path.exists(path):
        return Scope2(), None
    return load_policy(path).scope2 or Scope2(), path


def disclosure(form: str, ledger: Ledger, where: RecordFilter, scope: Scope, scope2: Scope2) -> str:
    """The text of one disclosure format for the runs ``where`` selects."""
    if form.startswith("esrs"):
        doc = esrs_document(ledger.zones(where), ledger.methods(where), scope2, scope)
        return esrs_csv(doc) if form == "esrs-csv" else dump_json(doc, indent=2) + "\n"
    doc = sci_document(ledger.sci_groups(where), scope)
    return sci_csv(doc) if form == "sci-csv" else dump_json(doc, indent=2) + "\n"
