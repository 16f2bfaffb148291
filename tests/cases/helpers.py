"""Builders for case tests: evidence that satisfies a requirement list, a fresh case."""

from __future__ import annotations

from datetime import UTC, datetime

from greenport.cases.model import Attachment, Case, CaseSource, CaseState, Evidence, Location, Requirement

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHOTO = Attachment("ab" * 32, 204_800, "image/jpeg")
PDF = Attachment("cd" * 32, 1_024, "application/pdf")
SITE = Location(120.55, 31.87)  # a point in the demo city [degrees]

FULL_EVIDENCE = Evidence(note="checked on site", attachments=(PHOTO,), location=SITE, rating=4)


def evidence_without(requirement: Requirement) -> Evidence:
    """:data:`FULL_EVIDENCE` less one requirement."""
    return Evidence(
        note="" if requirement is Requirement.NOTE else FULL_EVIDENCE.note,
        attachments=(PDF,) if requirement is Requirement.PHOTO else FULL_EVIDENCE.attachments,
        location=None if requirement is Requirement.LOCATION else FULL_EVIDENCE.location,
        rating=None if requirement is Requirement.RATING else FULL_EVIDENCE.rating,
    )


def new_case(case_id: int = 7) -> Case:
    return Case(
        id=case_id,
        source=CaseSource.CITIZEN,
        category="odour",
        state=CaseState.NEW,
        version=0,
        opened_at=T0,
        description="a smell of solvent near the school",
    )
