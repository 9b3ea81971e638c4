"""`connect-kit release-domain`: support staff remove a claim in the real owner's way (audited)."""

from __future__ import annotations

from tests.cli.kit import ACME_CREATE, Kit, audit_rows, execute, one_error_line, query


def test_release_domain_removes_the_claim_audits_it_and_says_when_there_is_nothing(kit: Kit) -> None:
    data_dir = kit.data_dir
    assert kit(*ACME_CREATE).returncode == 0
    execute(
        data_dir,
        "INSERT INTO domains (account_id, name, verification_token, created_at) "
        "VALUES (1, 'eps.example', 'token', '2026-03-02 09:00:00.000000')",
    )

    run = kit("release-domain", "EPS.example", "--account", "acme")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "released: eps.example (unverified claim of ACME)"
    assert query(data_dir, "SELECT count(*) FROM domains") == [(0,)]
    assert audit_rows(data_dir, "domain_released") == [
        ("support", None, "ok", "eps.example: unverified claim of ACME released")
    ]

    again = kit("release-domain", "eps.example", "--account", "ACME")
    assert again.returncode == 1
    assert one_error_line(again) == "error: ACME has no claim on eps.example: nothing to release."
    assert len(audit_rows(data_dir, "domain_released")) == 1
