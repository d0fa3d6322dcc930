import { describe, expect, it } from "vitest";
import { main, planRevoke, shellLine, type Console } from "../tools/revoke";
import { runCli, withPath } from "./cli";
import { ROOT } from "./harness";

const TYPE = "appidentity:azure:AppIdentity";
const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::app-identity::${TYPE}$${type}::${name}`;
const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";
const RA = "azure-native:authorization:RoleAssignment";

/** A console that answers the confirmation as told and records the commands it would run. */
function fakeConsole(options: { interactive?: boolean; answer?: boolean; cli?: "present" | "missing"; failOn?: string }) {
    const ran: string[][] = [];
    const asked: string[] = [];
    const io: Console = {
        isInteractive: options.interactive ?? true,
        confirm: (question) => { asked.push(question); return Promise.resolve(options.answer ?? false); },
        run: (command) => {
            if (options.cli === "missing") return "missing";
            ran.push([...command]);
            return options.failOn !== undefined && command[1] === options.failOn ? 255 : 0;
        },
    };
    return { io, ran, asked };
}

describe("planRevoke", () => {
    it("targets exactly a developer's app, service principal and secrets, with their role assignment as dependent", async () => {
        const plan = await planRevoke(ROOT, "local", "alice");
        expect(plan.identity).toBe("inventory-api-local-alice");
        expect(plan.replaced).toEqual([
            urn("local", APP, "inventory-api-local-alice"),
            urn("local", PASSWORD, "inventory-api-local-alice-secret-a"),
            urn("local", PASSWORD, "inventory-api-local-alice-secret-b"),
            urn("local", SP, "inventory-api-local-alice"),
        ]);
        expect(plan.dependents).toEqual([urn("local", RA, "inventory-api-local-alice-rg-inventory-dev-storage-blob-data-contributor")]);
        expect(plan.unprotect).toEqual([]);
        expect(plan.up).toEqual(["pulumi", "up", "--stack", "local",
            ...plan.replaced.flatMap((u) => ["--target-replace", u]), "--target-dependents", "--yes", "--skip-preview"]);
        expect(plan.preview).toEqual(["pulumi", "preview", "--stack", "local",
            ...plan.replaced.flatMap((u) => ["--target-replace", u]), "--target-dependents"]);
    });

    it("lifts the protection of exactly the production identity's resources first", async () => {
        const plan = await planRevoke(ROOT, "prod", undefined);
        expect(plan.production).toBe(true);
        expect(plan.unprotect.map((command) => command.at(-1))).toEqual([...plan.replaced, ...plan.dependents]);
        expect(plan.unprotect[0]).toEqual(["pulumi", "state", "unprotect", "--stack", "prod", "--yes", plan.replaced[0]]);
        expect(plan.dependents).toHaveLength(2);
    });
});

describe("npm run revoke", () => {
    it("documents itself with --help", async () => {
        const result = await runCli((argv) => main(argv), ["--help"]);
        expect(result.code).toBe(0);
        expect(result.stdout.split("\n")[0]).toBe("usage: npm run revoke -- --stack NAME [--developer NAME] [--yes] [--print-commands]");
        expect(result.stdout).toContain("--target-replace");
    });

    it("shows the preview, asks, and replaces on yes", async () => {
        const { io, ran, asked } = fakeConsole({ answer: true });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "dev"]);
        expect(result.code).toBe(0);
        const plan = await planRevoke(ROOT, "dev", undefined);
        expect(ran).toEqual([plan.preview, plan.up]);
        expect(asked).toEqual(["Revoke inventory-api-dev? Its old secrets stop working at once. [y/N] "]);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: inventory-api-dev now has a new app, service principal " +
            "and secrets. Write its env file again: npm run env-file -- --stack dev --out PATH");
    });

    it("replaces nothing when the answer is no", async () => {
        const { io, ran } = fakeConsole({ answer: false });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "local", "--developer", "bob"]);
        expect(result.code).toBe(1);
        expect(ran.map((command) => command[1])).toEqual(["preview"]);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: nothing was replaced");
    });

    it("runs without asking with --yes, and refuses to guess without a terminal", async () => {
        const scripted = fakeConsole({ interactive: false });
        expect((await runCli((argv) => main(argv, scripted.io, ROOT), ["--stack", "prod", "--yes"])).code).toBe(0);
        expect(scripted.asked).toEqual([]);
        expect(scripted.ran.map((command) => command.slice(0, 3).join(" "))).toEqual([
            ...Array(6).fill("pulumi state unprotect"), "pulumi preview --stack", "pulumi up --stack",
        ]);

        const unattended = fakeConsole({ interactive: false });
        const result = await runCli((argv) => main(argv, unattended.io, ROOT), ["--stack", "dev"]);
        expect(result.code).toBe(1);
        expect(result.stderr.split("\n").at(-1)).toBe("revoke: standard input is not a terminal, so nobody can confirm: pass --yes");
        expect(unattended.ran.map((command) => command[1])).toEqual(["preview"]);
    });

    it("stops at the first failing command", async () => {
        const { io, ran } = fakeConsole({ answer: true, failOn: "preview" });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "dev"]);
        expect(result.code).toBe(1);
        expect(ran).toHaveLength(1);
        expect(result.stderr.split("\n").at(-1)).toMatch(/^revoke: 'pulumi preview --stack dev .*' failed \(exit 255\); stopped there$/);
    });

    it("prints the exact commands when the Pulumi CLI is missing, and says nothing was revoked", async () => {
        const { io } = fakeConsole({ cli: "missing" });
        const result = await runCli((argv) => main(argv, io, ROOT), ["--stack", "local", "--developer", "alice", "--yes"]);
        expect(result.code).toBe(1);
        const plan = await planRevoke(ROOT, "local", "alice");
        expect(result.stdout).toBe([shellLine(plan.preview), shellLine(plan.up)].join("\n"));
        expect(result.stderr).toContain("revoke: the Pulumi CLI is not on PATH, so nothing was revoked. Run these where it is:");
    });

    it("finds out for real that the CLI is missing, running nothing", async () => {
        const result = await withPath("/nonexistent", () => runCli((argv) => main(argv), ["--stack", "dev", "--yes"]));
        const plan = await planRevoke(ROOT, "dev", undefined);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe([shellLine(plan.preview), shellLine(plan.up)].join("\n"));
    });

    it.each<[string, string[], string, number]>([
        ["no stack", [], "revoke: name the stack with --stack NAME", 2],
        ["a developer stack without --developer", ["--stack", "local"],
            "revoke: stack local has an identity per developer (alice, bob): name one with --developer", 1],
        ["an unknown developer", ["--stack", "local", "--developer", "mallory"],
            'revoke: stack local has no developer "mallory"; its developers: alice, bob', 1],
        ["--developer on an environment stack", ["--stack", "dev", "--developer", "alice"],
            "revoke: stack dev has no developers; leave out --developer", 1],
        ["an unknown stack", ["--stack", "staging"],
            "revoke: stacks/Pulumi.staging.yaml: no such stack; the stacks are: dev, local, prod, test", 1],
    ])("refuses %s in one line", async (_case, args, message, code) => {
        const { io, ran } = fakeConsole({});
        expect(await runCli((argv) => main(argv, io, ROOT), args)).toEqual({ code, stdout: "", stderr: message });
        expect(ran).toEqual([]);
    });
});

describe("shellLine", () => {
    it.each([
        [["pulumi", "up", "--stack", "dev"], "pulumi up --stack dev"],
        [["a$b", "it's", "x y"], "'a$b' 'it'\\''s' 'x y'"],
    ])("quotes %j as %s", (command, line) => {
        expect(shellLine(command)).toBe(line);
    });
});
