/** localazure/requestLog.ts: what the log keeps of a request, and the JSON lines it writes. */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorCodeOf, loggableQuery, RequestLogWriter, type RequestLogEntry } from "../localazure/requestLog";

describe("the request log", () => {
    it("masks a SAS signature and keeps the rest of the query as sent", () => {
        expect(loggableQuery("?sv=2022-11-02&sig=abc%2Fdef&se=2027")).toBe("?sv=2022-11-02&sig=***&se=2027");
        expect(loggableQuery("?$filter=appId%20eq%20%27x%27")).toBe("?$filter=appId%20eq%20%27x%27");
    });

    it("reads the error code as Graph, ARM, Entra and Storage write it", () => {
        expect([
            errorCodeOf({ status: 403, body: JSON.stringify({ error: { code: "Authorization_RequestDenied", message: "x" } }) }),
            errorCodeOf({ status: 401, body: JSON.stringify({ error: "invalid_client", error_description: "AADSTS7000215" }) }),
            errorCodeOf({ status: 403, headers: { "x-ms-error-code": "AuthorizationPermissionMismatch" }, body: "<?xml version=\"1.0\"?><Error/>" }),
            errorCodeOf({ status: 200, body: JSON.stringify({ error: { code: "ignored" } }) }),
        ]).toEqual(["Authorization_RequestDenied", "invalid_client", "AuthorizationPermissionMismatch", null]);
    });

    it("appends one JSON line per request to a 0600 file", () => {
        const path = join(mkdtempSync(join(tmpdir(), "request-log-")), "requests.jsonl");
        const entry: RequestLogEntry = { time: "2027-01-01T00:00:00.000Z", caller: null, method: "GET", host: "management.azure.com",
            path: "/metadata/endpoints", query: "?api-version=2022-09-01", status: 200, error: null };
        const writer = new RequestLogWriter(path);
        writer.write(entry);
        writer.write({ ...entry, status: 404, error: "InvalidResourceType" });
        writer.close();
        expect(readFileSync(path, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as RequestLogEntry))
            .toEqual([entry, { ...entry, status: 404, error: "InvalidResourceType" }]);
        expect(statSync(path).mode & 0o777).toBe(0o600);
    });
});
