"""Security (DESIGN §7, issue 7): mutual TLS, operator tokens, one authorising interceptor, rate
limits and field bounds.

- :mod:`chaincard.security.certs`      the chain CA and a certificate per service and store
- :mod:`chaincard.security.tls`        gRPC credentials from those files; who is calling
- :mod:`chaincard.security.identity`   roles, scopes, places, principals
- :mod:`chaincard.security.tokens`     HQ-signed Ed25519 operator tokens; cached verification keys
- :mod:`chaincard.security.authz`      the role × RPC matrix and ``AuthorizationInterceptor``
- :mod:`chaincard.security.client`     what a client (``chaincard login``) sends
- :mod:`chaincard.security.rate_limit` PIN and look-up attempts per card and per store
- :mod:`chaincard.security.bounds`     generic bounds on every request field
"""
