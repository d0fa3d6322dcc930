import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { SECRET_LIFETIME_MONTHS } from "../infra/config";
import { STORAGE_BLOB_ROLES } from "../common/builtInRoles";
import { listStacks, readProject, readStackFile } from "../tools/stacks/stackFiles";
import { ROOT, SHARED } from "./harness";

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

function validatorForProjectFiles() {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    return ajv.compile(readJson(join(SHARED, "reference", "pulumi-project.schema.json")));
}

describe("Pulumi.yaml", () => {
    it("is valid against the schema the Pulumi CLI validates project files with", () => {
        const validate = validatorForProjectFiles();
        const valid = validate(parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")));
        expect(validate.errors ?? []).toEqual([]);
        expect(valid).toBe(true);
    });

    it("types roleAssignments as a list of objects (CLI v3.187.0 and later), with no default: required", () => {
        const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
        expect(project.config.roleAssignments).toEqual({
            type: "array", items: { type: "object" }, description: expect.any(String),
        });
    });

    it.each<[string, unknown]>([
        ["a type the CLI does not know", { type: "map" }],
        ["an items entry without a type", { type: "array", items: {} }],
        ["a key the schema does not know", { type: "string", required: true }],
    ])("is checked by a validator that rejects what the CLI rejects: %s", (_case, declaration) => {
        const validate = validatorForProjectFiles();
        const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
        expect(validate({ ...project, config: { roleAssignments: declaration } })).toBe(false);
    });

    it("runs the TypeScript program in infra/ under sucrase's hook (its output cached), not ts-node, with stack config in stacks/", () => {
        const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8"));
        expect(project).toMatchObject({
            name: "app-identity",
            runtime: { name: "nodejs", options: { typescript: false, nodeargs: "--require ../common/moduleCodeCache.cjs --require ../common/lazyTypeScript.cjs --require ../common/lazyPulumiModules.cjs --require ../common/inspectLoopGuard.cjs --require ../common/lazyPromiseStacks.cjs --require ../common/cachedTypeScript.cjs" } },
            main: "infra/",
            stackConfigDir: "stacks",
        });
    });
});

describe("stack files", () => {
    it("are dev, test, prod and local", () => {
        expect(listStacks(readProject(ROOT))).toEqual(["inventory-api-dev", "inventory-api-local", "inventory-api-prod", "inventory-api-test"]);
    });

    it("flatten as the language host hands them over, secure values as a secret placeholder", () => {
        const project = { ...readProject(ROOT), defaults: { "app-identity:secretLifetimeMonths": 12 } };
        const file = readStackFile(project, "inventory-api-prod");
        expect(file.config["app-identity:owners"]).toBe('["00000000-0000-0000-0000-00000000dddd"]');
        expect(file.config["app-identity:secretLifetimeMonths"]).toBe("12");
        expect(JSON.parse(file.config["app-identity:roleAssignments"]!)).toHaveLength(2);
        expect(file.secretKeys).toEqual([]);
    });
});

describe("the built-in role table", () => {
    it("matches Microsoft's Storage Blob role definitions in shared/reference", () => {
        const reference = readJson(join(SHARED, "reference", "storage-blob-roles.json"));
        expect(STORAGE_BLOB_ROLES.map(({ name, id, dataActions }) => ({ name, id, dataActions: [...dataActions] })))
            .toEqual(reference.roles);
    });
});

describe("stack files against Pulumi.yaml's config block, as the CLI checks them", () => {
    type Declared = { type: "string" | "integer" | "boolean" | "array"; items?: { type: string }; default?: unknown };
    const isMap = (item: unknown) => item !== null && typeof item === "object" && !Array.isArray(item);
    const declared = (parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, Declared> }).config;
    const project = readProject(ROOT);
    const typeOk = (declaration: Declared, value: unknown): boolean => {
        switch (declaration.type) {
            case "string": return typeof value === "string";
            case "integer": return Number.isInteger(value);
            case "boolean": return typeof value === "boolean";
            case "array": return Array.isArray(value) && value.every((item) =>
                declaration.items?.type === "object" ? isMap(item) : typeof item === declaration.items?.type);
        }
    };

    it.each(listStacks(project))("stack %s sets every declared key without a default, with a value of its type", (stack) => {
        const raw = parse(readFileSync(join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
        for (const [key, declaration] of Object.entries(declared)) {
            const value = raw.config[`app-identity:${key}`];
            // The CLI refuses a stack that lacks a declared key with no default ("is missing configuration value").
            expect({ key, present: value !== undefined || declaration.default !== undefined }).toEqual({ key, present: true });
            if (value !== undefined) expect({ key, typeOk: typeOk(declaration, value) }).toEqual({ key, typeOk: true });
        }
    });

    it("declares defaults the program agrees with", () => {
        expect(declared["secretLifetimeMonths"]!.default).toBe(SECRET_LIFETIME_MONTHS.default);
        expect(declared["owners"]!.default).toEqual([]);
        expect(declared["developers"]!.default).toEqual([]);
        expect(declared["production"]).toBeUndefined(); // the environment's (environments.<name>.production)
    });
});
