"""The embedded development stack's own pieces (the development OIDC issuer, ...)."""
