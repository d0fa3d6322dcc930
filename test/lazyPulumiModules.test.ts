/**
 * common/lazyPulumiModules.cjs, preloaded into the program as the language host starts it (node <nodeargs> in
 * infra/): @pulumi/pulumi's runner loads its tracing module (cmd/run/tracing.js) without the OpenTelemetry SDK
 * packages it requires at its top, and tracing still sends what it sends without the preload; the SDK loads without
 * its Automation API, which is the real one at its first use.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "./harness";

const run = promisify(execFile);
const INFRA = join(ROOT, "infra");
/** Pulumi.yaml's nodeargs, which put common/lazyPulumiModules.cjs before the runner. */
const NODEARGS = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { nodeargs: string } } })
    .runtime.options.nodeargs.split(" ");
const TRACING_MODULE = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run", "tracing.js");

/** Requires the runner's tracing module and starts one span as run.js does; prints what the require cache holds. */
const LOAD_TRACING = `
const tracing = require("@pulumi/pulumi/cmd/run/tracing");
tracing.newSpan("language-runtime.run").end();
const sdkFiles = Object.keys(require.cache).filter((path) => path.includes("/node_modules/@opentelemetry/") && !path.includes("/@opentelemetry/api/"));
console.log(JSON.stringify({
    stubs: sdkFiles.filter((path) => require.cache[path].lazyPulumiModule === true).length,
    real: sdkFiles.filter((path) => require.cache[path].lazyPulumiModule !== true).length,
}));`;

async function loadTracing(preload: readonly string[], args: readonly string[] = [], env: NodeJS.ProcessEnv = {}) {
    // After "--", as the runner takes its arguments after its path.
    const { stdout } = await run(process.execPath, [...preload, "-e", LOAD_TRACING, "--", ...args], { cwd: INFRA, env: { ...process.env, ...env } });
    return JSON.parse(stdout) as { stubs: number; real: number };
}

describe("the runner's OpenTelemetry packages, loaded only if tracing is used (common/lazyPulumiModules.cjs)", () => {
    it("defers exactly the packages and names cmd/run/tracing.js takes at its top, and only the API is required besides", async () => {
        const source = readFileSync(TRACING_MODULE, "utf8");
        const destructured = Object.fromEntries([...source.matchAll(/^const \{ ([^}]+) \} = require\("(@opentelemetry\/[^"]+)"\);$/gm)]
            .map(([, names, name]) => [name!, names!.split(", ")]));
        const { stdout } = await run(process.execPath, ["-e", 'console.log(JSON.stringify(require("../common/lazyPulumiModules.cjs").TRACING))'], { cwd: INFRA });
        expect(JSON.parse(stdout)).toEqual(destructured);
        expect(Object.keys(destructured)).toHaveLength(6);
        expect([...source.matchAll(/require\("(@opentelemetry\/[^"]+)"\)/g)].map(([, name]) => name).filter((name) => !(name! in destructured)))
            .toEqual(["@opentelemetry/api"]);
    });

    it("with Pulumi.yaml's nodeargs, loads none of them: one stand-in each, and a span still starts", async () => {
        expect(await loadTracing(NODEARGS)).toEqual({ stubs: 6, real: 0 });
    });

    it("without the preload, loads them all as the SDK requires them", async () => {
        const without = await loadTracing([]);
        expect(without.stubs).toBe(0);
        expect(without.real).toBeGreaterThan(200);
    });

    it("defers nothing when the runner is asked to trace: --tracing URL, --tracing=URL, or a TRACEPARENT from the host", async () => {
        const real = (await loadTracing([])).real;
        expect(await loadTracing(NODEARGS, ["--tracing", "http://127.0.0.1:9411/api/v2/spans"])).toEqual({ stubs: 0, real });
        expect(await loadTracing(NODEARGS, ["--tracing=http://127.0.0.1:9411/api/v2/spans"])).toEqual({ stubs: 0, real });
        expect(await loadTracing(NODEARGS, [], { TRACEPARENT: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" })).toEqual({ stubs: 0, real });
    });

    it("tracing started anyway sends a Zipkin endpoint the same spans as without the preload: the stand-ins load the real packages", async () => {
        const spansSent = async (preload: readonly string[]) => {
            const received: unknown[] = [];
            const server = createServer((request, response) => {
                let body = "";
                request.on("data", (chunk: Buffer) => body += chunk.toString());
                request.on("end", () => {
                    received.push(...(JSON.parse(body) as unknown[]));
                    response.writeHead(202).end();
                });
            });
            await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/spans`;
            // run.js: start() when --tracing names an endpoint, a span per phase, stop() at exit. The child exits once
            // the exporter's requests are answered.
            const script = `const tracing = require("@pulumi/pulumi/cmd/run/tracing"); tracing.start(${JSON.stringify(url)});
                tracing.newSpan("language-runtime.run").end(); tracing.stop();`;
            await run(process.execPath, [...preload, "-e", script], { cwd: INFRA });
            await new Promise((closed) => server.close(closed));
            // What identifies a span and its time differ from run to run; its name, service, parent and tags do not.
            return (received as { name: string; localEndpoint: unknown; parentId?: string; tags: unknown }[])
                .map(({ name, localEndpoint, parentId, tags }) => ({ name, localEndpoint, child: parentId !== undefined, tags }))
                .sort((a, b) => a.name.localeCompare(b.name));
        };
        const without = await spansSent([]);
        expect(without.map((span) => [span.name, span.child])).toEqual([["language-runtime.run", true], ["nodejs-runtime-root", false]]);
        expect(await spansSent(NODEARGS)).toEqual(without);
    });
});

/** Loads @pulumi/pulumi, then uses its Automation API; prints whether execa, which it drives the CLI with, was loaded. */
const USE_AUTOMATION = `
const pulumi = require("@pulumi/pulumi");
const path = require.resolve("@pulumi/pulumi/automation");
const execa = () => Object.keys(require.cache).some((file) => file.includes("/node_modules/execa/"));
const before = { execa: execa(), stub: require.cache[path].lazyPulumiModule === true };
const api = pulumi.automation;
console.log(JSON.stringify({ before, esModule: api.__esModule, workspace: typeof api.LocalWorkspace.create, after: execa(),
    real: api.LocalWorkspace === require.cache[path].exports.LocalWorkspace }));`;

describe("the Automation API, which the SDK's index.js requires as it loads, loaded at its first use (common/lazyPulumiModules.cjs)", () => {
    const use = async (preload: readonly string[]) =>
        JSON.parse((await run(process.execPath, [...preload, "-e", USE_AUTOMATION], { cwd: INFRA })).stdout) as unknown;

    it("with Pulumi.yaml's nodeargs, @pulumi/pulumi loads without it; pulumi.automation is then the real module", async () => {
        expect(await use(NODEARGS)).toEqual({ before: { execa: false, stub: true }, esModule: true, workspace: "function", after: true, real: true });
    });

    it("without the preload, it loads with @pulumi/pulumi, and sets __esModule, which the stand-in answers in its place", async () => {
        expect(await use([])).toEqual({ before: { execa: true, stub: false }, esModule: true, workspace: "function", after: true, real: true });
    });
});
