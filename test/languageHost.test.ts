/**
 * The language host model against the rules of pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go at
 * v3.248.0 (constructArguments, constructConfig, parseOptions, getPackagesFromDir). The engine suite runs it under
 * the real CLI; these pin each rule on its own.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { constructArguments, constructConfig, parseOptions, requiredPackages } from "../tools/pulumi/languageHost";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

describe("the Node.js language host model (main.go)", () => {
    const base = {
        runPath: "/p/node_modules/@pulumi/pulumi/cmd/run/index.js",
        monitorAddress: "127.0.0.1:5000",
        engineAddress: "127.0.0.1:6000",
        organization: "",
        project: "app-identity",
        rootDirectory: "/p",
        stack: "dev",
        programDirectory: "/p/infra",
        dryRun: true,
        parallel: 48,
        entryPoint: ".",
        args: [],
    };

    it("constructArguments: flags in main.go's order, empty ones left out, --dry-run only in a preview", () => {
        expect(constructArguments(base)).toEqual([
            base.runPath, "--monitor", "127.0.0.1:5000", "--engine", "127.0.0.1:6000", "--project", "app-identity",
            "--root-directory", "/p", "--stack", "dev", "--pwd", "/p/infra", "--dry-run", "--parallel", "48", ".",
        ]);
        expect(constructArguments({ ...base, dryRun: false, organization: "org", args: ["x"] })).toEqual([
            base.runPath, "--monitor", "127.0.0.1:5000", "--engine", "127.0.0.1:6000", "--organization", "org",
            "--project", "app-identity", "--root-directory", "/p", "--stack", "dev", "--pwd", "/p/infra",
            "--parallel", "48", ".", "x",
        ]);
    });

    it("constructConfig: <namespace>:<name> becomes <namespace>:config:<name>, values as the engine's text", () => {
        expect(JSON.parse(constructConfig(new Map([
            ["app-identity:production", "true"],
            ["azuread:tenantId", "t"],
        ])))).toEqual({ "app-identity:config:production": "true", "azuread:config:tenantId": "t" });
        expect(() => constructConfig(new Map([["bare", "1"]]))).toThrow('invalid config key "bare": it has no namespace');
    });

    it("parseOptions: typescript defaults to true; wrong types are refused with main.go's words", () => {
        expect(parseOptions({})).toEqual({ typescript: true, tsconfigpath: "", nodeargs: "" });
        expect(parseOptions({ typescript: false, tsconfig: "../tsconfig.json" }))
            .toEqual({ typescript: false, tsconfigpath: "../tsconfig.json", nodeargs: "" });
        expect(() => parseOptions({ typescript: "yes" })).toThrow("typescript option must be a boolean");
        expect(() => parseOptions({ tsconfig: 1 })).toThrow("tsconfigpath option must be a string");
    });

    it("getPackagesFromDir: only package.json files under node_modules with pulumi.resource name plugins", () => {
        const dir = mkdtempSync(join(tmpdir(), "host-"));
        const pkg = (path: string, json: object) => {
            mkdirSync(join(dir, path), { recursive: true });
            writeFileSync(join(dir, path, "package.json"), JSON.stringify(json));
        };
        pkg("", { name: "program", pulumi: { resource: true } });
        pkg("node_modules/@pulumi/azuread", { name: "@pulumi/azuread", version: "6.9.1", pulumi: { resource: true, name: "azuread" } });
        pkg("node_modules/@pulumi/random", { name: "@pulumi/random", version: "4.0.0", pulumi: { resource: true } });
        pkg("node_modules/left-pad", { name: "left-pad", version: "1.0.0" });
        const found = requiredPackages(dir).map((p) => [p.getName(), p.getKind(), p.getVersion()]).sort();
        expect(found).toEqual([["azuread", "resource", "v6.9.1"], ["random", "resource", "v4.0.0"]]);
    });

    it("the program's directory, infra/, has no node_modules: the host names no plugin (issue 11, item 10)", () => {
        expect(requiredPackages(join(PROJECT_ROOT, "infra"))).toEqual([]);
    });
});
