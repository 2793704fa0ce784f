"""Login lockout behind a reverse proxy: failures are counted per account and address, per address
and, with a higher ceiling, per account; the client's address comes from X-Forwarded-For only through
the trusted proxy hops (TRUSTED_PROXY_HOPS), so an attacker can neither lock a whole site out through
the proxy's one address nor lock a member out of their own account from elsewhere."""
import pytest

from tests.conftest import PASSWORD

PROXY = "10.0.0.2"  # nginx, as the app sees it
ATTACKER, OWNER, NEIGHBOUR = "203.0.113.7", "198.51.100.20", "192.0.2.33"


@pytest.fixture
def member(tree, make_user):
    return make_user(tree["a1"])


def log_in(client, login_id, password, via_proxy_from=None, forwarded_for=None):
    """A login POST; `via_proxy_from` is the client's address as nginx forwards it (appended to any
    X-Forwarded-For the client sent itself, `forwarded_for`)."""
    header = ", ".join(a for a in (forwarded_for, via_proxy_from) if a)
    headers = {"X-Forwarded-For": header} if header else {}
    remote = PROXY if via_proxy_from else "127.0.0.1"
    return client.post("/auth/login", data={"login_id": login_id, "password": password}, headers=headers,
                       environ_base={"REMOTE_ADDR": remote})


def signs_in(response) -> bool:
    return response.status_code == 302 and response.location == "/"


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1, LOGIN_FAILURES_PER_ADDRESS="3 per 15 minutes")
def test_behind_one_trusted_hop_failures_from_one_address_do_not_block_another(app, tree, make_user):
    members = [make_user(tree["a1"]) for _ in range(4)]
    for victim in members[:3]:
        log_in(app.test_client(), victim.login_id, "wrong", via_proxy_from=ATTACKER)
    assert log_in(app.test_client(), members[3].login_id, PASSWORD, via_proxy_from=ATTACKER).status_code == 429
    assert signs_in(log_in(app.test_client(), members[3].login_id, PASSWORD, via_proxy_from=NEIGHBOUR))


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1)
def test_the_owner_signs_in_from_their_own_address_while_an_attacker_is_locked_out(app, member):
    attacker = app.test_client()
    responses = [log_in(attacker, member.login_id, "guess", via_proxy_from=ATTACKER) for _ in range(12)]
    assert {r.status_code for r in responses[:5]} == {200} and {r.status_code for r in responses[5:]} == {429}
    assert log_in(attacker, member.login_id, PASSWORD, via_proxy_from=ATTACKER).status_code == 429
    assert signs_in(log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=OWNER))


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1)
def test_a_client_cannot_choose_its_address_through_a_trusted_proxy(app, member):
    # nginx appends the address it saw; what the client wrote in X-Forwarded-For before that is not believed.
    for number in range(6):
        log_in(app.test_client(), member.login_id, "guess", via_proxy_from=ATTACKER,
               forwarded_for=f"198.18.0.{number}")
    assert log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=ATTACKER,
                  forwarded_for=OWNER).status_code == 429


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1, LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS="3 per 15 minutes",
                        LOGIN_FAILURES_PER_ACCOUNT="6 per 15 minutes")
def test_an_account_wide_ceiling_stops_guessing_from_many_addresses(app, member):
    for address in ("203.0.113.1", "203.0.113.2"):
        for _ in range(3):
            log_in(app.test_client(), member.login_id, "guess", via_proxy_from=address)
    assert log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=OWNER).status_code == 429


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1, LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS="3 per 15 minutes",
                        LOGIN_FAILURES_PER_ACCOUNT="6 per 15 minutes")
def test_attackers_on_many_addresses_cannot_lock_the_owner_out_of_their_usual_address(app, member):
    assert signs_in(log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=OWNER))
    for number in range(1, 12):  # eleven addresses, three guesses each: the ceiling is long reached
        for _ in range(3):
            log_in(app.test_client(), member.login_id, "guess", via_proxy_from=f"203.0.113.{number}")
    assert log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=NEIGHBOUR).status_code == 429
    assert log_in(app.test_client(), member.login_id, "guess", via_proxy_from="203.0.113.99").status_code == 429
    assert signs_in(log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from=OWNER))


@pytest.mark.app_config(LOGIN_FAILURES_PER_ADDRESS="3 per 15 minutes")
def test_without_trusted_hops_a_forged_forwarded_for_changes_nothing(app, tree, make_user):
    members = [make_user(tree["a1"]) for _ in range(4)]
    for number, victim in enumerate(members[:3]):
        log_in(app.test_client(), victim.login_id, "wrong", forwarded_for=f"198.18.0.{number}")
    assert log_in(app.test_client(), members[3].login_id, PASSWORD, forwarded_for=NEIGHBOUR).status_code == 429


def test_the_default_figures_let_a_shared_address_fail_often_without_locking_it(app, tree, make_user):
    """A whole village behind one NAT address: 90 failures in a quarter of an hour, none locked out."""
    members = [make_user(tree["a1"]) for _ in range(30)]
    for victim in members:
        for _ in range(3):
            assert log_in(app.test_client(), victim.login_id, "typo").status_code == 200
    assert all(signs_in(log_in(app.test_client(), m.login_id, PASSWORD)) for m in members)


@pytest.mark.parametrize("language, reason, after", [
    ("zh_Hans", "此账号在您所在网络的密码错误次数过多", "之后再试"),
    ("en", "Too many wrong passwords for this account from your network", "You can try again after"),
])
def test_the_lockout_says_why_and_until_when_in_the_visitors_language(app, member, language, reason, after):
    client = app.test_client()
    client.post("/language", data={"language": language, "next": "/auth/login"})
    for _ in range(5):
        log_in(client, member.login_id, "guess")
    response = log_in(client, member.login_id, "guess")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert reason in page and after in page
    assert 'name="login_id"' in page  # the login form, to try again later


@pytest.mark.parametrize("language, reason", [("zh_Hans", "您所在网络的密码错误次数过多"),
                                              ("en", "Too many wrong passwords from your network")])
@pytest.mark.app_config(LOGIN_FAILURES_PER_ADDRESS="2 per 15 minutes")
def test_the_address_lockout_is_explained_in_the_visitors_language(app, tree, make_user, language, reason):
    client = app.test_client()
    client.post("/language", data={"language": language, "next": "/auth/login"})
    for _ in range(2):
        log_in(client, make_user(tree["a1"]).login_id, "guess")
    response = log_in(client, make_user(tree["a1"]).login_id, "guess")
    assert response.status_code == 429 and reason in response.get_data(as_text=True)


@pytest.mark.parametrize("language, reason", [("zh_Hans", "此账号在多处的密码错误次数过多"),
                                              ("en", "Too many wrong passwords for this account from many places")])
@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1, LOGIN_FAILURES_PER_ACCOUNT="2 per 15 minutes")
def test_the_account_ceiling_is_explained_in_the_visitors_language(app, member, language, reason):
    for address in ("203.0.113.1", "203.0.113.2"):
        log_in(app.test_client(), member.login_id, "guess", via_proxy_from=address)
    client = app.test_client()
    client.post("/language", data={"language": language, "next": "/auth/login"})
    response = log_in(client, member.login_id, PASSWORD, via_proxy_from=OWNER)
    assert response.status_code == 429 and reason in response.get_data(as_text=True)


@pytest.mark.app_config(TRUSTED_PROXY_HOPS=1)
def test_the_addresses_of_one_ipv6_network_count_as_one(app, member):
    # An IPv6 subscriber holds a whole /64: changing the last bits must not buy fresh tries.
    for host in range(1, 6):
        log_in(app.test_client(), member.login_id, "guess", via_proxy_from=f"2001:db8:1:2::{host}")
    assert log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from="2001:db8:1:2::99").status_code == 429
    assert signs_in(log_in(app.test_client(), member.login_id, PASSWORD, via_proxy_from="2001:db8:1:3::1"))
