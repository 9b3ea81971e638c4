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


@pytest.mark.parametrize(
    ("server", "name", "outcome", "words"),
    [
        pytest.param(
            "checker", "_connect.other.example", DnsOutcome.WRONG, "Add it and check again", id="other-txt-not-ours"
        ),
        pytest.param(
            "checker",
            "_connect.nobody.example",
            DnsOutcome.NO_SUCH_NAME,
            "does not exist in DNS yet",
            id="no-such-name",
        ),
        pytest.param("troubled", "_connect.slow.example", DnsOutcome.TIMEOUT, "took too long", id="slow-server"),
        pytest.param("troubled", "_connect.broken.example", DnsOutcome.SERVER_FAILURE, "SERVFAIL", id="servfail"),
    ],
)
def test_a_txt_check_without_our_record_says_why(request, server, name, outcome, words):
    """Another record, no such name, a server too slow (timeout), a SERVFAIL: each gets its own message."""
    result = request.getfixturevalue(server).check_txt(name, "connect-verify=x")
    assert result.outcome is outcome and words in result.message


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


@pytest.mark.parametrize("value", ["dns.example", "127.0.0.1:99999", "1.2.3.4:x"])
def test_bad_nameserver_settings_name_the_variable(value):
    with pytest.raises(SettingsError, match="^CONNECT_DNS_NAMESERVERS: "):
        load_settings(dns_nameservers=value)
