import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assessExpiry, main } from "../tools/expiry/command";
import { runCli, withPath } from "./cli";
import { ROOT } from "./harness";

const OUTPUTS = join(ROOT, "test", "fixtures", "outputs");
const DEV = join(OUTPUTS, "dev.json");
const expiry = (...args: string[]) => runCli(main, args);

describe("npm run expiry", () => {
    it("exits 0 when the newest secret is 17 months away", async () => {
        // 2028-04-17 is 17 months after 2026-11-17; the previous secret (2027-04-17) is still valid.
        expect(await expiry("--from", DEV, "--at", "2026-11-17")).toEqual({
            code: 0,
            stderr: "",
            stdout: [
                `Client secrets of ${DEV} at 2026-11-17: ok`,
                "  inventory-api-dev-secret-a  newest    ends 2028-04-17  517 days left  OK",
                "  inventory-api-dev-secret-b  previous  ends 2027-04-17  151 days left  ok",
            ].join("\n"),
        });
    });

    it("exits 1 when the newest secret is 19 days from expiry, and says why", async () => {
        const { code, stdout } = await expiry("--from", DEV, "--at", "2028-03-29");
        expect(code).toBe(1);
        expect(stdout.split("\n")).toEqual([
            `Client secrets of ${DEV} at 2028-03-29: FAILED`,
            "  inventory-api-dev-secret-a  newest    ends 2028-04-17  19 days left    FAIL",
            "  inventory-api-dev-secret-b  previous  ends 2027-04-17  -347 days left  EXPIRED",
            "warning: inventory-api-dev-secret-a, the newest client secret, ends in 19 days (within --fail-days 30): " +
                "a rotation is overdue; run pulumi up",
            "warning: inventory-api-dev-secret-b expired on 2027-04-17: a rotation was missed; run pulumi up",
        ]);
    });

    it("warns inside --warn-days and still exits 0", async () => {
        const { code, stdout } = await expiry("--from", DEV, "--at", "2027-04-01", "--warn-days", "400");
        expect(code).toBe(0);
        expect(stdout.split("\n")).toEqual([
            `Client secrets of ${DEV} at 2027-04-01: ok`,
            "  inventory-api-dev-secret-a  newest    ends 2028-04-17  382 days left  WARN",
            "  inventory-api-dev-secret-b  previous  ends 2027-04-17  16 days left   ok",
            "warning: inventory-api-dev-secret-a, the newest client secret, ends in 382 days (within --warn-days 400)",
        ]);
    });

    it.each([
        ["2027-04-16T23:59:59Z", 0, ["ok", "previous"]],
        ["2027-04-17T00:00:00Z", 1, ["ok", "expired"]],
        ["2028-02-01", 1, ["warn", "expired"]],
        ["2028-04-17", 1, ["expired", "expired"]],
    ])("at %s exits %i with states %j", async (at, code, states) => {
        const result = await expiry("--from", DEV, "--at", at, "--format", "json");
        expect(result.code).toBe(code);
        expect(JSON.parse(result.stdout).secrets.map((secret: { state: string }) => secret.state)).toEqual(states);
    });

    it("--json-file: the table for people and the same report as --format json in the file, from one read", async () => {
        const file = join(mkdtempSync(join(tmpdir(), "expiry-json-")), "dev.expiry.json");
        const table = await expiry("--from", DEV, "--at", "2027-03-01", "--json-file", file);
        const json = await expiry("--from", DEV, "--at", "2027-03-01", "--format", "json");
        expect(table.code).toBe(json.code);
        expect(table.stdout.split("\n")[0]).toBe(`Client secrets of ${DEV} at 2027-03-01: ok`);
        expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(JSON.parse(json.stdout));
    });

    it("prints JSON for machines", async () => {
        const { code, stdout } = await expiry("--from", DEV, "--at", "2026-11-17", "--format", "json");
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toEqual({
            at: "2026-11-17T00:00:00.000Z",
            ok: true,
            secrets: [
                { identity: "inventory-api-dev", name: "inventory-api-dev-secret-a", endDate: "2028-04-17T00:00:00Z",
                    daysLeft: 517, newest: true, state: "ok" },
                { identity: "inventory-api-dev", name: "inventory-api-dev-secret-b", endDate: "2027-04-17T00:00:00Z",
                    daysLeft: 151, newest: false, state: "previous" },
            ],
            warnings: [],
        });
    });

    it("reads the outputs from standard input with --from -", async () => {
        const { spawnSync } = await import("node:child_process");
        const result = spawnSync(process.execPath, ["-r", "./common/cachedTypeScript.cjs", "tools/expiry/command.ts",
            "--from", "-", "--at", "2026-11-17"], { cwd: ROOT, input: readFileSync(DEV), encoding: "utf8" });
        expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
        expect(result.stdout.split("\n")[0]).toBe("Client secrets of standard input at 2026-11-17: ok");
    });

    it.each<[string, string[], string]>([
        ["outputs without secrets", ["--from", join(OUTPUTS, "no-secrets.json")],
            `expiry: the outputs of ${join(OUTPUTS, "no-secrets.json")} have no 'secrets' list of {name, startDate, ` +
            "endDate}; deploy the stack with this version of the program (pulumi up) first"],
        ["a file that is not JSON", ["--from", join(ROOT, "README.md")],
            `expiry: ${join(ROOT, "README.md")} is not JSON; expected what 'pulumi stack output --json' prints`],
        ["a missing file", ["--from", "/nonexistent/outputs.json"],
            "expiry: cannot read /nonexistent/outputs.json: ENOENT: no such file or directory, open '/nonexistent/outputs.json'"],
        ["no source", [], "expiry: say where the outputs come from: --stack NAME (runs the Pulumi CLI) or --from FILE|-"],
        ["two sources", ["--stack", "dev", "--from", DEV], "expiry: --stack and --from name two sources; give one"],
        ["bad days", ["--from", DEV, "--warn-days", "soon"], 'expiry: --warn-days is "soon"; expected a whole number of days'],
        ["thresholds the wrong way round", ["--from", DEV, "--warn-days", "10", "--fail-days", "20"],
            "expiry: --fail-days 20 is more than --warn-days 10"],
    ])("exits 2 with one line for %s", async (_case, args, message) => {
        // None of these reaches the CLI; an unknown stack, with the real CLI, is in test/engine/outputs.test.ts.
        const result = await withPath("/nonexistent", () => expiry(...args));
        expect(result).toEqual({ code: 2, stdout: "", stderr: message });
    });

    it("says how to go on when the Pulumi CLI is not installed", async () => {
        const result = await withPath("/nonexistent", () => expiry("--stack", "dev"));
        expect(result).toEqual({
            code: 2,
            stdout: "",
            stderr: "expiry: the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) " +
                "or pass the outputs with --from FILE",
        });
    });

    it("never prints a secret value, even from outputs that hold one", async () => {
        const dir = mkdtempSync(join(tmpdir(), "expiry-"));
        const withSecret = join(dir, "outputs.json");
        const secret = "Zx8~Q.r_5-abcdefghijklmnopqrstuvwxyz0123";
        writeFileSync(withSecret, JSON.stringify({ ...JSON.parse(readFileSync(DEV, "utf8")), clientSecret: secret }));
        for (const format of ["table", "json"]) {
            const result = await expiry("--from", withSecret, "--at", "2028-03-29", "--format", format);
            expect(result.stdout + result.stderr).not.toContain(secret);
        }
    });
});

describe("assessExpiry", () => {
    it("takes the secret with the latest end date as the newest, whatever the order", () => {
        const report = assessExpiry([
            { identity: "app", name: "old", endDate: new Date("2027-01-01T00:00:00Z") },
            { identity: "app", name: "new", endDate: new Date("2028-01-01T00:00:00Z") },
        ], new Date("2026-06-01T00:00:00Z"), { warnDays: 90, failDays: 30 });
        expect(report.secrets.map(({ name, newest }) => [name, newest])).toEqual([["new", true], ["old", false]]);
    });

    it("judges each developer's identity on its own newest secret", () => {
        const report = assessExpiry([
            { identity: "alice", name: "alice-a", endDate: new Date("2027-05-10T00:00:00Z") },
            { identity: "alice", name: "alice-b", endDate: new Date("2027-02-10T00:00:00Z") },
            { identity: "bob", name: "bob-a", endDate: new Date("2026-12-01T00:00:00Z") },
            { identity: "bob", name: "bob-b", endDate: new Date("2026-09-01T00:00:00Z") },
        ], new Date("2026-11-21T00:00:00Z"), { warnDays: 90, failDays: 30 });
        expect(report.secrets.map(({ name, newest, state }) => [name, newest, state])).toEqual([
            ["alice-a", true, "ok"], ["alice-b", false, "previous"], ["bob-a", true, "fail"], ["bob-b", false, "expired"],
        ]);
        expect(report.ok).toBe(false);
    });
});
