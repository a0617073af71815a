"""Stand-ins for the outside services the product trusts or pays, each speaking that service's
real protocol and failing the way it fails: Google's sign-in (``google``: an OIDC issuer, its
JWKS, and its sign-in script), Gemini (``gemini``) and Stripe (``stripe``). They are not AWS: the
local stack (``devstack``) emulates AWS and serves these beside it; tests serve them on their own."""
