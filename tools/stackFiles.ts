/**
 * The project file and the stack config files, read as the Pulumi CLI reads them and turned into the flat
 * config map the language host hands a program. Secure values cannot be decrypted without the CLI and the
 * stack's secrets provider: they become the placeholder `[secret]` and are marked secret.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

export const SECRET_PLACEHOLDER = "[secret]";

/** This checkout: the project the commands work on unless told otherwise. */
export const PROJECT_ROOT = resolve(__dirname, "..");

export interface Project {
    readonly name: string;
    readonly root: string;
    readonly stackConfigDir: string;
    /** Defaults declared in Pulumi.yaml's config block, applied where a stack sets no value (as the CLI does). */
    readonly defaults: Readonly<Record<string, unknown>>;
}

export interface StackFile {
    readonly stack: string;
    readonly path: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}

export class StackFileError extends Error {}

export function readProject(root: string): Project {
    const document = parseYamlFile(join(root, "Pulumi.yaml")) as Record<string, unknown>;
    const name = String(document["name"]);
    const defaults: Record<string, unknown> = {};
    const declared = (document["config"] ?? {}) as Record<string, unknown>;
    for (const [key, declaration] of Object.entries(declared)) {
        if (declaration !== null && typeof declaration === "object" && "default" in declaration) {
            defaults[key.includes(":") ? key : `${name}:${key}`] = declaration.default;
        }
    }
    const stackConfigDir = document["stackConfigDir"];
    return { name, root, stackConfigDir: typeof stackConfigDir === "string" ? stackConfigDir : ".", defaults };
}

/** Stack names that have a config file, sorted. */
export function listStacks(project: Project): string[] {
    return readdirSync(join(project.root, project.stackConfigDir))
        .map((file) => /^Pulumi\.(.+)\.ya?ml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

export function readStackFile(project: Project, stack: string): StackFile {
    const relativePath = join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    let document: unknown;
    try {
        document = parseYamlFile(join(project.root, relativePath));
    } catch (error) {
        const known = listStacks(project);
        const reason = (error as NodeJS.ErrnoException).code === "ENOENT"
            ? `no such stack; the stacks are: ${known.join(", ") || "(none)"}`
            : (error as Error).message;
        throw new StackFileError(`${relativePath}: ${reason}`);
    }
    const values = (document as { config?: Record<string, unknown> } | null)?.config ?? {};
    if (typeof values !== "object" || Array.isArray(values)) {
        throw new StackFileError(`${relativePath}: config is ${JSON.stringify(values)}; expected a map of keys to values`);
    }

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries({ ...project.defaults, ...values })) {
        const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
        const { text, secret } = configText(value);
        config[fullKey] = text;
        if (secret) secretKeys.push(fullKey);
    }
    return { stack, path: relativePath, config, secretKeys };
}

/** Config values reach a program as text: strings as they are, everything else as JSON. */
function configText(value: unknown): { text: string; secret: boolean } {
    let secret = false;
    const hideSecure = (node: unknown): unknown => {
        if (isSecure(node)) {
            secret = true;
            return SECRET_PLACEHOLDER;
        }
        if (Array.isArray(node)) return node.map(hideSecure);
        if (node !== null && typeof node === "object") {
            return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hideSecure(v)]));
        }
        return node;
    };
    const plain = hideSecure(value);
    return { text: typeof plain === "string" ? plain : JSON.stringify(plain), secret };
}

function isSecure(node: unknown): boolean {
    return node !== null && typeof node === "object" && !Array.isArray(node) &&
        Object.keys(node).length === 1 && typeof (node as { secure?: unknown }).secure === "string";
}

function parseYamlFile(path: string): unknown {
    return parse(readFileSync(path, "utf8"));
}
