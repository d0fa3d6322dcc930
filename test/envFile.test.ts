import { lstatSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../tools/envFile/command";
import { renderEnvFile, type Identity } from "../tools/envFile/envFile";
import { runCli, withPath } from "./cli";
import { evaluateStackFile, ROOT } from "./harness";
import { installedVersions, pinnedVersions, READERS, requireVenv, type Variables } from "./support/envReaders";
import { showSecretsJson, writeOutputsFile } from "./support/outputs";

const KEYS = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"];

let outputs: Record<string, unknown>;
let secret: string;
const scratch = () => mkdtempSync(join(tmpdir(), "env-file-"));

beforeAll(async () => {
    outputs = showSecretsJson(await evaluateStackFile("inventory-api-dev"));
    secret = outputs["clientSecret"] as string;
});

const expectedVariables = (o: Record<string, unknown>): Variables => ({
    AZURE_CLIENT_ID: o["clientId"] as string,
    AZURE_TENANT_ID: o["tenantId"] as string,
    AZURE_CLIENT_SECRET: o["clientSecret"] as string,
    AZURE_SUBSCRIPTION_ID: o["subscriptionId"] as string,
});

const azureOnly = (variables: Variables): Variables =>
    Object.fromEntries(Object.entries(variables).filter(([key]) => KEYS.includes(key)));

function readWithEveryReader(files: readonly string[]): Record<string, Variables[]> {
    return Object.fromEntries(Object.entries(READERS).map(([name, read]) => [name, read(files).map(azureOnly)]));
}

describe("the Python readers", () => {
    it("run python-dotenv from the checkout's .venv, at the version pinned in examples/blob-app/requirements-test.txt", () => {
        expect(pinnedVersions()["python-dotenv"]).toBe("1.2.4");
        expect(installedVersions()["python-dotenv"]).toBe("1.2.4");
    });

    it("fail, never skip, without the venv, saying how to make it", () => {
        expect(() => requireVenv("/nonexistent/.venv/bin/python")).toThrow(new Error(
            "/nonexistent/.venv/bin/python is missing: run 'bash tools/setup/python.sh', which makes .venv/ with the " +
            "packages pinned in examples/blob-app/requirements-test.txt"));
    });
});

describe("npm run env-file", () => {
    it("writes a 0600 file that every reader reads as the stack's outputs", async () => {
        const dir = scratch();
        const from = writeOutputsFile(join(dir, "outputs.json"), outputs);
        const out = join(dir, "app.env");
        const result = await runCli(main, ["--from", from, "--out", out]);
        expect(result).toEqual({
            code: 0, stdout: "",
            stderr: `env-file: wrote ${out} (mode 0600) for inventory-api-dev; its client secret expires 2028-04-17T00:00:00Z`,
        });
        expect(statSync(out).mode & 0o777).toBe(0o600);
        expect(readFileSync(out, "utf8")).toBe([
            `# Microsoft Entra ID identity inventory-api-dev, from ${from}.`,
            "# The client secret expires 2028-04-17T00:00:00Z; write this file again after each rotation.",
            "# Written by 'npm run env-file'. Keep it mode 0600, readable by the service's user only.",
            `AZURE_CLIENT_ID='${String(outputs["clientId"])}'`,
            `AZURE_TENANT_ID='${String(outputs["tenantId"])}'`,
            `AZURE_CLIENT_SECRET='${secret}'`,
            `AZURE_SUBSCRIPTION_ID='${String(outputs["subscriptionId"])}'`,
            "",
        ].join("\n"));
        const read = readWithEveryReader([out]);
        expect(Object.keys(read)).toEqual(["systemd", "pythonDotenv", "nodeEnvFile", "dotenvPackage", "bash"]);
        for (const variables of Object.values(read)) expect(variables).toEqual([expectedVariables(outputs)]);
    });

    it("replaces an existing 0644 file with a 0600 one", async () => {
        const dir = scratch();
        const out = join(dir, "app.env");
        writeFileSync(out, "OLD=1\n", { mode: 0o644 });
        expect(statSync(out).mode & 0o777).toBe(0o644);
        const from = writeOutputsFile(join(dir, "outputs.json"), outputs);
        expect((await runCli(main, ["--from", from, "--out", out])).code).toBe(0);
        expect(statSync(out).mode & 0o777).toBe(0o600);
        expect(readFileSync(out, "utf8")).toContain(`AZURE_CLIENT_SECRET='${secret}'`);
    });

    it("never writes through a symbolic link, and leaves it and its target untouched", async () => {
        const dir = scratch();
        const target = join(dir, "elsewhere.txt");
        writeFileSync(target, "precious\n", { mode: 0o644 });
        const out = join(dir, "app.env");
        symlinkSync(target, out);
        const from = writeOutputsFile(join(dir, "outputs.json"), outputs);
        expect(await runCli(main, ["--from", from, "--out", out])).toEqual({
            code: 1, stdout: "",
            stderr: `env-file: ${out} is a symbolic link; give the path of the file itself (nothing was written)`,
        });
        expect(lstatSync(out).isSymbolicLink()).toBe(true);
        expect(readlinkSync(out)).toBe(target);
        expect(readFileSync(target, "utf8")).toBe("precious\n");
        expect(statSync(target).mode & 0o777).toBe(0o644);
    });

    it("refuses a value readers would read differently, writes nothing and keeps the old file", async () => {
        const dir = scratch();
        const out = join(dir, "app.env");
        writeFileSync(out, "OLD=1\n", { mode: 0o600 });
        const unsafe = "abc$HOME~def";
        const from = writeOutputsFile(join(dir, "outputs.json"), { ...outputs, clientSecret: unsafe });
        const result = await runCli(main, ["--from", from, "--out", out]);
        expect(result).toEqual({
            code: 1, stdout: "",
            stderr: "env-file: AZURE_CLIENT_SECRET holds a '$', which env file readers do not all read alike; nothing " +
                "was written: rotate the secret (README, 'Rotating at once after a leak') to get one without it",
        });
        expect(readFileSync(out, "utf8")).toBe("OLD=1\n");
        expect(result.stderr).not.toContain(unsafe);
    });

    it("prints the file to standard output only when that is not a terminal, or with --stdout", async () => {
        const dir = scratch();
        const from = writeOutputsFile(join(dir, "outputs.json"), outputs);
        const written: string[] = [];
        const terminal = (stdoutIsTerminal: boolean) => ({ stdoutIsTerminal, writeStdout: (t: string) => { written.push(t); } });

        const refused = await runCli((argv) => main(argv, terminal(true)), ["--from", from]);
        expect(refused).toEqual({
            code: 1, stdout: "",
            stderr: "env-file: standard output is a terminal and an env file can hold a client secret: write it with " +
                "--out PATH, or pass --stdout if you mean it",
        });
        expect(written).toEqual([]);

        expect((await runCli((argv) => main(argv, terminal(false)), ["--from", from])).code).toBe(0);
        expect((await runCli((argv) => main(argv, terminal(true)), ["--from", from, "--stdout"])).code).toBe(0);
        expect(written).toHaveLength(2);
        expect(written[0]).toBe(written[1]);
        expect(written[0]).toContain(`AZURE_CLIENT_SECRET='${secret}'`);
    });

    it("says how to get the secret from outputs read without --show-secrets", async () => {
        // Outputs as 'pulumi stack output --json' prints them without --show-secrets. With --stack the command asks
        // the CLI with --show-secrets: test/engine/outputs.test.ts runs it against the real CLI.
        const from = join(ROOT, "test", "fixtures", "outputs", "dev.json");
        const out = join(scratch(), "app.env");
        expect(await runCli(main, ["--from", from, "--out", out])).toEqual({
            code: 1, stdout: "",
            stderr: `env-file: the outputs of ${from} hide the client secret as [secret]; read them with ` +
                "'pulumi stack output --json --show-secrets'",
        });
        expect(() => statSync(out)).toThrow(/ENOENT/);
    });

    it.each<[string, (o: Record<string, unknown>) => Record<string, unknown>, string]>([
        ["a missing key", (o) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== "tenantId")),
            "the outputs of FROM have no 'tenantId'; expected the outputs of this project's stack"],
        ["a client ID that is not a GUID", (o) => ({ ...o, clientId: "inventory-api" }),
            "the outputs of FROM have 'clientId' \"inventory-api\"; expected a GUID"],
        ["a subscription that is not a GUID", (o) => ({ ...o, subscriptionId: 42 }),
            "the outputs of FROM have no 'subscriptionId'; expected the outputs of this project's stack"],
    ])("exits 1 with one line for %s", async (_case, change, message) => {
        const dir = scratch();
        const from = writeOutputsFile(join(dir, "outputs.json"), change(outputs));
        const out = join(dir, "app.env");
        const result = await runCli(main, ["--from", from, "--out", out]);
        expect(result).toEqual({ code: 1, stdout: "", stderr: `env-file: ${message.replace("FROM", from)}` });
        expect(() => statSync(out)).toThrow(/ENOENT/);
    });

    it.each<[string, string[], string, number]>([
        ["two destinations", ["--stack", "inventory-api-dev", "--out", "x.env", "--stdout"],
            "env-file: --out and --stdout name two destinations; give one", 2],
        ["no source", ["--out", "x.env"],
            "env-file: say where the outputs come from: --stack NAME (runs the Pulumi CLI) or --from FILE|-", 2],
    ])("reports %s in one line", async (_case, args, message, code) => {
        // Neither reaches the CLI; an unknown stack, with the real CLI, is in test/engine/outputs.test.ts.
        const result = await withPath("/nonexistent", () => runCli(main, args));
        expect(result).toEqual({ code, stdout: "", stderr: message });
    });

    it("says how to go on without the Pulumi CLI", async () => {
        const result = await withPath("/nonexistent", () => runCli(main, ["--stack", "inventory-api-dev", "--out", "x.env"]));
        expect(result).toEqual({
            code: 1, stdout: "",
            stderr: "env-file: the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) " +
                "or pass the outputs with --from FILE",
        });
    });
});

describe("npm run env-file for a developer of the local stack", () => {
    let local: Record<string, unknown>;
    let from: string;
    beforeAll(async () => {
        local = showSecretsJson(await evaluateStackFile("inventory-api-local"));
        from = writeOutputsFile(join(scratch(), "local.json"), local);
    });

    it("writes that developer's identity and secret", async () => {
        const out = join(scratch(), ".env");
        expect((await runCli(main, ["--from", from, "--developer", "alice", "--out", out])).code).toBe(0);
        const alice = (local["developers"] as Record<string, Record<string, unknown>>)["alice"]!;
        const aliceSecret = (local["developerSecrets"] as Record<string, string>)["alice"]!;
        for (const variables of Object.values(readWithEveryReader([out]))) {
            expect(variables).toEqual([{
                AZURE_CLIENT_ID: alice["clientId"], AZURE_TENANT_ID: local["tenantId"],
                AZURE_CLIENT_SECRET: aliceSecret, AZURE_SUBSCRIPTION_ID: local["subscriptionId"],
            }]);
        }
        expect(readFileSync(out, "utf8")).toContain("# Microsoft Entra ID identity inventory-api-local-alice, from");
    });

    it.each<[string, string[], string]>([
        ["no developer named", [], "FROM has an identity per developer (alice, bob): name one with --developer"],
        ["a developer not in the stack", ["--developer", "mallory"], 'FROM has no developer "mallory"; its developers: alice, bob'],
    ])("exits 1 for %s", async (_case, args, message) => {
        const result = await runCli(main, ["--from", from, "--out", join(scratch(), ".env"), ...args]);
        expect(result).toEqual({ code: 1, stdout: "", stderr: `env-file: ${message.replace("FROM", from)}` });
    });
});

describe("env file values, property-tested against every reader", () => {
    const identity = (clientSecret: string): Identity => ({
        clientId: "f5ff6201-14ea-58c5-af02-19f30ad8877c",
        tenantId: "00000000-0000-0000-0000-00000000aaaa",
        subscriptionId: "00000000-0000-0000-0000-00000000bbbb",
        clientSecret,
        clientSecretExpiresAt: "2028-04-17T00:00:00Z",
        displayName: "inventory-api-dev",
    });

    /** Render each secret; the ones refused are returned apart, the others read back by every reader. */
    function roundTrip(secrets: readonly string[]): { refused: string[]; read: Record<string, Variables[]>; accepted: string[] } {
        const dir = scratch();
        const refused: string[] = [];
        const accepted: string[] = [];
        const files: string[] = [];
        secrets.forEach((candidate, i) => {
            let content: string;
            try {
                content = renderEnvFile(identity(candidate), "a property test");
            } catch {
                refused.push(candidate);
                return;
            }
            const file = join(dir, `${i}.env`);
            writeFileSync(file, content);
            files.push(file);
            accepted.push(candidate);
        });
        return { refused, accepted, read: readWithEveryReader(files) };
    }

    const secretsOf = (alphabet: string, count: number, seed: number) => fc.sample(
        fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 64 }), { numRuns: count, seed });

    it.each([
        ["Entra's alphabet today, [A-Za-z0-9~._-]", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-"],
        ["older secrets' alphabet, with = ; + / ?", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-=;+/?"],
    ])("%s: every secret round-trips through every reader", (_name, alphabet) => {
        const secrets = secretsOf(alphabet, 40, 20261121);
        const { refused, accepted, read } = roundTrip(secrets);
        expect(refused).toEqual([]);
        for (const [reader, variables] of Object.entries(read)) {
            expect({ reader, secrets: variables.map((v) => v["AZURE_CLIENT_SECRET"]) }).toEqual({ reader, secrets: accepted });
        }
    });

    it("any printable text either round-trips through every reader or is refused", () => {
        const printable = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("") + "\n\t\r";
        const secrets = [...secretsOf(printable, 60, 7), "a'b", "a\\b", "a$b", "a`b", "a\nb", "#start", "end#", " pad "];
        const { refused, accepted, read } = roundTrip(secrets);
        expect(refused.every((s) => /['\\$`\n\t\r]/.test(s))).toBe(true);
        expect(accepted.every((s) => !/['\\$`\n\t\r]/.test(s))).toBe(true);
        expect(accepted).toContain(" pad ");
        for (const [reader, variables] of Object.entries(read)) {
            expect({ reader, secrets: variables.map((v) => v["AZURE_CLIENT_SECRET"]) }).toEqual({ reader, secrets: accepted });
        }
    });
});
