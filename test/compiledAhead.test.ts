/**
 * What the CLI starts on every command, compiled ahead of time (common/compileAhead.cjs) and keyed by the sources so
 * that an edit is never run stale: the provider stand-ins as their plugin launchers run them
 * (localazure/compiledStandIns.ts), starting as a plugin does, printing its port; and the language host model as its
 * launcher runs it (tools/pulumi/startLanguageHost.cjs, which tools/pulumi/install.sh's launcher executes).
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledStandIns } from "../localazure/compiledStandIns";
import { pluginLauncher } from "../localazure/plugins";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

const copy = mkdtempSync(join(tmpdir(), "stand-ins-"));
beforeAll(() => {
    for (const dir of ["localazure/providers", "common", "tools/pulumi"]) cpSync(join(PROJECT_ROOT, dir), join(copy, dir), { recursive: true });
    cpSync(join(PROJECT_ROOT, "package-lock.json"), join(copy, "package-lock.json"));
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(copy, "node_modules"));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

function firstLine(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes("\n")) child.kill();
        });
        child.stderr.on("data", (chunk: Buffer) => { err += chunk.toString(); });
        child.on("close", () => (out.includes("\n") ? resolve(out.split("\n")[0]!) : reject(new Error(err))));
    });
}

describe("the compiled stand-ins", () => {
    it("are JavaScript under .tools/stand-ins/<hash of the sources>, the same directory while the sources are the same", () => {
        const first = compiledStandIns(copy);
        expect(first).toMatch(new RegExp(`^${copy}/\\.tools/stand-ins/[0-9a-f]{16}$`));
        expect(compiledStandIns(copy)).toBe(first);
        for (const name of ["azuread", "azure-native"]) {
            const main = readFileSync(join(first, "localazure", "providers", name, "main.js"), "utf8");
            expect(main).not.toMatch(/^import /m);
            // One bundle: the project's modules and gRPC are in it, and only Node's builtins are required.
            expect(main).toContain("function runPlugin(");
            expect(main).not.toMatch(/require\(["']\.{1,2}\//);
            expect(main).not.toMatch(/require\(["']@grpc\/grpc-js["']\)/);
            expect(main).toMatch(/require\(["']node:http2?["']\)|require\(["']http2["']\)/);
            // No import() (esbuild prints a call as `import(`): common/codeCache.cjs compiles the bundle without Node's
            // import callback.
            expect(main).not.toMatch(/\bimport\(/);
        }
        expect(existsSync(join(first, "common"))).toBe(true);
    });

    it("are bundled afresh once package-lock.json changes, since each bundle holds its dependencies' code", () => {
        const before = compiledStandIns(copy);
        const lock = join(copy, "package-lock.json");
        writeFileSync(lock, `${readFileSync(lock, "utf8")}\n`);
        expect(compiledStandIns(copy)).not.toBe(before);
    });

    it("are compiled afresh once a source changes, so an edit is never run stale", () => {
        const before = compiledStandIns(copy);
        const source = join(copy, "localazure/providers/shared/errors.ts");
        writeFileSync(source, `${readFileSync(source, "utf8")}\nexport const EDITED = "edited";\n`);
        const after = compiledStandIns(copy);
        expect(after).not.toBe(before);
        expect(readFileSync(join(after, "localazure/providers/shared/errors.js"), "utf8")).toContain('"edited"');
    });

    it("start as a plugin does, from the launcher the plugin cache holds: plain node, the port on the first line of stdout", async () => {
        const dir = compiledStandIns();
        for (const name of ["azuread", "azure-native"]) {
            const launcher = join(copy, `pulumi-resource-${name}`);
            writeFileSync(launcher, pluginLauncher(dir, name), { mode: 0o755 });
            expect(readFileSync(launcher, "utf8").split("\n").at(-2)).toBe(
                `exec node "${join(PROJECT_ROOT, "common", "codeCache.cjs")}" "${join(dir, "localazure", "providers", name, "main.js")}" "$@"`);
            const port = await firstLine(launcher, [], { ...process.env, LOCAL_AZURE_URL: "http://127.0.0.1:1" });
            expect(Number(port)).toBeGreaterThan(0);
        }
    });
});

describe("the compiled language host model", () => {
    const start = (...args: string[]) => spawnSync(process.execPath, [join(copy, "tools/pulumi/startLanguageHost.cjs"), ...args], { encoding: "utf8" });
    const compiledHosts = () => readdirSync(join(copy, ".tools/language-host")).filter((name) => /^[0-9a-f]{16}$/.test(name));

    it("starts as plain node from .tools/language-host/<hash of tools/pulumi>, answering -version with the SDK's version", () => {
        const result = start("-version");
        expect([result.status, result.stdout, result.stderr]).toEqual([0, "v3.276.0\n", ""]);
        const [compiled] = compiledHosts();
        const host = readFileSync(join(copy, ".tools/language-host", compiled!, "tools/pulumi/languageHost.js"), "utf8");
        // One bundle: the policy proxy and gRPC are in it.
        expect(host).toContain("var PolicyProxy = class");
        expect(host).not.toContain("require('./policyProxy')");
        expect(host).not.toMatch(/require\(["']@grpc\/grpc-js["']\)/);
        expect(host).not.toMatch(/^import /m);
        expect(host).not.toMatch(/\bimport\(/);
    });

    it("loads its bundle through the bundle's V8 code cache (common/codeCache.cjs), written by a host that served as it stops", async () => {
        start("-version");
        const [compiled] = compiledHosts();
        const cache = join(copy, ".tools/language-host", compiled!, "tools/pulumi/languageHost.js.v8cache");
        rmSync(cache, { force: true });
        const child = spawn(process.execPath, [join(copy, "tools/pulumi/startLanguageHost.cjs"), "127.0.0.1:1"], { stdio: ["ignore", "pipe", "pipe"] });
        await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
        // As the CLI stops it: the host listens for SIGINT itself (languageHost.ts: server.forceShutdown) and exits.
        child.kill("SIGINT");
        const ended = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (...how) => resolve(how)));
        expect(ended).toEqual([0, null]);
        expect(existsSync(cache)).toBe(true);
    });

    it("is compiled afresh once a source changes, and runs the edit", () => {
        start("-version");
        const before = compiledHosts();
        const source = join(copy, "tools/pulumi/languageHost.ts");
        writeFileSync(source, readFileSync(source, "utf8").replace("console.log(`v${PULUMI_VERSION}`);", "console.log(`edited v${PULUMI_VERSION}`);"));
        expect(start("-version").stdout).toBe("edited v3.276.0\n");
        expect(compiledHosts()).toHaveLength(before.length + 1);
    });

    it("is what install.sh's launcher executes, with no TypeScript loader", () => {
        const install = readFileSync(join(PROJECT_ROOT, "tools/pulumi/install.sh"), "utf8");
        expect(install).toContain('exec node "\\$root/tools/pulumi/startLanguageHost.cjs" "\\$@"');
        expect(install).not.toContain("sucrase");
    });
});
