"""DNS checks against real DNS servers on loopback (no mocked resolver)."""

from __future__ import annotations

import pytest

from connect_widgets.core.adapters.dns import DnsChecker, DnsOutcome
from connect_widgets.settings import SettingsError, load_settings

SERVICE_MX = ("mx1.service.example", "mx2.service.example")


@pytest.fixture
def checker(dnsmasq: int, tmp_path) -> DnsChecker:
    return DnsChecker(load_settings(data_dir=tmp_path, dns_nameservers=f"127.0.0.1:{dnsmasq}", dns_timeout_seconds=2))


@pytest.fixture
def troubled(troublesome_dns: int, tmp_path) -> DnsChecker:
    return DnsChecker(
        load_settings(data_dir=tmp_path, dns_nameservers=f"127.0.0.1:{troublesome_dns}", dns_timeout_seconds=1)
    )


def test_the_published_verification_record_is_found(checker):
    result = checker.check_txt("_connect.acme.example", "connect-verify=token-acme-123")
    assert result.ok and "Found the record" in result.message


def test_a_verification_record_with_an_old_token_says_what_it_found(checker):
    result = checker.check_txt("_connect.near.example", "connect-verify=token-new-111")
    assert result.outcome is DnsOutcome.WRONG
    assert "has connect-verify=token-old-999 but needs connect-verify=token-new-111" in result.message


def test_other_txt_records_are_not_mistaken_for_ours(checker):
    result = checker.check_txt("_connect.other.example", "connect-verify=x")
    assert result.outcome is DnsOutcome.WRONG and "Add it and check again" in result.message


def test_a_name_that_does_not_exist_says_so(checker):
    result = checker.check_txt("_connect.nobody.example", "connect-verify=x")
    assert result.outcome is DnsOutcome.NO_SUCH_NAME and "does not exist in DNS yet" in result.message


def test_spf_with_the_include_passes(checker):
    assert checker.check_spf("spf.example", "_spf.service.example").ok


@pytest.mark.parametrize(
    ("domain", "outcome", "words"),
    [
        ("nospf.example", DnsOutcome.MISSING, "has no SPF record"),
        ("twospf.example", DnsOutcome.WRONG, "2 SPF records; it must have exactly one"),
        ("wrongspf.example", DnsOutcome.WRONG, "does not include _spf.service.example"),
        ("nothing.example", DnsOutcome.NO_SUCH_NAME, "does not exist"),
    ],
)
def test_spf_problems_each_get_their_own_message(checker, domain, outcome, words):
    result = checker.check_spf(domain, "_spf.service.example")
    assert result.outcome is outcome and words in result.message


def test_mx_pointing_at_the_service_passes(checker):
    result = checker.check_mx("mx.example", SERVICE_MX)
    assert result.ok and set(result.found) == {"10 mx1.service.example", "20 mx2.service.example"}


@pytest.mark.parametrize("domain", ["oldmx.example", "mixedmx.example"])
def test_mx_still_pointing_elsewhere_names_the_old_host(checker, domain):
    result = checker.check_mx(domain, SERVICE_MX)
    assert result.outcome is DnsOutcome.WRONG and "mail.oldhost.example" in result.message


def test_a_name_without_mx_records_says_so(checker):
    result = checker.check_mx("spf.example", SERVICE_MX)
    assert result.outcome is DnsOutcome.MISSING and "no MX record" in result.message


def test_a_slow_server_times_out_with_a_clear_message(troubled):
    result = troubled.check_txt("_connect.slow.example", "connect-verify=x")
    assert result.outcome is DnsOutcome.TIMEOUT and "took too long" in result.message


def test_servfail_is_reported_as_a_dns_provider_problem(troubled):
    result = troubled.check_txt("_connect.broken.example", "connect-verify=x")
    assert result.outcome is DnsOutcome.SERVER_FAILURE and "SERVFAIL" in result.message


@pytest.mark.parametrize("value", ["dns.example", "127.0.0.1:99999", "1.2.3.4:x"])
def test_bad_nameserver_settings_name_the_variable(value):
    with pytest.raises(SettingsError, match="^CONNECT_DNS_NAMESERVERS: "):
        load_settings(dns_nameservers=value)
