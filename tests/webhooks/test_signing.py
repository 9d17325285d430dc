"""Standard Webhooks signatures, and the addresses a webhook may call."""

from __future__ import annotations

import ipaddress
import re
import textwrap
from pathlib import Path

import pytest

from tracker.db import utcnow
from tracker.webhooks import addresses, signing


def test_the_signature_matches_the_standard_webhooks_test_vector():
    # From the Standard Webhooks specification's reference libraries.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = signing.headers(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signing.verify(secret, headers, body)
    assert not signing.verify(secret, headers, body + " ")
    assert not signing.verify(signing.new_secret(), headers, body)


def test_a_new_secret_is_32_random_bytes_with_its_prefix():
    one, two = signing.new_secret(), signing.new_secret()
    assert one.startswith("whsec_") and one != two
    assert len(signing._key(one)) == 32


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "ftp://example.com/hook",
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",  # shared address space
        "https://user:pass@example.com/hook",
        "https:///nohost",
        "not a url",
        "https://example.com:99999/hook",
    ],
)
def test_refused_urls_in_production(url):
    with pytest.raises(addresses.RefusedUrl):
        addresses.parse_url(url, allow_private=False)


def test_public_https_urls_pass_and_the_test_setting_opens_loopback():
    addresses.parse_url("https://hooks.example.com/brique?x=1", allow_private=False)
    addresses.parse_url("https://93.184.215.14:8443/hook", allow_private=False)
    addresses.parse_url("http://127.0.0.1:8080/hook", allow_private=True)


def test_a_host_that_resolves_to_loopback_is_refused_at_send_time(receiver):
    """The guard resolves the host when sending: a name pointing to 127.0.0.1 is never called."""
    answer = addresses.post(
        f"https://localhost.:{receiver.port}/hook", b"{}", {}, timeout=2, allow_private=False
    )
    assert answer.status_code is None and answer.error == "not a public address"
    with pytest.raises(addresses.RefusedUrl):
        addresses.resolve("localhost", 443, allow_private=False)
    assert receiver.received == []


def test_mapped_and_special_addresses_are_not_public():
    unspecified = "0.0.0.0"  # noqa: S104 (an address checked, not bound)
    for text in ("::ffff:10.0.0.1", "224.0.0.1", unspecified, "fe80::1", "127.0.0.53"):
        assert not addresses.is_public(ipaddress.ip_address(text)), text
    assert addresses.is_public(ipaddress.ip_address("93.184.215.14"))


def test_the_readmes_receiver_example_verifies_brique_signatures():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(textwrap.dedent(code.group(1)), namespace)  # noqa: S102 (the README's own example)
    verify = namespace["verify"]
    secret, body = signing.new_secret(), '{"type":"brick.created","data":{}}'
    headers = signing.headers(secret, "msg_1", int(utcnow().timestamp()), body)
    assert verify(secret, headers, body.encode())  # type: ignore[operator]
    assert not verify(secret, headers, body.encode() + b" ")  # type: ignore[operator]
    old = signing.headers(secret, "msg_1", int(utcnow().timestamp()) - 3600, body)
    assert not verify(secret, old, body.encode())  # type: ignore[operator]


def test_urls_with_spaces_or_non_ascii_characters_are_refused():
    for url in ("https://example.com/a b", "https://example.com/é", "https://example.com/\x7f"):
        with pytest.raises(addresses.RefusedUrl):
            addresses.parse_url(url, allow_private=True)
