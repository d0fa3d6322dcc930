import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { certificatePath, setCertificatesRoot } from "../infra/certificates";
import { makeSelfSigned } from "../tools/certificate/selfSigned";
import { main } from "../tools/expiry/command";
import { evaluate, exampleConfig } from "./harness";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

const NAME = "inventory-api-dev";
let outputsFile: string;

beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "expiry-cert-"));
    let key: string | undefined;
    for (const [day, from, to] of [["2026-07-10", "2026-07-10", "2027-07-10"], ["2026-01-10", "2026-01-10", "2027-01-10"]] as const) {
        const made = makeSelfSigned({ commonName: NAME, notBefore: new Date(`${from}T00:00:00Z`), notAfter: new Date(`${to}T00:00:00Z`),
            ...(key === undefined ? {} : { privateKeyPem: key }) });
        key = made.privateKeyPem;
        const file = join(dir, certificatePath(NAME, new Date(`${day}T00:00:00Z`)));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, made.certificatePem);
    }
    setCertificatesRoot(dir);
    const outputs = showSecretsJson(await evaluate("dev", exampleConfig({ credential: "certificate", secretRotationAnchor: "2024-01-10" })));
    outputsFile = writeOutputsFile(join(dir, "outputs.json"), outputs);
});

async function expiry(at: string): Promise<{ code: number; report: Record<string, unknown> }> {
    const printed: string[] = [];
    const original = console.log;
    console.log = (text: string) => printed.push(text);
    try {
        const code = await main(["--from", outputsFile, "--at", at, "--format", "json"]);
        return { code, report: JSON.parse(printed.join("\n")) as Record<string, unknown> };
    } finally {
        console.log = original;
    }
}

describe("npm run expiry for an identity with certificates", () => {
    it("lists both certificates and says when the next is due, warning within --warn-days of it", async () => {
        const { code, report } = await expiry("2026-11-21");
        expect(code).toBe(0);
        expect(report).toEqual({
            at: "2026-11-21T00:00:00.000Z", ok: true,
            secrets: [
                { credential: "certificate", identity: NAME, name: `${NAME}-certificate-b`, endDate: "2027-07-10T00:00:00Z", daysLeft: 231, newest: true, state: "ok" },
                { credential: "certificate", identity: NAME, name: `${NAME}-certificate-a`, endDate: "2027-01-10T00:00:00Z", daysLeft: 50, newest: false, state: "previous" },
            ],
            warnings: [`the next certificate of ${NAME} is due 2027-01-10 (in 50 days): make it on the server with npm run certificate -- new and commit it before then`],
            due: [{ identity: NAME, dueAt: "2027-01-10", daysLeft: 50 }],
        });
    });

    it("fails (exit 1) within --fail-days of the end of the certificate in use", async () => {
        const { code, report } = await expiry("2027-06-20");
        expect(code).toBe(1);
        expect(report["ok"]).toBe(false);
        expect(report["warnings"]).toEqual([
            `${NAME}-certificate-b, the newest certificate, ends in 20 days (within --fail-days 30): a rotation is overdue; commit the certificate that is due (npm run certificate -- new) and run pulumi up`,
            `${NAME}-certificate-a expired on 2027-01-10: a rotation was missed; commit the certificate that is due (npm run certificate -- new) and run pulumi up`,
            `the next certificate of ${NAME} was due 2027-01-10 (161 days ago): until it is committed, pulumi up refuses the stack; make it on the server with npm run certificate -- new`,
        ]);
    });
});
