from chaincard.console.csrf import origin_of, same_origin, token_matches

HERE = {"http://127.0.0.1:8700"}


def test_origins_are_compared_by_scheme_host_and_port():
    assert origin_of("http://127.0.0.1:8700/members?q=1") == "http://127.0.0.1:8700"
    assert origin_of("HTTPS://Console.Example.com:443/x") == "https://console.example.com"
    assert origin_of("http://[::1]:8700/") == "http://[::1]:8700"
    assert origin_of("null") == origin_of("javascript:alert(1)") == origin_of("http://host:notaport/") == ""


def test_a_post_needs_its_own_origin_or_referer():
    assert same_origin("http://127.0.0.1:8700", None, HERE)
    assert same_origin(None, "http://127.0.0.1:8700/cards/1/freeze", HERE)
    assert not same_origin("https://evil.example", "http://127.0.0.1:8700/", HERE)  # Origin decides
    assert not same_origin("null", None, HERE)
    assert not same_origin("http://127.0.0.1:8701", None, HERE)
    assert not same_origin(None, None, HERE)


def test_the_csrf_token_must_match_exactly():
    assert token_matches("abc", "abc")
    assert not token_matches("abc", "abd") and not token_matches("abc", None) and not token_matches("", "")
