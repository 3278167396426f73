"""Single sign-on with an OpenID provider (authorization code with PKCE): discovery, keys, the ID token's checks,
the sign-ins under way, roles to tiers, and the two routes (start, callback)."""
