/**
 * The offline reader of stack files, tested against the Pulumi CLI itself: every case below whose expectation is the
 * CLI's also runs the CLI's own Go code on the same project file and stack file text (the oracle,
 * test/fixtures/project/cli-oracle: pkg/v3 and sdk/v3 at @pulumi/pulumi's version in package-lock.json, 3.276.0;
 * tokens.ParseStackName, workspace.LoadProject and LoadProjectStack, pkg/workspace/config.go
 * ValidateStackConfigAndApplyProjectConfig, config.Map.Decrypt with the blinding decrypter) and asserts that this
 * reader agrees with it: the same flat config and secret keys, or a refusal with the CLI's error text where the
 * expectation quotes it. The exact values stay written out too. Without Go, or when the oracle does not build, the
 * tests fail.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { parseStackConfig } from "../infra/config";
import {
    projectStackProblems, readProject, readStackText, resolvePlain, stackNameProblem, StackFileError,
} from "../tools/stacks/stackFiles";
import { ROOT, SUBSCRIPTION, TENANT } from "./harness";

const FILE = "stacks/Pulumi.dev.yaml";
const project = readProject(ROOT);
const PROJECT_TEXT = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
const REQUIRED = `config:
  app-identity:appName: inventory-api
  app-identity:tenantId: ${TENANT}
  app-identity:subscriptionId: ${SUBSCRIPTION}
`;
const ROLES = `  app-identity:roleAssignments:
    - resourceGroup: rg-inventory-dev
      role: Storage Blob Data Reader
`;

const work = mkdtempSync(join(tmpdir(), "stack-files-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * This project's Pulumi.yaml declares no boolean (production comes from the environment), so the CLI's boolean
 * rule is checked against the same project with one declared, as `production` was when the messages were first
 * recorded. The oracle reads the same Pulumi.yaml text as this reader.
 */
const BOOLEAN_PROJECT_TEXT = (() => {
    const document = parseDocument(PROJECT_TEXT);
    document.setIn(["config", "production"], { type: "boolean", default: false });
    return document.toString();
})();
const projectWithBoolean = (() => {
    mkdirSync(join(work, "with-boolean"));
    writeFileSync(join(work, "with-boolean", "Pulumi.yaml"), BOOLEAN_PROJECT_TEXT);
    return readProject(join(work, "with-boolean"));
})();
const read = (text: string, stack = "dev", withProject = project) => readStackText(withProject, stack, FILE, text);

// ---- The oracle: the CLI's own code on the same files ----------------------------------------------------------

type CliAnswer =
    | { readonly stage: "ok"; readonly config: Record<string, string>; readonly secure: string[] }
    | { readonly stage: "stackName" | "project" | "load" | "validate" | "decrypt"; readonly error: string };

let oracle: { path: string } | { error: unknown } = { error: new Error("the CLI oracle was not built") };
beforeAll(() => {
    // Without Go, or when the build fails, every test that asks the CLI fails with build.sh's reason (its stderr
    // is in the error), rather than vitest skipping the file's tests after a failed hook.
    try {
        oracle = { path: execFileSync("bash", [join(ROOT, "test", "fixtures", "project", "cli-oracle", "build.sh")],
            { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim() };
    } catch (error) {
        oracle = { error };
    }
}, 600_000);

let cases = 0;
/** What the CLI makes of the stack file `text` for `stack`, next to `projectText` as the project's Pulumi.yaml. */
function cli(text: string, stack = "dev", projectText = PROJECT_TEXT): CliAnswer {
    if ("error" in oracle) throw oracle.error;
    const dir = join(work, `case-${++cases}`);
    mkdirSync(join(dir, "stacks"), { recursive: true });
    writeFileSync(join(dir, "Pulumi.yaml"), projectText);
    writeFileSync(join(dir, FILE), text);
    // stderr: the CLI's warnings (an empty value), which it prints and goes on.
    return JSON.parse(execFileSync(oracle.path, [dir, stack, join(dir, FILE)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as CliAnswer;
}

/** The reader accepts `text` and hands over exactly the flat config and secret keys the CLI does. */
function readAsCli(text: string) {
    const file = read(text);
    expect(cli(text)).toEqual({ stage: "ok", config: file.config, secure: file.secretKeys });
    return file;
}

/** The CLI refuses `text` with every message the expected problems quote (`(Pulumi CLI: ...)`). */
function expectCliRefuses(text: string, problems: readonly string[], stack = "dev", projectText = PROJECT_TEXT) {
    const answer = cli(text, stack, projectText);
    expect(answer.stage).not.toBe("ok");
    const quoted = problems.map((problem) => /\(Pulumi CLI: (.*)\)$/.exec(problem)?.[1]).filter((q) => q !== undefined);
    expect(quoted).not.toEqual([]);
    for (const message of quoted) expect(answer.stage === "ok" ? "" : answer.error).toContain(message);
}

function problemsOf(text: string, stack = "dev", withProject = project): readonly string[] {
    try {
        read(text, stack, withProject);
    } catch (error) {
        expect(error).toBeInstanceOf(StackFileError);
        return (error as StackFileError).problems;
    }
    throw new Error("expected a StackFileError");
}

describe("values reach the program as the CLI hands them over", () => {
    // `pulumi:x` is a key the program does not read: the value's text is all that is compared.
    it.each<[string, string]>([
        ["inventory-api", "inventory-api"],
        ['"007"', "007"],
        ["007", "7"],
        ["008", "8"],
        ["0x1F", "31"],
        ["0o17", "15"],
        ["-0b101", "-5"],
        ["+5", "5"],
        ["1_000", "1000"],
        ["12.0", "12"],
        ["1e3", "1000"],
        [".5", "0.5"],
        ["0.0000001", "1e-7"],
        ["1.5e300", "1.5e+300"],
        ["1e400", "1e400"],
        ["18446744073709551615", "18446744073709551615"],
        ["True", "true"],
        ["FALSE", "false"],
        ["yes", "yes"],
        ["off", "off"],
        ["", ""],
        ["~", ""],
        ["NULL", ""],
        ["'null'", "null"],
        ["'{\"a\": 1}'", '{"a": 1}'],
        ["'[1,2]'", "[1,2]"],
        ["!!str 0x10", "0x10"],
        ["12:30", "12:30"],
        ["2024-01-01", "2024-01-01 00:00:00 +0000 UTC"],
        ["2024-1-2", "2024-01-02 00:00:00 +0000 UTC"],
        ["2024-02-30", "2024-02-30"],
        ['"  spaced  "', "  spaced  "],
        ["a <b> & c", "a <b> & c"],
        ["[1, 2.0, 007, 'x', ~, true, 2024-01-01]", '[1,2,7,"x",null,true,"2024-01-01 00:00:00 +0000 UTC"]'],
        ["{z: 1, a: [x, y], m: {secure: abc}}", '{"a":["x","y"],"m":"[secret]","z":1}'],
        ["{k: <b>}", '{"k":"\\u003cb\\u003e"}'],
    ])("pulumi:x: %s → %j", (yaml, text) => {
        const file = readAsCli(`${REQUIRED}${ROLES}  pulumi:x: ${yaml}\n`);
        expect(file.config["pulumi:x"]).toBe(text);
    });

    it("applies Pulumi.yaml's defaults and namespaces a bare key with the project, as the CLI does", () => {
        const file = readAsCli(`config:\n  appName: inventory-api\n  app-identity:config:tenantId: ${TENANT}\n` +
            `  app-identity:subscriptionId: ${SUBSCRIPTION}\n${ROLES}`);
        expect(file.config).toEqual({
            "app-identity:appName": "inventory-api",
            "app-identity:tenantId": TENANT,
            "app-identity:subscriptionId": SUBSCRIPTION,
            "app-identity:roleAssignments": '[{"resourceGroup":"rg-inventory-dev","role":"Storage Blob Data Reader"}]',
            // Go's JSON of Pulumi.yaml's default: map keys sorted.
            "app-identity:environments": '{"dev":{"subscriptionId":"00000000-0000-0000-0000-00000000bbbb"},' +
                '"local":{"subscriptionId":"00000000-0000-0000-0000-00000000bbbb"},' +
                '"prod":{"production":true,"subscriptionId":"00000000-0000-0000-0000-00000000cccc"},' +
                '"test":{"subscriptionId":"00000000-0000-0000-0000-00000000bbbb"}}',
            "app-identity:owners": "[]",
            "app-identity:secretLifetimeMonths": "24",
            "app-identity:developers": "[]",
            "app-identity:productionResourceGroups": '["rg-*-prod","rg-*-prod-*"]',
            "app-identity:alerts": "{}",
        });
        expect(file.keysAsWritten["app-identity:appName"]).toBe("appName");
        expect(file.keysAsWritten["app-identity:tenantId"]).toBe("app-identity:config:tenantId");
        expect(file.secretKeys).toEqual([]);
    });

    it("marks secure values secret and shows them only as [secret], nested ones included", () => {
        const file = readAsCli(`${REQUIRED}  app-identity:roleAssignments:\n    - resourceGroup: {secure: v1:abc}\n` +
            "      role: Reader\n  azuread:clientSecret:\n    secure: v1:c2VjcmV0\n");
        expect(file.config["azuread:clientSecret"]).toBe("[secret]");
        expect(file.config["app-identity:roleAssignments"]).toBe('[{"resourceGroup":"[secret]","role":"Reader"}]');
        expect(file.secretKeys).toEqual(["app-identity:roleAssignments", "azuread:clientSecret"]);
        expect(JSON.stringify(file)).not.toContain("c2VjcmV0");
    });

    it.each<[string, boolean | null | bigint | number | string]>([
        ["true", true], ["Null", null], ["0777", 511n], ["-9223372036854775809", Number("-9223372036854775809")],
        ["9223372036854775808", 9223372036854775808n], ["1.10", 1.1], ["0x", "0x"], ["1.2.3", "1.2.3"],
    ])("resolves the plain scalar %s as yaml.v3 does", (text, value) => {
        expect(resolvePlain(text)).toEqual(value);
    });
});

describe("a stack file the CLI refuses is refused, with the CLI's reason", () => {
    const typed = (key: string, shown: string, allowed: string, cliType: string) =>
        `${FILE}: app-identity:${key} is ${shown}; expected ${allowed} (Pulumi CLI: Stack 'dev' with configuration key ` +
        `'${key}' must be of type '${cliType}')`;
    const missing = (key: string) => `${FILE}: app-identity:${key} is missing; expected a value: Pulumi.yaml declares ` +
        `it with no default (Pulumi CLI: Stack 'dev' is missing configuration value '${key}')`;

    it.each<[string, string, string[]]>([
        ["a boolean written yes", `${REQUIRED}${ROLES}  app-identity:production: yes\n`,
            [typed("production", '"yes"', "true or false", "boolean")]],
        ["an empty boolean", `${REQUIRED}${ROLES}  app-identity:production:\n`,
            [typed("production", '""', "true or false", "boolean")]],
    ])("%s, where Pulumi.yaml declares a boolean", (_case, text, expected) => {
        expect(problemsOf(text, "dev", projectWithBoolean)).toEqual(expected);
        expectCliRefuses(text, expected, "dev", BOOLEAN_PROJECT_TEXT);
    });

    it.each<[string, string, string[]]>([
        ["environments as text", `${REQUIRED}${ROLES}  app-identity:environments: dev\n`,
            [typed("environments", '"dev"', "a map", "object")]],
        ["a fractional integer", `${REQUIRED}${ROLES}  app-identity:secretLifetimeMonths: 12.5\n`,
            [typed("secretLifetimeMonths", '"12.5"', "a whole number", "integer")]],
        ["an integer quoted as 12.0", `${REQUIRED}${ROLES}  app-identity:secretLifetimeMonths: "12.0"\n`,
            [typed("secretLifetimeMonths", '"12.0"', "a whole number", "integer")]],
        ["an integer that is a list", `${REQUIRED}${ROLES}  app-identity:secretLifetimeMonths: [1]\n`,
            [typed("secretLifetimeMonths", "[1]", "a whole number", "integer")]],
        ["owners holding a number", `${REQUIRED}${ROLES}  app-identity:owners: [1]\n`,
            [typed("owners", "[1]", "a list of text values", "array<string>")]],
        ["owners as JSON text", `${REQUIRED}${ROLES}  app-identity:owners: '["a"]'\n`,
            [typed("owners", '"[\\"a\\"]"', "a list of text values", "array<string>")]],
        ["role assignments as text", `${REQUIRED}  app-identity:roleAssignments: rg\n`,
            [typed("roleAssignments", '"rg"', "a list of maps", "array<object>")]],
        ["role assignments as a list of text", `${REQUIRED}  app-identity:roleAssignments: [rg]\n`,
            [typed("roleAssignments", '["rg"]', "a list of maps", "array<object>")]],
        ["role assignments as a map", `${REQUIRED}  app-identity:roleAssignments: {a: 1}\n`,
            [typed("roleAssignments", '{"a":1}', "a list of maps", "array<object>")]],
        ["no role assignments", REQUIRED, [missing("roleAssignments")]],
        // Pulumi.yaml shares the tenant; app and subscription come from the stack's name and environment.
        ["an empty file", "", [missing("roleAssignments")]],
        ["a key the CLI cannot parse", `${REQUIRED}${ROLES}  app-identity:a:b: x\n`, [
            `${FILE}: app-identity:a:b is a key the CLI cannot parse; expected <namespace>:<name> (Pulumi CLI: could not ` +
                "parse app-identity:a:b as a configuration key (configuration keys should be of the form `<namespace>:<name>`))",
        ]],
        ["a document that is a list", "- a\n", [
            `${FILE}: the document is a list; expected a map with a config: key (Pulumi CLI: expected project to be ` +
                "an object, was '[]interface {}')",
        ]],
        ["a document that is one value", "hello\n", [
            `${FILE}: the document is a single value; expected a map with a config: key (Pulumi CLI: expected project ` +
                "to be an object, was 'string')",
        ]],
        ["config that is a list", "config:\n  - a\n", [
            `${FILE}: line 2: config is a list; expected a map of keys to values (Pulumi CLI: cannot unmarshal !!seq ` +
                "into map[string]config.Value)",
        ]],
        ["config that is text", "config: hello\n", [
            `${FILE}: line 1: config is a single value; expected a map of keys to values (Pulumi CLI: cannot unmarshal ` +
                "!!str `hello` into map[string]config.Value)",
        ]],
        ["config that is long text", "config: 'inventory-api'\n", [
            `${FILE}: line 1: config is a single value; expected a map of keys to values (Pulumi CLI: cannot unmarshal ` +
                "!!str `invento...` into map[string]config.Value)",
        ]],
        ["config that is a number", "config: 0x1F\n", [
            `${FILE}: line 1: config is a single value; expected a map of keys to values (Pulumi CLI: cannot unmarshal ` +
                "!!int `31` into map[string]config.Value)",
        ]],
        ["config that is true", "config: True\n", [
            `${FILE}: line 1: config is a single value; expected a map of keys to values (Pulumi CLI: cannot unmarshal ` +
                "!!bool `true` into map[string]config.Value)",
        ]],
        ["a key set twice", `${REQUIRED}${ROLES}  app-identity:appName: b\n`, [
            `${FILE}: line 8: a key is set twice in the same map; expected valid YAML (Pulumi CLI: mapping key ` +
                '"app-identity:appName" already defined at line 2)',
        ]],
        // yaml.v3 checks a map's keys before it decodes the values: the outer duplicate is the one it reports.
        ["a key set twice, after a role assignment that sets one twice", `${REQUIRED}  app-identity:roleAssignments:\n` +
            "    - role: a\n      role: b\n  app-identity:appName: b\n", [
            `${FILE}: line 8: a key is set twice in the same map; expected valid YAML (Pulumi CLI: mapping key ` +
                '"app-identity:appName" already defined at line 2)',
        ]],
        ["a tab for indentation", "config:\n\tapp-identity:appName: a\n", [
            `${FILE}: line 2: Tabs are not allowed as indentation; expected valid YAML (Pulumi CLI: invalid YAML file)`,
        ]],
        ["a quote never closed, at the line it opens", `config:\n  app-identity:appName: "abc\n  app-identity:tenantId: b\n`, [
            `${FILE}: line 2: Missing closing "quote; expected valid YAML (Pulumi CLI: invalid YAML file)`,
        ]],
        ["an infinite number", `${REQUIRED}${ROLES}  pulumi:x: .inf\n`, [
            `${FILE}: pulumi:x is .inf; expected a finite number (Pulumi CLI: invalid YAML file: could not unmarshal ` +
                "map: json: unsupported value: +Inf)",
        ]],
    ])("%s", (_case, text, expected) => {
        expect(problemsOf(text)).toEqual(expected);
        expectCliRefuses(text, expected);
    });

    it.each<[string, string | undefined]>([
        ["dev", undefined],
        ["feature_1.2-a", undefined],
        ["", "a stack name may not be empty"],
        ["a".repeat(101), "a stack name cannot exceed 100 characters"],
        ["my stack", "a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ' ' at position 2"],
        ["dév", "a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character 'Ã' at position 1"],
        ["a\tb", "a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character '\\t' at position 1"],
    ])("the stack name %j: %s", (stack, expected) => {
        expect(stackNameProblem(stack)).toBe(expected);
        const answer = cli(`${REQUIRED}${ROLES}`, stack);
        if (expected === undefined) expect(answer.stage).toBe("ok");
        else expect(answer).toEqual({ stage: "stackName", error: expected });
    });
});

describe("what this reader refuses beyond the CLI, because the CLI would misread it silently", () => {
    // The last column: what the CLI, which accepts the file, hands the program for that key.
    it.each<[string, string, string[], [string, string | string[]]]>([
        ["a misspelt namespace", `${REQUIRED}${ROLES}  app-identty:production: true\n`, [
            `${FILE}: app-identty:production is in the namespace "app-identty"; expected this project's ` +
                "(app-identity:<key>) or a provider's (azuread, azure-native, pulumi): the CLI would hand it to no one",
        ], ["app-identty:production", "true"]],
        ["one key written twice in two spellings (the CLI keeps either at random)", `${REQUIRED}${ROLES}  appName: other\n`, [
            `${FILE}: appName sets app-identity:appName again; expected each key once (app-identity:appName already sets it)`,
        ], ["app-identity:appName", ["inventory-api", "other"]]],
        ["a timestamp with a time of day", `${REQUIRED}${ROLES}  pulumi:x: 2024-01-02T03:04:05Z\n`, [
            `${FILE}: pulumi:x is 2024-01-02T03:04:05Z, a YAML timestamp that the CLI hands over as Go's time text; ` +
                "expected it in quotes",
        ], ["pulumi:x", "2024-01-02 03:04:05 +0000 UTC"]],
    ])("%s", (_case, text, expected, [key, cliValue]) => {
        expect(problemsOf(text)).toEqual(expected);
        const answer = cli(text);
        expect(answer.stage).toBe("ok");
        const handedOver = answer.stage === "ok" ? answer.config[key] : undefined;
        if (Array.isArray(cliValue)) expect(cliValue).toContain(handedOver);
        else expect(handedOver).toBe(cliValue);
    });

    it("refuses 10,000 role assignments in well under a second, before the YAML parser runs", () => {
        const entries = Array.from({ length: 10_000 }, (_, i) =>
            `    - resourceGroup: rg-${i}\n      role: Storage Blob Data Reader\n`).join("");
        const started = performance.now();
        const problems = problemsOf(`${REQUIRED}  app-identity:roleAssignments:\n${entries}`);
        const elapsed = performance.now() - started;
        expect(problems).toEqual([
            `${FILE}: the file holds 10000 list entries; expected at most 4200: Azure allows 4000 role assignments per ` +
                "subscription (roleAssignments times developers) and Entra 100 owners per application",
        ]);
        expect(elapsed).toBeLessThan(100);
    });

    it("reads 4,000 role assignments, Azure's limit, in seconds at most", () => {
        const entries = Array.from({ length: 4000 }, (_, i) =>
            `    - resourceGroup: rg-${i}\n      role: Storage Blob Data Reader\n`).join("");
        const started = performance.now();
        const file = read(`${REQUIRED}  app-identity:roleAssignments:\n${entries}`);
        const config = parseStackConfig("app-identity", "dev", file.config);
        // About 0.3 s on the 2-core machine; the bound only catches a pathological slowdown.
        expect(performance.now() - started).toBeLessThan(5000);
        expect(config.roleAssignments).toHaveLength(4000);
    });
});

describe("the project's stacks together", () => {
    const clash = readProject(join(ROOT, "test", "fixtures", "project", "clash"));

    it("finds a display name two stacks of one tenant share, and none across tenants", () => {
        expect(projectStackProblems(clash)).toEqual([
            'stacks/Pulumi.dev2.yaml: the identity "orders-dev" is also stacks/Pulumi.dev.yaml\'s, in the same tenant ' +
                `${TENANT}; expected display names unique across the project's stacks: the provider's duplicate-name ` +
                "check stops the second stack's deploy (set environment or appName apart)",
        ]);
    });

    it("finds nothing among this project's own stacks", () => {
        expect(projectStackProblems(project)).toEqual([]);
    });
});
