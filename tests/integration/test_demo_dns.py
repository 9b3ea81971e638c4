"""The demo DNS zone: demo domains only, published records only, real lookups over UDP."""

from __future__ import annotations

from sqlmodel import select

from connect_widgets.core.adapters.dns import DnsChecker, DnsOutcome
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.demo.dns import set_published, start_demo_dns
from connect_widgets.demo.stages import seed_demo_accounts
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, Domain
from tests.servers import free_port

SERVICE = load_service_values()


def test_the_demo_zone_answers_for_published_demo_domains_only(services, account):
    seeded = seed_demo_accounts(services)
    code = seeded[0].account_code
    with new_session(services.engine) as db:
        demo = db.exec(select(Account).where(Account.code == code)).one()
        db.add(
            Domain(
                account_id=demo.id,
                name=demo.primary_domain,
                verification_token="tok123",
                created_at=services.clock.now(),
            )
        )
        db.add(
            Domain(
                account_id=db.exec(select(Account).where(Account.code == "ACME")).one().id,
                name="acme.example",
                verification_token="real",
                created_at=services.clock.now(),
            )
        )
        db.commit()
        domain = demo.primary_domain
    port = free_port()
    server = start_demo_dns(services, port=port)
    try:
        checker = DnsChecker(services.settings.model_copy(update={"demo_dns_port": port}))
        expected = f"{SERVICE.verification_prefix}tok123"
        assert checker.check_txt(domain, expected).outcome is DnsOutcome.NO_SUCH_NAME  # not published yet
        set_published(services.settings, code, True)
        assert checker.check_txt(domain, expected).ok
        assert checker.check_spf(domain, SERVICE.spf_include).ok
        assert checker.check_mx(domain, SERVICE.mx_hosts).ok
        set_published(services.settings, "ACME", True)  # a real account is never answered for
        assert checker.check_txt("acme.example", "connect-verify=real").outcome is DnsOutcome.NO_SUCH_NAME
        set_published(services.settings, code, False)
        assert checker.check_txt(domain, expected).outcome is DnsOutcome.NO_SUCH_NAME
    finally:
        server.stop()
