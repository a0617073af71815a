"""A local stand-in for Google's OIDC issuer: an RSA key, its JWKS, and ID tokens for any email.

The tokens have the shape of Google's (RS256, ``kid``, ``iss``, ``aud``, ``sub``, ``email``,
``email_verified``, names, ``locale``), so the service verifies them with exactly the code
it uses against Google.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

LOCAL_CLIENT_ID = "local-console.apps.googleusercontent.com"
JWKS_MAX_AGE_SECONDS = 300


class SigningKey:
    """An RSA key pair with a key id, as an issuer publishes it."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


class LocalGoogleIssuer:
    """Signs Google-shaped ID tokens and publishes the keys that verify them."""

    def __init__(self, issuer: str, client_id: str = LOCAL_CLIENT_ID) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.keys = [SigningKey("local-1")]

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/oauth2/v3/certs"

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys]}

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
            "subject_types_supported": ["public"],
        }

    def rotate(self) -> SigningKey:
        """Publish a new key and sign with it from now on (the old one stays published)."""
        key = SigningKey(f"local-{len(self.keys) + 1}")
        self.keys.append(key)
        return key

    @staticmethod
    def subject_for(email: str) -> str:
        """A stable Google-like numeric subject for an email."""
        return str(int(hashlib.sha256(email.lower().encode()).hexdigest()[:16], 16))

    def id_token(
        self,
        email: str,
        first_name: str = "",
        last_name: str = "",
        /,
        *,
        key: SigningKey | None = None,
        lifetime_seconds: int = 3600,
        **claims: Any,
    ) -> str:
        """An ID token for ``email``; ``claims`` override or add any claim."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "azp": self.client_id,
            "aud": self.client_id,
            "sub": self.subject_for(email),
            "email": email,
            "email_verified": True,
            "name": f"{first_name} {last_name}".strip() or email.split("@")[0],
            "given_name": first_name or email.split("@")[0],
            "family_name": last_name,
            "locale": "en",
            "iat": now,
            "exp": now + lifetime_seconds,
            **claims,
        }
        signer = key or self.keys[-1]
        return jwt.encode(payload, signer.private_key, algorithm="RS256", headers={"kid": signer.kid})


SIGN_IN_SCRIPT = Path(__file__).parent / "pages" / "gsi-client.js"


def sign_in_script(registered: dict[str, Any]) -> str:
    """The stand-in for Google's sign-in script (``https://accounts.google.com/gsi/client``), knowing
    the client id, origins and token URL ``registered`` with it, as Google's knows a project's."""
    return SIGN_IN_SCRIPT.read_text().replace("__REGISTERED__", json.dumps(registered))
