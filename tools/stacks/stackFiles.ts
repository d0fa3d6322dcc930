/**
 * The project file and the stack config files, read as the Pulumi CLI v3.276.0 reads them and turned into the
 * flat config map the language host hands a program. Where the CLI refuses a file, this refuses it too, one line
 * per problem naming the file, the key as written, the value and what is allowed, with the CLI's own wording.
 *
 * How the CLI reads a stack file (pulumi/pulumi v3.276.0, the sdk/v3 and pkg/v3 Go modules):
 * - sdk `go/common/workspace/loaders.go` `LoadProjectStackBytes`: parse with gopkg.in/yaml.v3 into `any`, namespace
 *   bare keys with the project's name (`stackConfigNamespacedWithProject`: a bare key is NOT refused), write the
 *   document back out and parse it again into `config.Map`.
 * - sdk `go/common/resource/config/object.go`: each value becomes text (`MarshalString`): strings as they are,
 *   booleans and numbers as JSON text of the value yaml.v3 resolved (so a plain `007` reaches the program as "7",
 *   `0x10` as "16", `12.0` as "12", `True` as "true"; only a quoted "007" stays "007"), lists and maps as JSON, an
 *   unquoted date as Go's time text ("2024-01-01 00:00:00 +0000 UTC"), an empty value as "" (with a warning).
 * - pkg `workspace/config.go` `mergeConfig` (sdk `go/common/workspace/config.go` at v3.248.0): Pulumi.yaml's
 *   defaults fill unset keys (`createConfigValue`), a declared key with no default is required, and
 *   `validateStackConfigValues` checks each declared type with sdk `workspace/project.go` `ValidateConfigValue`
 *   against that text.
 * - sdk `go/common/tokens/stack_name.go` `ParseStackName`: the stack name rule.
 * test/stackFiles.test.ts checks this reader against the CLI's own Go code at that version, on every run (the oracle
 * in test/fixtures/project/cli-oracle).
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { Alias, isMap, isScalar, isSeq, parse, parseDocument, type Document, type Node } from "yaml";
import { ConfigError, parseStackConfig, projectProblems, PROVIDER_NAMESPACES, type StackConfig } from "../../infra/config";

export const SECRET_PLACEHOLDER = "[secret]";

/** This checkout: the project the commands work on unless told otherwise. */
export const PROJECT_ROOT = resolve(__dirname, "..", "..");

/**
 * Our cap, not the CLI's: 4,000 role assignments (Azure's limit per subscription) take about 320 KB of YAML, so a
 * larger stack file is refused before it is parsed rather than after seconds of parsing and memory growth.
 */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;

/**
 * Our cap, not the CLI's, counted on the text before the YAML parser runs (which takes about 50 µs an entry): a
 * stack's lists can hold at most 4,001 entries in roleAssignments and developers together (their product is at
 * most Azure's 4,000 role assignments per subscription, infra/config.ts) and 99 owners.
 */
export const MAX_LIST_ENTRIES = 4200;

/**
 * Namespaces a key of this project's stack files may have besides the project's own: the two providers the
 * program uses and Pulumi's. The CLI accepts any namespace and hands the value to no one; a misspelt
 * `app-identty:appName` would leave `appName` unset, so it is refused here.
 */
export const OTHER_NAMESPACES = PROVIDER_NAMESPACES;

export type ConfigType = "string" | "integer" | "boolean" | "array" | "object";
export interface ConfigItems {
    readonly type: ConfigType;
    readonly items?: ConfigItems;
}
export interface ConfigDeclaration {
    readonly type?: ConfigType;
    readonly items?: ConfigItems;
    readonly default?: unknown;
}

export interface Project {
    readonly name: string;
    readonly root: string;
    readonly stackConfigDir: string;
    /** Defaults declared in Pulumi.yaml's config block, applied where a stack sets no value (as the CLI does). */
    readonly defaults: Readonly<Record<string, unknown>>;
    /** Pulumi.yaml's config block, keyed as written there. */
    readonly declared: Readonly<Record<string, ConfigDeclaration>>;
}

export interface StackFile {
    readonly stack: string;
    readonly path: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    /** `"<namespace>:<key>"` → the key as the file writes it (`appName`, `app-identity:config:appName`, ...). */
    readonly keysAsWritten: Record<string, string>;
}

export class StackFileError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = "StackFileError";
    }
}

export function readProject(root: string): Project {
    const document = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    const name = String(document["name"]);
    const defaults: Record<string, unknown> = {};
    const declared = (document["config"] ?? {}) as Record<string, ConfigDeclaration>;
    for (const [key, declaration] of Object.entries(declared)) {
        if (declaration !== null && typeof declaration === "object" && "default" in declaration) {
            defaults[key.includes(":") ? key : `${name}:${key}`] = declaration.default;
        }
    }
    const stackConfigDir = document["stackConfigDir"];
    return { name, root, stackConfigDir: typeof stackConfigDir === "string" ? stackConfigDir : ".", defaults, declared };
}

/**
 * Stack names that have a config file, sorted. Only `.yaml`: with a `Pulumi.yaml` project the CLI reads
 * `Pulumi.<stack>.yaml` and nothing else (`workspace.DetectProjectStackPath` takes the project file's extension).
 */
export function listStacks(project: Project): string[] {
    return readdirSync(join(project.root, project.stackConfigDir))
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/**
 * The stack name rule, with the CLI's wording (sdk/go/common/tokens/stack_name.go `ParseStackName`:
 * "a stack name may not be empty", "a stack name cannot exceed 100 characters", "a stack name may only contain
 * alphanumeric, hyphens, underscores, or periods: invalid character %q at position %d", counted in bytes).
 */
export function stackNameProblem(stack: string): string | undefined {
    if (stack === "") return "a stack name may not be empty";
    const bytes = Buffer.from(stack, "utf8");
    if (bytes.length > 100) return "a stack name cannot exceed 100 characters";
    const position = bytes.findIndex((byte) => !/[A-Za-z0-9_.-]/.test(String.fromCharCode(byte)));
    if (position === -1) return undefined;
    // Go's %q of a byte quotes it as the rune of that value: 'Ã' for the first byte of "é".
    const quoted = goQuoteRune(bytes[position]!);
    return `a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ${quoted} at position ${position}`;
}

export function readStackFile(project: Project, stack: string): StackFile {
    const relativePath = join(project.stackConfigDir, `Pulumi.${stack}.yaml`);
    const fail = (problem: string): never => {
        throw new StackFileError([`${relativePath}: ${problem}`]);
    };
    const nameProblem = stackNameProblem(stack);
    if (nameProblem !== undefined) fail(`the stack name ${JSON.stringify(stack)} is not allowed (Pulumi CLI: ${nameProblem})`);

    const absolute = join(project.root, relativePath);
    let size: number;
    try {
        size = statSync(absolute).size;
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        return fail(`no such stack; the stacks are: ${listStacks(project).join(", ") || "(none)"}`);
    }
    if (size > MAX_STACK_FILE_BYTES) {
        fail(`the file is ${size} bytes; expected at most ${MAX_STACK_FILE_BYTES} (1 MiB): 4,000 role assignments, ` +
            "Azure's limit per subscription, fit in a third of that");
    }
    // The CLI strips a UTF-8 byte order mark before parsing (loaders.go readFileStripUTF8BOM).
    const text = readFileSync(absolute, "utf8").replace(/^\uFEFF/, "");
    return readStackText(project, stack, relativePath, text);
}

/** The rest of `readStackFile`, on the file's text: what the tests drive with one stack file per case. */
export function readStackText(project: Project, stack: string, relativePath: string, text: string): StackFile {
    const problems: string[] = [];
    const problem = (line: string) => problems.push(`${relativePath}: ${line}`);
    const listEntries = text.match(/^[ \t]*-(?:[ \t]|$)/gm)?.length ?? 0;
    if (listEntries > MAX_LIST_ENTRIES) {
        problem(`the file holds ${listEntries} list entries; expected at most ${MAX_LIST_ENTRIES}: Azure allows 4000 role ` +
            "assignments per subscription (roleAssignments times developers) and Entra 100 owners per application");
        throw new StackFileError(problems);
    }
    const entries = configEntries(text, (line) => problem(line));
    if (problems.length > 0) throw new StackFileError(problems);

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const keysAsWritten: Record<string, string> = {};
    const stackValues = new Map<string, GoValue>();
    const budget = { left: MAX_VALUES };
    for (const { written, node, doc } of entries) {
        const key = parseConfigKey(project.name, written);
        if (typeof key !== "string") {
            problem(`${written} is a key the CLI cannot parse; expected <namespace>:<name> (Pulumi CLI: ${key.cli})`);
            continue;
        }
        const namespace = key.slice(0, key.indexOf(":"));
        if (namespace !== project.name && !(OTHER_NAMESPACES as readonly string[]).includes(namespace)) {
            problem(`${written} is in the namespace "${namespace}"; expected this project's (${project.name}:<key>) ` +
                `or a provider's (${OTHER_NAMESPACES.join(", ")}): the CLI would hand it to no one`);
            continue;
        }
        if (keysAsWritten[key] !== undefined) {
            // The CLI keeps one of the two at random (a Go map), so the file means nothing certain.
            problem(`${written} sets ${key} again; expected each key once (${keysAsWritten[key]} already sets it)`);
            continue;
        }
        keysAsWritten[key] = written;
        const value = goValueOf(node, doc, (line) => problem(`${written}${line}`), 0, budget);
        if (value === undefined) continue;
        stackValues.set(key, value);
        config[key] = textOf(value, true);
        if (containsSecure(value)) secretKeys.push(key);
    }

    // mergeConfig (pkg/v3 workspace/config.go): defaults for unset keys; a declared key with neither default nor value is missing:
    // "Stack '%v' is missing configuration %v %v".
    for (const [declaredKey, declaration] of Object.entries(project.declared)) {
        const key = declaredKey.includes(":") ? declaredKey : `${project.name}:${declaredKey}`;
        if (stackValues.has(key)) {
            const value = stackValues.get(key)!;
            if (declaration.type !== undefined && !containsSecure(value) &&
                !validConfigValue(declaration.type, declaration.items, contentOf(value, config[key]!))) {
                const typeName = fullTypeName(declaration.type, declaration.items);
                problem(`${keysAsWritten[key]} is ${shown(value, config[key]!)}; expected ${typeAllowed(declaration.type, declaration.items)} ` +
                    `(Pulumi CLI: Stack '${stack}' with configuration key '${declaredKey}' must be of type '${typeName}')`);
            }
        } else if (project.defaults[key] !== undefined || declaration.default !== undefined) {
            config[key] = defaultText(project.defaults[key] ?? declaration.default);
        } else if (key.startsWith(`${project.name}:`)) {
            problem(`${key} is missing; expected a value: Pulumi.yaml declares it with no default ` +
                `(Pulumi CLI: Stack '${stack}' is missing configuration value '${declaredKey}')`);
        }
    }
    if (problems.length > 0) throw new StackFileError(problems);
    return { stack, path: relativePath, config, secretKeys, keysAsWritten };
}

// ---- The document and its config map -------------------------------------------------------------------------

interface Entry {
    readonly written: string;
    readonly node: Node | null;
    readonly doc: Document;
}

function configEntries(text: string, problem: (line: string) => void): Entry[] {
    const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: true, prettyErrors: false });
    if (doc.errors.length > 0) {
        // yaml.v3 refuses the same files ("invalid YAML file: yaml: line %d: ..."); its wording differs from this
        // parser's, so the line says where the problem begins and what this parser found.
        const error = doc.errors[0]!;
        const duplicate = error.code === "DUPLICATE_KEY" ? firstDuplicateKey(text) : undefined;
        if (duplicate !== undefined) {
            problem(`line ${duplicate.line}: a key is set twice in the same map; expected valid YAML (Pulumi CLI: ` +
                `mapping key ${goQuote(duplicate.key)} already defined at line ${duplicate.first})`);
            return [];
        }
        const line = lineOf(text, error.code === "MISSING_CHAR" ? openingOf(text, error.pos[0]) : error.pos[0]);
        problem(`line ${line}: ${firstLine(error.message)}; expected valid YAML (Pulumi CLI: invalid YAML file)`);
        return [];
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.type === "PLAIN" && root.value === "")) return [];
    if (!isMap(root)) {
        // LoadProjectStackBytes, SimplifyMarshalledProject: "expected project to be an object, was '%T'".
        const goType = isSeq(root) ? "[]interface {}" : "string";
        problem(`the document is ${isSeq(root) ? "a list" : "a single value"}; expected a map with a config: key ` +
            `(Pulumi CLI: expected project to be an object, was '${goType}')`);
        return [];
    }
    const configPair = root.items.find((pair) => isScalar(pair.key) && pair.key.value === "config");
    const configNode = configPair?.value ?? null;
    if (configNode === null || (isScalar(configNode) && configNode.type === "PLAIN" && isNullText(String(configNode.value)))) {
        return [];
    }
    if (!isMap(configNode)) {
        const line = lineOf(text, configNode.range?.[0] ?? 0);
        problem(`line ${line}: config is ${isSeq(configNode) ? "a list" : "a single value"}; expected a map of keys to ` +
            `values (Pulumi CLI: ${notAMap(configNode)})`);
        return [];
    }
    const entries: Entry[] = [];
    for (const pair of configNode.items) {
        if (!isScalar(pair.key)) {
            problem(`line ${lineOf(text, (pair.key as Node | null)?.range?.[0] ?? 0)}: a config key is a list or map; expected text`);
            continue;
        }
        entries.push({ written: String(pair.key.value), node: (pair.value) ?? null, doc });
    }
    return entries;
}

/**
 * The duplicate key yaml.v3 v3.0.1 reports first (decode.go `mapping`: "line %d: mapping key %#v already defined at
 * line %d"). It checks a map's keys pairwise, by kind and text, before it decodes the map's values, and descends no
 * further into a map that has a duplicate; so the first one it reports is the outermost, not the first in the text.
 */
function firstDuplicateKey(text: string): { key: string; line: number; first: number } | undefined {
    const doc = parseDocument(text, { schema: "failsafe", uniqueKeys: false, prettyErrors: false });
    const visit = (node: unknown): { key: string; line: number; first: number } | undefined => {
        if (isSeq(node)) {
            for (const item of node.items) {
                const found = visit(item);
                if (found !== undefined) return found;
            }
        } else if (isMap(node)) {
            const keys = node.items.map((pair) => pair.key).filter(isScalar);
            for (const [i, first] of keys.entries()) {
                const again = keys.slice(i + 1).find((key) => String(key.value) === String(first.value));
                if (again !== undefined) {
                    return { key: String(first.value), line: lineOf(text, again.range?.[0] ?? 0), first: lineOf(text, first.range?.[0] ?? 0) };
                }
            }
            for (const pair of node.items) {
                const found = visit(pair.value);
                if (found !== undefined) return found;
            }
        }
        return undefined;
    };
    return visit(doc.contents);
}

/**
 * What yaml.v3 says of a config: that is not a map (decode.go `terror`: "cannot unmarshal %s%s into %s", the
 * value's short tag, then the value in backquotes, cut to 7 characters and "..." beyond 10). The loader writes the
 * document out again before this decode, so a scalar arrives as Go wrote it: quoted only where yaml.v3 needs it.
 */
function notAMap(node: Node): string {
    const into = "into map[string]config.Value";
    if (isSeq(node)) return `cannot unmarshal !!seq ${into}`;
    if (!isScalar(node)) return `cannot unmarshal ${into}`;
    const text = String(node.value);
    const value = node.type === "PLAIN" && node.tag === undefined ? resolvePlain(text) : text;
    const quoted = (shown: string) => shown.length > 10 ? ` \`${shown.slice(0, 7)}...\`` : ` \`${shown}\``;
    if (typeof value === "string") return `cannot unmarshal !!str${quoted(value)} ${into}`;
    if (typeof value === "bigint") return `cannot unmarshal !!int${quoted(value.toString())} ${into}`;
    if (typeof value === "boolean") return `cannot unmarshal !!bool${quoted(String(value))} ${into}`;
    // A float or a timestamp as Go writes it again (strconv 'g', RFC 3339): not reproduced here.
    return into;
}

/** Go's %#v of a string: strconv.Quote, which JSON's quoting matches for printable text. */
function goQuote(text: string): string {
    return JSON.stringify(text);
}

/**
 * config.ParseKey (sdk/go/common/resource/config/key.go), after the loader namespaced bare keys with the project:
 * `<namespace>:<name>`, or the old `<namespace>:config:<name>`; anything else is refused with
 * "could not parse %s as a configuration key (configuration keys should be of the form `<namespace>:<name>`)".
 */
function parseConfigKey(project: string, written: string): string | { cli: string } {
    const colons = written.split(":").length - 1;
    if (colons === 0) return `${project}:${written}`;
    if (colons === 1) return written;
    const [namespace, module, name] = written.split(":");
    if (colons === 2 && module === "config" && namespace !== "" && name !== "") return `${namespace}:${name}`;
    return { cli: `could not parse ${written} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)` };
}

// ---- Values, as yaml.v3 resolves them and the CLI turns them into text ----------------------------------------

/** A Go value as the CLI holds it: ints exact, floats, Go time text, ciphertext, lists, maps. */
type GoValue = null | boolean | string | bigint | number | GoTime | Secure | GoValue[] | { [key: string]: GoValue };

class GoTime {
    /** `exact` is false for a date with a time of day, whose Go text this reader does not reproduce. */
    constructor(readonly text: string, readonly exact = true) {}
}

class Secure {
    constructor(readonly ciphertext: string) {}
}

/**
 * Values a whole file may expand to, aliases included: yaml.v3 refuses excessive aliasing too ("document contains
 * excessive aliasing"), and a stack of 4,000 role assignments holds about 12,000.
 */
const MAX_VALUES = 100_000;

function goValueOf(node: Node | null, doc: Document, problem: (line: string) => void, depth = 0,
    budget = { left: MAX_VALUES }): GoValue | undefined {
    if (--budget.left < 0) {
        if (budget.left === -1) problem(` expands to more than ${MAX_VALUES} values; expected a smaller stack file`);
        return undefined;
    }
    if (depth > 64) {
        problem(" is nested more than 64 levels deep; expected a plain value, list or map");
        return undefined;
    }
    if (node === null) return null;
    if (node instanceof Alias) {
        const target = node.resolve(doc);
        if (target === undefined) {
            problem(` refers to an unknown anchor *${node.source}; expected an anchor defined above (Pulumi CLI: unknown anchor)`);
            return undefined;
        }
        return goValueOf(target, doc, problem, depth + 1, budget);
    }
    if (isSeq(node)) {
        const items: GoValue[] = [];
        for (const [index, item] of node.items.entries()) {
            const value = goValueOf(item as Node | null, doc, (line) => problem(`[${index}]${line}`), depth + 1, budget);
            if (value === undefined) return undefined;
            items.push(value);
        }
        return items;
    }
    if (isMap(node)) {
        const map: { [key: string]: GoValue } = Object.create(null) as { [key: string]: GoValue };
        for (const pair of node.items) {
            if (!isScalar(pair.key)) {
                problem(" has a key that is a list or map; expected text keys");
                return undefined;
            }
            const key = String(pair.key.value);
            if (key === "<<") {
                problem(" uses a YAML merge key (<<); expected the entries written out");
                return undefined;
            }
            const value = goValueOf(pair.value as Node | null, doc, (line) => problem(`.${key}${line}`), depth + 1, budget);
            if (value === undefined) return undefined;
            map[key] = value;
        }
        // object.go isSecureValue: a map whose only key is "secure", holding text, is ciphertext.
        const keys = Object.keys(map);
        if (keys.length === 1 && keys[0] === "secure" && typeof map["secure"] === "string") return new Secure(map["secure"]);
        return map;
    }
    if (!isScalar(node)) return undefined;
    const text = String(node.value);
    const tag = node.tag;
    if (node.type !== "PLAIN" || tag === "tag:yaml.org,2002:str") return text;
    if (tag !== undefined) {
        problem(` has the YAML tag ${tag}; expected a value without a tag, or !!str`);
        return undefined;
    }
    const resolved = resolvePlain(text);
    if (resolved instanceof GoTime && !resolved.exact) {
        problem(` is ${text}, a YAML timestamp that the CLI hands over as Go's time text; expected it in quotes`);
        return undefined;
    }
    if (typeof resolved === "number" && !Number.isFinite(resolved)) {
        // Re-marshalling the document as JSON fails: "json: unsupported value: +Inf" (or NaN).
        problem(` is ${text}; expected a finite number (Pulumi CLI: invalid YAML file: could not unmarshal map: ` +
            `json: unsupported value: ${Number.isNaN(resolved) ? "NaN" : resolved > 0 ? "+Inf" : "-Inf"})`);
        return undefined;
    }
    return resolved;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64_MAX = 2n ** 64n - 1n;

/** gopkg.in/yaml.v3 v3.0.1 resolve.go `resolve("", in)`, for a plain scalar. */
export function resolvePlain(text: string): GoValue {
    switch (text) {
        case "true": case "True": case "TRUE": return true;
        case "false": case "False": case "FALSE": return false;
        case "": case "~": case "null": case "Null": case "NULL": return null;
        case ".nan": case ".NaN": case ".NAN": return Number.NaN;
        case ".inf": case ".Inf": case ".INF": case "+.inf": case "+.Inf": case "+.INF": return Number.POSITIVE_INFINITY;
        case "-.inf": case "-.Inf": case "-.INF": return Number.NEGATIVE_INFINITY;
    }
    const first = text[0]!;
    if (first === ".") {
        // strconv.ParseFloat on the text; it fails on anything but a decimal float here.
        return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : text;
    }
    if (!/[0-9+-]/.test(first)) return text;
    const time = parseTimestamp(text);
    if (time !== undefined) return time;
    const plain = text.replaceAll("_", "");
    const integer = parseGoInt(plain);
    if (integer !== undefined && integer >= INT64.min && integer <= UINT64_MAX) return integer;
    if (YAML_STYLE_FLOAT.test(plain)) {
        const float = Number(plain);
        // strconv.ParseFloat fails (ErrRange) beyond float64's range: the text stays a string.
        if (Number.isFinite(float)) return float;
    }
    return text;
}

/** strconv.ParseInt(s, 0, 64) / ParseUint: optional sign, then 0x, 0o, 0b, a leading 0 (octal) or decimal. */
function parseGoInt(text: string): bigint | undefined {
    const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
    if (match === null) return undefined;
    const [, sign, digits] = match as unknown as [string, string, string];
    const magnitude = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits.toLowerCase());
    const value = sign === "-" ? -magnitude : magnitude;
    // ParseUint takes no sign: a signed value must fit int64.
    if (sign !== "" && (value < INT64.min || value > INT64.max)) return undefined;
    return value;
}

/**
 * yaml.v3 parseTimestamp: a plain scalar starting YYYY- that Go's time.Parse reads as "2006-1-2". The CLI hands it
 * over as Go's time.Time.String(). Dates with a time of day are refused: none of this project's keys takes one.
 */
function parseTimestamp(text: string): GoValue | undefined {
    if (!/^[0-9]{4}-/.test(text)) return undefined;
    const date = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$/.exec(text);
    if (date === null) {
        return /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt ]/.test(text)
            ? new GoTime(text, false)
            : undefined;
    }
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (month < 1 || month > 12 || day < 1 || day > days) return undefined;
    const pad = (n: number) => String(n).padStart(2, "0");
    return new GoTime(`${date[1]}-${pad(month)}-${pad(day)} 00:00:00 +0000 UTC`);
}

/** The text the program receives: object.go MarshalString, then the decrypter's plaintext (marshalText). */
function textOf(value: GoValue, top: boolean): string {
    if (top) {
        if (value === null) return "";
        if (typeof value === "string") return value;
        if (value instanceof GoTime) return value.text;
        if (value instanceof Secure) return SECRET_PLACEHOLDER;
    }
    return goJson(value);
}

/** Go's encoding/json: map keys sorted, <, > and & escaped, floats as ECMAScript prints them. */
function goJson(value: GoValue): string {
    if (value === null) return "null";
    if (typeof value === "boolean") return String(value);
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number") return String(value);
    if (typeof value === "string") return goJsonString(value);
    if (value instanceof GoTime) return goJsonString(value.text);
    if (value instanceof Secure) return goJsonString(SECRET_PLACEHOLDER);
    if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
    return `{${Object.keys(value).sort().map((key) => `${goJsonString(key)}:${goJson(value[key]!)}`).join(",")}}`;
}

function goJsonString(text: string): string {
    return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function containsSecure(value: GoValue): boolean {
    if (value instanceof Secure) return true;
    if (Array.isArray(value)) return value.some(containsSecure);
    if (value !== null && typeof value === "object" && !(value instanceof GoTime)) return Object.values(value).some(containsSecure);
    return false;
}

/** What ValidateConfigValue sees: the text for a plain value, the decoded JSON for a list or map. */
function contentOf(value: GoValue, text: string): unknown {
    const isObject = Array.isArray(value) || (value !== null && typeof value === "object" && !(value instanceof GoTime));
    return isObject ? JSON.parse(text) : text;
}

/** sdk workspace/project.go ValidateConfigValue, on the text (or, for lists and maps, the JSON-decoded value). */
export function validConfigValue(type: ConfigType, items: ConfigItems | undefined, value: unknown): boolean {
    switch (type) {
        case "string": return typeof value === "string";
        case "integer":
            if (typeof value === "number") return Number.isInteger(value);
            // strconv.Atoi: an optional sign and decimal digits, within int64.
            if (typeof value !== "string" || !/^[+-]?[0-9]+$/.test(value)) return false;
            return BigInt(value) >= INT64.min && BigInt(value) <= INT64.max;
        case "boolean": return value === "true" || value === "false" || typeof value === "boolean";
        case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
        case "array":
            return Array.isArray(value) && items !== undefined &&
                value.every((item) => validConfigValue(items.type, items.items, item));
    }
}

/** project.go InferFullTypeName: `array<string>`, `array<object>`. */
function fullTypeName(type: ConfigType, items: ConfigItems | undefined): string {
    return items === undefined ? type : `array<${fullTypeName(items.type, items.items)}>`;
}

function typeAllowed(type: ConfigType, items: ConfigItems | undefined): string {
    switch (type) {
        case "string": return "text, not a list or map";
        case "integer": return "a whole number";
        case "boolean": return "true or false";
        case "object": return "a map";
        case "array": return items === undefined ? "a list" : `a list of ${plural(items)}`;
    }
}

function plural(items: ConfigItems): string {
    switch (items.type) {
        case "string": return "text values";
        case "integer": return "whole numbers";
        case "boolean": return "true or false values";
        case "object": return "maps";
        case "array": return "lists";
    }
}

/**
 * createConfigValue (pkg/workspace/config.go): a string, int or bool default as Go's %v text, anything else as Go's
 * JSON (json.Marshal: map keys sorted, `<`, `>` and `&` escaped), as the program receives it.
 */
function defaultText(value: unknown): string {
    return typeof value === "string" ? value : goJson(value as GoValue);
}

/** A value for a message: text in quotes, a list or map as its JSON, at most 80 characters. */
function shown(value: GoValue, text: string): string {
    const json = typeof value === "object" && value !== null && !(value instanceof GoTime) ? text : JSON.stringify(text);
    return json.length > 80 ? `${json.slice(0, 77)}..."` : json;
}

function isNullText(text: string): boolean {
    return ["", "~", "null", "Null", "NULL"].includes(text);
}

/**
 * Where a quote or bracket that is never closed was opened: the last value before the error that starts with one.
 * The parser reports the end of the file, where it gave up.
 */
function openingOf(text: string, offset: number): number {
    let start = offset;
    for (const match of text.slice(0, offset).matchAll(/(?:^|[:-][ \t]+)(["'[{])/gm)) {
        start = match.index + match[0].length - 1;
    }
    return start;
}

function lineOf(text: string, offset: number): number {
    return text.slice(0, offset).split("\n").length;
}

function firstLine(message: string): string {
    return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}

/** Go's %q of a byte: strconv.QuoteRune of its value, e.g. ' ' or 'Ã'. */
function goQuoteRune(byte: number): string {
    const escapes: Record<number, string> = { 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 0x27: "'", 0x5c: "\\" };
    if (escapes[byte] !== undefined) return `'\\${escapes[byte]}'`;
    if (byte < 0x20 || byte === 0x7f) return `'\\x${byte.toString(16).padStart(2, "0")}'`;
    if ((byte >= 0x80 && byte <= 0xa0) || byte === 0xad) return `'\\u00${byte.toString(16)}'`;
    return `'${String.fromCharCode(byte)}'`;
}

// ---- The project's stacks together -----------------------------------------------------------------------------

/**
 * What no single stack file shows: display names shared by two stacks of one tenant, role assignments of one
 * subscription beyond Azure's limit (infra/config.ts projectProblems). Stacks that do not read or parse are left to
 * their own errors. For `npm run plan`, over every stack of the project.
 */
export function projectStackProblems(project: Project, stacks: readonly string[] = listStacks(project)): string[] {
    const configs = stacks.map((stack) => readStackConfig(project, stack).config)
        .filter((config): config is StackConfig => config !== undefined);
    return projectProblems(configs);
}

/** A stack's config as the program parses it, or the problems of its file or config (one line each). */
export function readStackConfig(project: Project, stack: string): { config: StackConfig; problems: [] } | { config: undefined; problems: string[] } {
    try {
        const file = readStackFile(project, stack);
        const config = parseStackConfig(project.name, stack, file.config, { keysAsWritten: file.keysAsWritten, secretKeys: file.secretKeys });
        return { config, problems: [] };
    } catch (error) {
        if (error instanceof StackFileError || error instanceof ConfigError) return { config: undefined, problems: [...error.problems] };
        throw error;
    }
}
