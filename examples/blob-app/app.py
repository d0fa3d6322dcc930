"""A minimal WSGI app that stores and reads blobs, run on a server outside Azure.

It follows Microsoft's guidance for Python apps hosted outside Azure: the app's identity is a service principal
whose client ID, tenant ID and client secret reach the process as AZURE_CLIENT_ID, AZURE_TENANT_ID and
AZURE_CLIENT_SECRET (here from systemd's EnvironmentFile=), and the code only says DefaultAzureCredential().
With a certificate instead of a secret, AZURE_CLIENT_CERTIFICATE_PATH names the server's PEM (private key and
certificate) and the code stays the same (docs/certificate-signin.md).

    PUT /blobs/<container>/<name>   store the request body (the container is created when missing)
    GET /blobs/<container>/<name>   read it back
    GET /healthz                    200 when the process is up (it signs in to nothing)

STORAGE_ACCOUNT_URL, such as https://stinventorydev.blob.core.windows.net, names the storage account.
"""
import json
import os

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError
from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobServiceClient, LinearRetry

credential = DefaultAzureCredential()
# The SDK's default retries (15 s, then longer, for a minute) suit batch jobs, not a web request holding a
# worker: retry twice, a second apart (0-2 s with jitter), and let the caller see the error. Not ExponentialRetry:
# its wait is initial_backoff + increment_base ** retry, so even (1, 2) waits 3 s and then 5 s
# (azure/storage/blob/_shared/policies.py, ExponentialRetry.get_backoff_time and StorageRetryPolicy.increment).
blob_service = BlobServiceClient(
    os.environ["STORAGE_ACCOUNT_URL"],
    credential=credential,
    retry_policy=LinearRetry(backoff=1, retry_total=2, random_jitter_range=1),
)


def app(environ, start_response):
    method = environ["REQUEST_METHOD"]
    parts = environ.get("PATH_INFO", "").strip("/").split("/", 2)
    if parts == ["healthz"]:
        return respond(start_response, 200, {"status": "ok"})
    if len(parts) != 3 or parts[0] != "blobs" or not parts[1] or not parts[2]:
        return respond(start_response, 404, {"error": "NotFound"})
    container, name = parts[1], parts[2]
    try:
        if method == "PUT":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            container_client = blob_service.get_container_client(container)
            try:
                container_client.create_container()
            except ResourceExistsError:
                pass
            container_client.upload_blob(name, body, overwrite=True)
            return respond(start_response, 201, {"container": container, "name": name, "bytes": len(body)})
        if method == "GET":
            data = blob_service.get_blob_client(container, name).download_blob().readall()
            start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(data)))])
            return [data]
        return respond(start_response, 405, {"error": "MethodNotAllowed"})
    except ClientAuthenticationError as error:
        # Sign-in to Entra ID failed (wrong, expired or revoked credential): the message carries the AADSTS code.
        return respond(start_response, 502, {"error": "SignInFailed", "message": error.message})
    except HttpResponseError as error:
        return respond(start_response, error.status_code or 502, {"error": error.error_code or "StorageError"})


def respond(start_response, status, document):
    body = json.dumps(document).encode("utf-8")
    reasons = {200: "OK", 201: "Created", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 502: "Bad Gateway"}
    start_response(f"{status} {reasons.get(status, 'Error')}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
