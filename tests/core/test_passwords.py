"""argon2id hashing and the password policy, rule by rule."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type

from connect_widgets.core import errors
from connect_widgets.core.auth.passwords import (
    PasswordHasher,
    enforce_password_policy,
    generate_temporary_password,
    review_password,
)
from connect_widgets.settings import load_settings

WORDS = ("jane", "acme", "Acme Ltd")


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


def test_default_hashes_are_argon2id_above_the_owasp_floor():
    hasher = PasswordHasher.from_settings(load_settings())
    params = extract_parameters(hasher.hash("harbour kettle violin 42"))
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


def test_verify_accepts_the_password_and_refuses_others(hasher):
    stored = hasher.hash("harbour kettle violin 42")
    assert hasher.verify(stored, "harbour kettle violin 42")
    assert not hasher.verify(stored, "harbour kettle violin 43")
    assert not hasher.verify("not a hash", "harbour kettle violin 42")


def test_weaker_old_hashes_are_flagged_for_rehash(hasher):
    strong = PasswordHasher(time_cost=3, memory_kib=64 * 1024, parallelism=4)
    assert strong.needs_rehash(hasher.hash("harbour kettle violin 42"))
    assert not hasher.needs_rehash(hasher.hash("harbour kettle violin 42"))


def failing_rules(password: str) -> set[str]:
    return {c.rule for c in review_password(password, personal_words=WORDS) if not c.met}


@pytest.mark.parametrize(
    ("password", "rules"),
    [
        ("harbour kettle violin 42", set()),
        ("short one 1", {"length", "unguessable"}),
        ("x" * 129, {"length", "unguessable"}),
        ("password1234", {"unguessable"}),
        ("qwertyuiop123", {"unguessable"}),
        ("aaaaaaaaaaaaaaaa", {"unguessable"}),
        ("JANE orchard pebble 9", {"personal"}),
        ("orchard acme pebble 9", {"personal"}),
        ("correct horse battery staple", set()),  # no composition rules
        ("ünïcödé pässwörd ñøţ ǵüéşşàbłé", set()),
    ],
)
def test_review_names_each_rule_broken(password, rules):
    assert failing_rules(password) == rules


def test_live_indicator_lists_rules_in_a_stable_order():
    assert [c.rule for c in review_password("", personal_words=WORDS)] == ["length", "personal", "unguessable"]


def test_enforce_returns_the_nfkc_form(hasher):
    assert (
        enforce_password_policy(
            "ｈarbour kettle violin 42",
            "ｈarbour kettle violin 42",
            personal_words=WORDS,
            current_hash=None,
            hasher=hasher,
        )
        == "harbour kettle violin 42"
    )


def test_enforce_refuses_mismatch_before_policy(hasher):
    with pytest.raises(errors.PasswordsDoNotMatch):
        enforce_password_policy("short", "other", personal_words=WORDS, current_hash=None, hasher=hasher)


def test_enforce_collects_every_problem(hasher):
    with pytest.raises(errors.PasswordRejected) as refused:
        enforce_password_policy("jane", "jane", personal_words=WORDS, current_hash=None, hasher=hasher)
    assert len(refused.value.problems) == 3


def test_enforce_refuses_control_characters(hasher):
    with pytest.raises(errors.InvalidInput):
        enforce_password_policy(
            "harbour\x00kettle violin",
            "harbour\x00kettle violin",
            personal_words=WORDS,
            current_hash=None,
            hasher=hasher,
        )


def test_temporary_passwords_pass_the_policy_and_differ():
    made = {generate_temporary_password(personal_words=WORDS) for _ in range(20)}
    assert len(made) == 20
    for password in made:
        assert failing_rules(password) == set()
        assert len(password) == 19 and password.count("-") == 3
