/**
 * `pulumi preview --tracing <endpoint>` on the real CLI against the local Azure. The CLI hands its endpoint to every
 * plugin as `--tracing ENDPOINT` before the engine's address (sdk/go/common/resource/plugin/plugin.go
 * buildPluginArguments), the language host reads it with Go's flag package and hands it on to @pulumi/pulumi's
 * runner (main.go constructArguments, `maybeAppendArg("tracing", host.tracing)`; test/languageHost.test.ts pins
 * both rules). The language host model used to take the endpoint for the engine's address: the program then failed
 * and the preview showed only the stack (exit 1). With tracing, Pulumi.yaml's preload (common/lazyPulumiModules.cjs)
 * defers nothing.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalAzure, type LocalAzure } from "../../localazure";
import { expectOk } from "./support";
import { createEngineWorkspace, type EngineWorkspace } from "./workspace";

const STACK = "inventory-api-dev";

let azure: LocalAzure;
let workspace: EngineWorkspace;
let collector: Server;
let endpoint: string;
/** What the CLI posted to the endpoint: its spans, in Zipkin's Thrift encoding, one request a batch. */
const posts: { path: string; contentType: string }[] = [];

beforeAll(async () => {
    collector = createServer((request, response) => {
        request.resume();
        request.on("end", () => {
            posts.push({ path: request.url ?? "", contentType: request.headers["content-type"] ?? "" });
            response.writeHead(202).end();
        });
    });
    await new Promise<void>((listening) => collector.listen(0, "127.0.0.1", listening));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/api/v2/spans`;
    azure = await startLocalAzure();
    workspace = await createEngineWorkspace(azure);
    expectOk(await workspace.pulumi(["stack", "init", STACK]), `pulumi stack init ${STACK}`);
}, 120_000);

afterAll(async () => {
    workspace?.dispose();
    await azure?.stop();
    await new Promise((closed) => collector?.close(closed));
});

describe("pulumi preview --tracing: the endpoint reaches every plugin, and the language host takes it as a flag", () => {
    it("without --tracing, nothing is sent", async () => {
        expectOk(await workspace.pulumi(["preview", "--stack", STACK]), "pulumi preview");
        expect(posts).toEqual([]);
    });

    it("with --tracing, the preview of every resource succeeds while the CLI sends its spans to the endpoint", async () => {
        const preview = expectOk(await workspace.pulumi(["preview", "--stack", STACK, "--tracing", endpoint]), "pulumi preview --tracing");
        expect(preview.stdout).toContain("+ 7 to create");
        expect(posts.length).toBeGreaterThan(0);
        expect(new Set(posts.map((post) => `${post.path} ${post.contentType}`))).toEqual(new Set(["/api/v2/spans application/x-thrift"]));
    });
});
