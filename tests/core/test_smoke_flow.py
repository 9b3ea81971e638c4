from tests.conftest import first_login


def test_first_login_runs_end_to_end(flow, services, account):
    first_login(flow, services, account)
    assert flow.landing().kind == "welcome"
