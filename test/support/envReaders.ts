/**
 * The real programs that read env files, each run as it runs on a server: systemd's own parser, python-dotenv
 * (from the checkout's .venv, at the version pinned in examples/blob-app/requirements-test.txt) and bash, Node's
 * --env-file, and the dotenv package. Each returns the variables it read.
 * A reader that is missing is an error, never a skip.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse as parseDotenv } from "dotenv";

export const SYSTEMD_ENV_GENERATOR = "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator";

/** The virtual environment tools/setup/python.sh makes: the Python the tests run, as users install it. */
export const VENV = resolve(__dirname, "..", "..", ".venv");
export const VENV_PYTHON = join(VENV, "bin", "python");
export const VENV_GUNICORN = join(VENV, "bin", "gunicorn");
export const PYTHON_REQUIREMENTS = resolve(__dirname, "..", "..", "examples", "blob-app", "requirements-test.txt");
/** For every Python the tests start: no __pycache__ written into the checkout's examples. */
export const PYTHON_ENV = { PYTHONDONTWRITEBYTECODE: "1" } as const;

export type Variables = Record<string, string>;
export type EnvReader = (files: readonly string[]) => Variables[];

/** The venv's python or gunicorn, or an error saying how to make it. */
export function requireVenv(program: string = VENV_PYTHON): string {
    if (!existsSync(program)) {
        throw new Error(`${program} is missing: run 'bash tools/setup/python.sh', which makes .venv/ with the ` +
            "packages pinned in examples/blob-app/requirements-test.txt");
    }
    return program;
}

/** PyPI's normalized form of a distribution name (PEP 503): PyJWT and pyjwt, typing_extensions and typing-extensions. */
const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/** `name==version` of every line of a requirements file and the files it includes with `-r`. */
export function pinnedVersions(file: string = PYTHON_REQUIREMENTS): Record<string, string> {
    const pins: Record<string, string> = {};
    for (const raw of readFileSync(file, "utf8").split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        if (line === "") continue;
        const include = /^-r\s+(\S+)$/.exec(line);
        if (include !== null) {
            Object.assign(pins, pinnedVersions(resolve(dirname(file), include[1]!)));
            continue;
        }
        const pin = /^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$/.exec(line);
        if (pin === null) throw new Error(`${file}: ${JSON.stringify(raw)} is not a 'name==version' pin`);
        pins[normalize(pin[1]!)] = pin[2]!;
    }
    return pins;
}

/** Every distribution installed in the venv with its version, as importlib.metadata reads them (pip and setuptools aside). */
export function installedVersions(): Record<string, string> {
    const script = "import importlib.metadata as m, json\n" +
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))";
    const printed = execFileSync(requireVenv(), ["-c", script], { env: { ...PYTHON_ENV }, encoding: "utf8" });
    return Object.fromEntries(Object.entries(JSON.parse(printed) as Record<string, string>)
        .map(([name, version]) => [normalize(name), version])
        .filter(([name]) => name !== "pip" && name !== "setuptools")
        .sort(([a], [b]) => a!.localeCompare(b!)));
}

function requireProgram(path: string, debianPackage: string): void {
    if (!existsSync(path)) throw new Error(`${path} is missing: apt-get install ${debianPackage}`);
}

/** systemd's parser (the one behind EnvironmentFile=), through the environment.d generator that prints what it parsed. */
export const systemd: EnvReader = (files) => {
    requireProgram(SYSTEMD_ENV_GENERATOR, "systemd");
    return files.map((file) => {
        const config = mkdtempSync(join(tmpdir(), "systemd-env-"));
        mkdirSync(join(config, "environment.d"));
        writeFileSync(join(config, "environment.d", "50-app.conf"), readFileSync(file));
        const printed = execFileSync(SYSTEMD_ENV_GENERATOR, [], { env: { XDG_CONFIG_HOME: config }, encoding: "utf8" });
        return parseGeneratorOutput(printed);
    });
};

/** The generator prints KEY=value, double-quoting a value with special characters and escaping \ " ` $ inside. */
export function parseGeneratorOutput(printed: string): Variables {
    const variables: Variables = {};
    for (const line of printed.split("\n").filter((l) => l !== "")) {
        const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (match === null) throw new Error(`unexpected generator line ${JSON.stringify(line)}`);
        const [, key, raw] = match as unknown as [string, string, string];
        const quoted = /^"((?:[^"\\]|\\["\\`$])*)"$/.exec(raw);
        variables[key] = quoted === null ? raw : quoted[1]!.replace(/\\(["\\`$])/g, "$1");
    }
    return variables;
}

/** python-dotenv, from the venv (the same Python as the app's), as an app that loads its .env itself reads it. */
export const pythonDotenv: EnvReader = (files) => {
    const script = "import json, sys\nfrom dotenv import dotenv_values\n" +
        "print(json.dumps([dotenv_values(path) for path in sys.argv[1:]]))";
    return JSON.parse(execFileSync(requireVenv(), ["-c", script, ...files], { env: { ...PYTHON_ENV }, encoding: "utf8" })) as Variables[];
};

/**
 * Node's own parser, the one behind `node --env-file=FILE`: process.loadEnvFile runs the same Dotenv::ParsePath and
 * SetEnvironment as that flag (nodejs/node src/node_process_methods.cc, LoadEnvFile). One process reads every file,
 * clearing the AZURE_ variables before each, where a process a file cost a Node start-up each.
 */
export const nodeEnvFile: EnvReader = (files) => {
    const script = [
        "const azure = () => Object.keys(process.env).filter((k) => k.startsWith('AZURE_'));",
        "process.stdout.write(JSON.stringify(process.argv.slice(1).map((file) => {",
        "    for (const key of azure()) delete process.env[key];",
        "    process.loadEnvFile(file);",
        "    return Object.fromEntries(azure().map((key) => [key, process.env[key]]));",
        "})));",
    ].join("\n");
    return JSON.parse(execFileSync(process.execPath, ["-e", script, ...files], {
        env: { PATH: process.env["PATH"] ?? "" }, encoding: "utf8",
    })) as Variables[];
};

/** The dotenv package, as a Node app loads it. */
export const dotenvPackage: EnvReader = (files) => files.map((file) => parseDotenv(readFileSync(file)));

/** bash, sourcing the file with `set -a` as a shell script or a container entrypoint would. */
export const bash: EnvReader = (files) => {
    const script = 'for f in "$@"; do (set -a; . "$f"; for k in AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH ' +
        'AZURE_SUBSCRIPTION_ID; do printf "%s=%s\\0" "$k" "${!k-}"; done; printf "\\0"); done';
    const printed = execFileSync("/bin/bash", ["-c", script, "bash", ...files], { env: {}, encoding: "utf8" });
    return printed.split("\0\0").slice(0, files.length).map((block) => Object.fromEntries(
        block.split("\0").filter((pair) => pair !== "").map((pair) => {
            const at = pair.indexOf("=");
            return [pair.slice(0, at), pair.slice(at + 1)];
        })));
};

export const READERS: Readonly<Record<string, EnvReader>> = { systemd, pythonDotenv, nodeEnvFile, dotenvPackage, bash };
