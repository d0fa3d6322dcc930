"""Sign in as the app identity of an env file, the way the blob app does, and say whether it worked.

Run it on a server with the env file's variables, for example under systemd with EnvironmentFile=, or:

    set -a; . /etc/inventory-api/azure.env; set +a; /srv/inventory-api/.venv/bin/python token_check.py

DefaultAzureCredential() with no arguments reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET
(EnvironmentCredential, first in its chain). With --verbose, azure.identity's INFO lines on standard error say
which credential of the chain was configured and which one signed in. The token itself is a credential: it is
never printed.
"""
import json
import logging
import sys

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential

STORAGE_SCOPE = "https://storage.azure.com/.default"


def main() -> int:
    if "--verbose" in sys.argv[1:]:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        identity_log = logging.getLogger("azure.identity")
        identity_log.setLevel(logging.INFO)
        identity_log.addHandler(handler)
    credential = DefaultAzureCredential()
    try:
        token = credential.get_token(STORAGE_SCOPE)
    except ClientAuthenticationError as error:
        print(f"sign-in failed: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps({"signedIn": True, "scope": STORAGE_SCOPE, "expiresOn": token.expires_on}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
