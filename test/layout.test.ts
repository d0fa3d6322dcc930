/**
 * The README's map of the house ("Layout") against the tree: every top-level folder has its row, every command
 * folder of tools/ is named, and every npm script that runs a command points at a tools/<name>/command.ts that
 * exists (or the local Azure's main.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../tools/stacks/stackFiles";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
const layout = readme.slice(readme.indexOf("## Layout\n"), readme.indexOf("## Development\n"));
const tracked = execFileSync("git", ["ls-files"], { cwd: PROJECT_ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
const scripts = (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

const topFolders = [...new Set(tracked.filter((file) => file.includes("/")).map((file) => `${file.split("/")[0]!}/`))].sort();
const commandFolders = readdirSync(join(PROJECT_ROOT, "tools"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(PROJECT_ROOT, "tools", entry.name, "command.ts")))
    .map((entry) => `${entry.name}/`).sort();

describe("the README's layout map", () => {
    it("has one row per top-level folder of the tree, no more", () => {
        const rows = [...layout.matchAll(/^\| `([^`]+\/)` \|/gm)].map((match) => match[1]!).sort();
        expect(rows).toEqual(topFolders);
    });

    it("names every command folder of tools/ in its list of commands", () => {
        const sentence = layout.slice(layout.indexOf("The commands in `tools/`:") + "The commands in `tools/`:".length, layout.indexOf("Where to start reading"));
        const named = [...sentence.matchAll(/`([a-zA-Z]+\/)`/g)].map((match) => match[1]!).sort();
        expect(named).toEqual(commandFolders);
    });

    it("points each file it names at a file that exists", () => {
        const files = [...layout.matchAll(/`((?:infra|tools|localazure|test|common|policy)\/[\w/.-]+\.ts)`/g)].map((match) => match[1]!);
        expect(files.length).toBeGreaterThan(5);
        expect(files.filter((file) => !existsSync(join(PROJECT_ROOT, file)))).toEqual([]);
    });
});

describe("npm scripts that run a command", () => {
    const commands = Object.entries(scripts)
        .map(([name, line]) => [name, /^node (?:--\S+ )*-r \.\/common\/moduleCodeCache\.cjs -r \.\/common\/lazyTypeScript\.cjs -r \.\/common\/cachedTypeScript\.cjs (\S+)/.exec(line)?.[1]] as const)
        .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);

    it("run a tools/<name>/command.ts, or the local Azure's main.ts, each with its modules compiled through a V8 code cache (common/moduleCodeCache.cjs), TypeScript's compiler deferred (common/lazyTypeScript.cjs) and sucrase's output cached (common/cachedTypeScript.cjs)", () => {
        expect(commands.length).toBe(16);
        expect(Object.values(scripts).filter((line) => line.includes(".ts") && line.startsWith("node ") && !line.includes("cachedTypeScript"))).toEqual([]);
        expect(Object.values(scripts).filter((line) => line.includes("sucrase"))).toEqual([]);
        expect(commands.filter(([, file]) => !/^tools\/\w+\/command\.ts$/.test(file) && file !== "localazure/main.ts")).toEqual([]);
        expect(commands.filter(([, file]) => !existsSync(join(PROJECT_ROOT, file)))).toEqual([]);
    });

    it("cover every command folder of tools/", () => {
        const run = commands.map(([, file]) => file);
        expect(commandFolders.filter((folder) => !run.includes(`tools/${folder}command.ts`))).toEqual([]);
    });
});
