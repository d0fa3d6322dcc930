/**
 * The env file an app's server reads: `KEY='value'` lines that systemd's EnvironmentFile=, python-dotenv, Node's
 * --env-file, the dotenv package and bash all read alike. Single quotes are verbatim for every one of them, so a
 * value qualifies when it holds no single quote, backslash, `$`, backtick, control character or non-ASCII
 * character (python-dotenv expands `${VAR}` even inside single quotes; systemd and bash disagree on escapes).
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNSAFE = /['\\$`]|[^\x20-\x7e]/;

export class EnvFileError extends Error {}

export interface Identity {
    readonly clientId: string;
    readonly tenantId: string;
    readonly subscriptionId: string;
    readonly clientSecret: string;
    readonly clientSecretExpiresAt: string;
    readonly displayName: string;
}

/**
 * Pick and check the keys an env file needs from a stack's outputs: an environment stack's identity, or one
 * developer's of a local-development stack. Messages never quote the secret.
 */
export function identityFromOutputs(outputs: Record<string, unknown>, origin: string, developer?: string): Identity {
    const developers = outputs["developers"];
    const hasDevelopers = developers !== null && typeof developers === "object";
    if (developer === undefined && hasDevelopers) {
        throw new EnvFileError(`${origin} has an identity per developer (${Object.keys(developers).join(", ")}): ` +
            "name one with --developer");
    }
    let identityOutputs: Record<string, unknown> = outputs;
    if (developer !== undefined) {
        const entry = hasDevelopers ? (developers as Record<string, unknown>)[developer] : undefined;
        if (entry === null || typeof entry !== "object") {
            const known = hasDevelopers ? Object.keys(developers).join(", ") : "none";
            throw new EnvFileError(`${origin} has no developer ${JSON.stringify(developer)}; its developers: ${known}`);
        }
        const secrets = outputs["developerSecrets"];
        identityOutputs = {
            ...(entry as Record<string, unknown>),
            tenantId: outputs["tenantId"],
            subscriptionId: outputs["subscriptionId"],
            clientSecret: secrets === "[secret]" ? secrets
                : secrets !== null && typeof secrets === "object" ? (secrets as Record<string, unknown>)[developer] : undefined,
        };
    }
    return checkedIdentity(identityOutputs, origin);
}

/** Readers of a stack's outputs that name the missing or malformed key, never its value. */
export function outputReaders(outputs: Record<string, unknown>, origin: string) {
    const text = (key: string): string => {
        const value = outputs[key];
        if (typeof value !== "string" || value === "") {
            throw new EnvFileError(`the outputs of ${origin} have no '${key}'; expected the outputs of this project's stack`);
        }
        return value;
    };
    const guid = (key: string): string => {
        const value = text(key);
        if (!GUID.test(value)) {
            throw new EnvFileError(`the outputs of ${origin} have '${key}' ${JSON.stringify(value)}; expected a GUID`);
        }
        return value;
    };
    return { text, guid };
}

function checkedIdentity(outputs: Record<string, unknown>, origin: string): Identity {
    const { text, guid } = outputReaders(outputs, origin);
    const identity: Identity = {
        clientId: guid("clientId"),
        tenantId: guid("tenantId"),
        subscriptionId: guid("subscriptionId"),
        clientSecret: text("clientSecret"),
        clientSecretExpiresAt: text("clientSecretExpiresAt"),
        displayName: text("displayName"),
    };
    if (identity.clientSecret === "[secret]") {
        throw new EnvFileError(`the outputs of ${origin} hide the client secret as [secret]; ` +
            "read them with 'pulumi stack output --json --show-secrets'");
    }
    return identity;
}

export function renderEnvFile(identity: Identity, origin: string): string {
    return renderLines([
        `# Microsoft Entra ID identity ${sanitizeComment(identity.displayName)}, from ${sanitizeComment(origin)}.`,
        `# The client secret expires ${sanitizeComment(identity.clientSecretExpiresAt)}; write this file again after each rotation.`,
        "# Written by 'npm run env-file'. Keep it mode 0600, readable by the service's user only.",
    ], [
        ["AZURE_CLIENT_ID", identity.clientId],
        ["AZURE_TENANT_ID", identity.tenantId],
        ["AZURE_CLIENT_SECRET", identity.clientSecret],
        ["AZURE_SUBSCRIPTION_ID", identity.subscriptionId],
    ]);
}

/** The comment lines, then `KEY='value'` lines, each value checked to read alike in every reader (above). */
export function renderLines(header: readonly string[], entries: readonly (readonly [string, string])[]): string {
    for (const [key, value] of entries) {
        const unsafe = UNSAFE.exec(value);
        if (unsafe !== null) {
            // Name the character, never the value: it may be the secret.
            throw new EnvFileError(`${key} holds ${describeCharacter(unsafe[0])}, which env file readers do not all ` +
                "read alike; nothing was written" + (key === "AZURE_CLIENT_SECRET"
                    ? ": rotate the secret (README, 'Rotating at once after a leak') to get one without it"
                    : ""));
        }
    }
    return [...header, ...entries.map(([key, value]) => `${key}='${value}'`), ""].join("\n");
}

function describeCharacter(char: string): string {
    const code = char.codePointAt(0)!;
    const named: Record<string, string> = { "'": "a single quote", "\\": "a backslash", "$": "a '$'", "`": "a backtick" };
    return named[char] ?? `the character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

export function sanitizeComment(text: string): string {
    return text.replace(/[^\x20-\x7e]/g, "?");
}

/**
 * The Azure Connected Machine agent's endpoints, as the agent sets them on an Arc-enabled server (Microsoft Learn,
 * "Authenticate against Azure resources with Azure Arc-enabled servers"). azure-identity picks its Arc credential only
 * when both variables are set (azure/identity/_credentials/managed_identity.py: IDENTITY_ENDPOINT and IMDS_ENDPOINT
 * without IDENTITY_HEADER), and a systemd service does not read the login environment that holds them: the env file
 * carries them.
 */
export const ARC_ENDPOINTS = {
    IDENTITY_ENDPOINT: "http://localhost:40342/metadata/identity/oauth2/token",
    IMDS_ENDPOINT: "http://localhost:40342",
} as const;

export interface ManagedIdentityRef {
    readonly displayName: string;
    readonly kind: string;
    readonly principalId: string;
    /** A user-assigned identity's client ID (infra/managedIdentity.ts). */
    readonly clientId?: string;
}

/**
 * The managed identity of a stack that has no app registration (infra/managedIdentity.ts), or undefined for a stack
 * with one (an app identity, or a migration that still has it: its env file is the app's until the switch, unless
 * `preferManaged` asks for the managed identity's, which the switch installs).
 */
export function managedIdentityFromOutputs(outputs: Record<string, unknown>, origin: string, preferManaged = false):
    ManagedIdentityRef | undefined {
    const managed = outputs["managedIdentity"];
    if (preferManaged && (managed === null || typeof managed !== "object")) {
        throw new EnvFileError(`the outputs of ${origin} have no 'managedIdentity': set managedIdentity in the stack ` +
            "file and run pulumi up first (docs/managed-identity.md)");
    }
    if (managed === null || typeof managed !== "object" || (outputs["clientId"] !== undefined && !preferManaged)) return undefined;
    const { kind, principalId, clientId } = managed as Record<string, unknown>;
    const displayName = outputs["displayName"];
    if (typeof kind !== "string" || typeof principalId !== "string" || !GUID.test(principalId) || typeof displayName !== "string") {
        throw new EnvFileError(`the outputs of ${origin} have a 'managedIdentity' without kind and principalId; ` +
            "expected the outputs of this project's stack");
    }
    if (kind === "userAssigned" && (typeof clientId !== "string" || !GUID.test(clientId))) {
        throw new EnvFileError(`the outputs of ${origin} have a user-assigned 'managedIdentity' without its clientId; ` +
            "run pulumi up with this version of the program first, which exports it");
    }
    return { displayName, kind, principalId, ...(typeof clientId === "string" ? { clientId } : {}) };
}

/**
 * The env file of an app under a managed identity. On an Arc-enabled server: the agent's endpoints. With a
 * user-assigned identity: its client ID as AZURE_CLIENT_ID, which DefaultAzureCredential passes to its managed
 * identity credential (azure/identity/_credentials/default.py), so that IMDS answers for that identity and not the
 * host's system-assigned one. Never a tenant or secret, which would make DefaultAzureCredential sign in as an app
 * registration first (EnvironmentCredential comes before ManagedIdentityCredential in its chain).
 */
export function renderManagedIdentityEnvFile(identity: ManagedIdentityRef, origin: string): string {
    if (identity.kind === "userAssigned") {
        return renderLines([
            `# Managed identity of ${sanitizeComment(identity.displayName)} (user-assigned, principal ${identity.principalId}), from ${sanitizeComment(origin)}.`,
            "# No client secret: Azure holds the credential. AZURE_CLIENT_ID picks this identity among the host's",
            "# (docs/managed-identity.md). Written by 'npm run env-file'.",
        ], [["AZURE_CLIENT_ID", identity.clientId!]]);
    }
    if (identity.kind !== "arcMachine") {
        throw new EnvFileError(`${origin} runs under a managed identity of kind ${identity.kind}: its Azure host gives the ` +
            "app the identity endpoint, and there is no env file to write (one is written for kinds arcMachine and userAssigned)");
    }
    return [
        `# Managed identity of ${sanitizeComment(identity.displayName)} (Azure Arc, principal ${identity.principalId}), from ${sanitizeComment(origin)}.`,
        "# No client secret: the Arc agent holds the credential. The service's user must be in the himds group to read",
        "# the agent's key files (docs/managed-identity.md). Written by 'npm run env-file'.",
        ...Object.entries(ARC_ENDPOINTS).map(([key, value]) => `${key}='${value}'`),
        "",
    ].join("\n");
}
