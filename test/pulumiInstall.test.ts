/**
 * tools/pulumi/install.sh links the CLI at exactly @pulumi/pulumi's version from package-lock.json (3.276.0), never
 * another one a machine has cached or on PATH (issue 26: "a cached 3.248.0 must not be picked up"). Run on a copy
 * of the script in a project of its own, with fake CLIs and a cache of its own, so no real CLI is built or touched.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

let work: string;
let project: string;
let cache: string;
let path: string;
beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), "pulumi-install-"));
    project = join(work, "project");
    cache = join(work, "cache");
    path = join(work, "path");
    mkdirSync(join(project, "tools", "pulumi"), { recursive: true });
    cpSync(join(PROJECT_ROOT, "tools", "pulumi", "install.sh"), join(project, "tools", "pulumi", "install.sh"));
    writeFileSync(join(project, "package-lock.json"), JSON.stringify({ packages: { "node_modules/@pulumi/pulumi": { version: "3.276.0" } } }));
    mkdirSync(path);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** A `pulumi` that answers `pulumi version` as the real one does. */
function fakeCli(file: string, version: string): string {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `#!/bin/sh\n[ "$1" = version ] && echo v${version}\n`);
    chmodSync(file, 0o755);
    return file;
}

function install() {
    const result = spawnSync("bash", [join(project, "tools", "pulumi", "install.sh")], {
        encoding: "utf8",
        // node for install.sh's reading of the lock; the fakes first; no real pulumi, go or curl.
        env: { PATH: `${path}:${dirname(process.execPath)}:/usr/bin:/bin`, HOME: work, XDG_CACHE_HOME: cache },
    });
    const link = join(project, ".tools", "bin", "pulumi");
    return { code: result.status, stderr: result.stderr, linked: existsSync(link) ? readlinkSync(link) : undefined };
}

describe("tools/pulumi/install.sh: the CLI at @pulumi/pulumi's version, 3.276.0, and no other", () => {
    it("links the cached 3.276.0 build, not a cached 3.248.0 nor a 3.248.0 on PATH", () => {
        fakeCli(join(path, "pulumi"), "3.248.0");
        fakeCli(join(cache, "app-identity", "pulumi-v3.248.0", "pulumi"), "3.248.0");
        const wanted = fakeCli(join(cache, "app-identity", "pulumi-v3.276.0", "pulumi"), "3.276.0");
        const result = install();
        expect([result.code, result.linked]).toEqual([0, wanted]);
        expect(result.stderr).toContain("pulumi v3.276.0: ");
    });

    it("with only 3.248.0 cached and on PATH, builds 3.276.0 from the Go modules instead of linking either", () => {
        fakeCli(join(path, "pulumi"), "3.248.0");
        fakeCli(join(cache, "app-identity", "pulumi-v3.248.0", "pulumi"), "3.248.0");
        // A `go` that logs what it was asked and refuses, so nothing is fetched.
        writeFileSync(join(path, "go"), `#!/bin/sh\necho "go $*" >> "${join(work, "go.log")}"\nexit 1\n`);
        chmodSync(join(path, "go"), 0o755);
        const result = install();
        expect([result.code, result.linked]).toEqual([1, undefined]);
        expect(result.stderr).toContain("building the Pulumi CLI v3.276.0 from Go modules");
        expect(spawnSync("cat", [join(work, "go.log")], { encoding: "utf8" }).stdout).toBe(
            "go get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.276.0\ngo get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v3.276.0\n");
    });

    it("builds with the checksum database on: no GONOSUMDB, no pinned go.sum (sum.golang.org lists pkg/v3 v3.276.0)", () => {
        writeFileSync(join(path, "go"), `#!/bin/sh\necho "GONOSUMDB=\${GONOSUMDB-unset} GOFLAGS=$GOFLAGS" >> "${join(work, "go.log")}"\nexit 1\n`);
        chmodSync(join(path, "go"), 0o755);
        install();
        expect(spawnSync("cat", [join(work, "go.log")], { encoding: "utf8" }).stdout.split("\n")[0]).toBe("GONOSUMDB=unset GOFLAGS=-mod=mod");
        expect(existsSync(join(cache, "app-identity", "pulumi-v3.276.0", "build", "go.sum"))).toBe(false);
    });
});
