/**
 * The language host model against the rules of pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, read at
 * pkg/v3.259.0-14 (1b5949891b, the newest the mirror holds; the project pins v3.276.0): constructArguments,
 * constructConfig, parseOptions, getPackagesFromDir, main's flags (with the arguments sdk/go/common/resource/plugin/plugin.go
 * buildPluginArguments gives a plugin); and sdk/policy_proxy.go's Abort at v3.276.0. The engine suite runs it under
 * the real CLI; these pin each rule on its own.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { constructArguments, constructConfig, parseHostFlags, parseOptions, requiredPackages } from "../tools/pulumi/languageHost";
import { PolicyProxy } from "../tools/pulumi/policyProxy";
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
        tracing: "",
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
        // maybeAppendArg("tracing", host.tracing) after --parallel: the host's own -tracing, handed on.
        expect(constructArguments({ ...base, tracing: "http://127.0.0.1:9411/api/v2/spans" }).slice(-5)).toEqual([
            "--parallel", "48", "--tracing", "http://127.0.0.1:9411/api/v2/spans", ".",
        ]);
    });

    it("main's flags: the engine's arguments as plugin.go builds them, parsed as Go's flag package does", () => {
        const engine = "127.0.0.1:12345";
        const none = { tracing: "", runtime: "nodejs", version: false };
        // plugin_test.go TestBuildPluginArguments, each case.
        expect(parseHostFlags([engine])).toEqual({ ...none, args: [engine] });
        expect(parseHostFlags(["-v=9", engine])).toEqual({ ...none, args: [engine] });
        expect(parseHostFlags(["--logtostderr", "-v=9", engine])).toEqual({ ...none, args: [engine] });
        expect(parseHostFlags(["--tracing", "127.0.0.1:6007", engine])).toEqual({ ...none, tracing: "127.0.0.1:6007", args: [engine] });
        expect(parseHostFlags(["--logtostderr", "-v=9", "--tracing", "127.0.0.1:6007", engine]))
            .toEqual({ ...none, tracing: "127.0.0.1:6007", args: [engine] });
        expect(parseHostFlags(["-tracing=http://x", "-runtime", "bun", engine, "-version"]))
            .toEqual({ tracing: "http://x", runtime: "bun", version: false, args: [engine, "-version"] });
        expect(parseHostFlags(["-version"])).toEqual({ ...none, version: true, args: [] });
        expect(parseHostFlags(["--", "-v"])).toEqual({ ...none, args: ["-v"] });
        expect(() => parseHostFlags(["-unknown", engine])).toThrow("flag provided but not defined: -unknown");
        expect(() => parseHostFlags(["--tracing"])).toThrow("flag needs an argument: -tracing");
    });

    it("constructConfig: <namespace>:<name> becomes <namespace>:config:<name>, values as the engine's text", () => {
        expect(JSON.parse(constructConfig(new Map([
            ["app-identity:production", "true"],
            ["azuread:tenantId", "t"],
        ])))).toEqual({ "app-identity:config:production": "true", "azuread:config:tenantId": "t" });
        expect(() => constructConfig(new Map([["bare", "1"]]))).toThrow('invalid config key "bare": it has no namespace');
    });

    it("parseOptions: typescript defaults to true, packagemanager to auto; wrong types are refused with main.go's words", () => {
        const defaults = { typescript: true, tsconfigpath: "", nodeargs: "", production: false, packagemanager: "auto" };
        expect(parseOptions({})).toEqual(defaults);
        expect(parseOptions({ typescript: false, tsconfig: "../tsconfig.json", production: true, packagemanager: "pnpm" }))
            .toEqual({ ...defaults, typescript: false, tsconfigpath: "../tsconfig.json", production: true, packagemanager: "pnpm" });
        expect(() => parseOptions({ typescript: "yes" })).toThrow("typescript option must be a boolean");
        expect(() => parseOptions({ tsconfig: 1 })).toThrow("tsconfigpath option must be a string");
        expect(() => parseOptions({ nodeargs: ["--inspect"] })).toThrow("nodeargs option must be a string");
        // main.go v3.252 (#23849): `production` must be a boolean.
        expect(() => parseOptions({ production: "yes" })).toThrow("production option must be a boolean");
        expect(() => parseOptions({ packagemanager: 1 })).toThrow("packagemanager option must be a string");
        expect(() => parseOptions({ packagemanager: "deno" }))
            .toThrow('packagemanager option must be one of auto, npm, yarn, pnpm or bun, got "deno"');
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

    it("getPackagesFromDir: a package's parameterization and (main.go v3.251, #23579) its extension, values base64 as Go's []byte", () => {
        const dir = mkdtempSync(join(tmpdir(), "host-"));
        mkdirSync(join(dir, "node_modules/ext"), { recursive: true });
        writeFileSync(join(dir, "node_modules/ext/package.json"), JSON.stringify({
            name: "ext", version: "1.2.3", pulumi: {
                resource: true, name: "base",
                parameterization: { name: "sub", version: "0.1.0", value: Buffer.from("p").toString("base64") },
                extensionParameterization: { name: "ext", version: "1.2.3", value: Buffer.from("e").toString("base64") },
            },
        }));
        const [found, ...rest] = requiredPackages(dir);
        expect(rest).toEqual([]);
        const view = (p: { getName(): string; getVersion(): string; getValue_asU8(): Uint8Array } | undefined) =>
            p && [p.getName(), p.getVersion(), Buffer.from(p.getValue_asU8()).toString()];
        expect([found!.getName(), found!.getVersion()]).toEqual(["base", "v1.2.3"]);
        expect(view(found!.getParameterization())).toEqual(["sub", "0.1.0", "p"]);
        expect(view(found!.getExtension$())).toEqual(["ext", "1.2.3", "e"]);
    });

    it("the program's directory, infra/, has no node_modules: the host names no plugin (issue 11, item 10)", () => {
        expect(requiredPackages(join(PROJECT_ROOT, "infra"))).toEqual([]);
    });

    it("policy_proxy.go Abort (v3.276.0): calls fail with \"policy pack not started: policy pack failed to start\", a second Abort changes nothing", async () => {
        const proxy = new PolicyProxy();
        const port = await proxy.start();
        const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        try {
            const call = (method: "getAnalyzerInfo" | "getPluginInfo") => new Promise<grpc.ServiceError | null>((done) =>
                client[method](new emptyproto.Empty(), (error: grpc.ServiceError | null) => done(error)));
            const pending = call("getAnalyzerInfo");
            proxy.abort(new Error("spawn node ENOENT"));
            proxy.abort(new Error("second abort"));
            for (const error of [await pending, await call("getPluginInfo")]) {
                expect([error?.code, error?.details]).toEqual([
                    grpc.status.UNKNOWN, "policy pack not started: policy pack failed to start: spawn node ENOENT"]);
            }
        } finally {
            client.close();
            proxy.stop();
        }
    });
});
