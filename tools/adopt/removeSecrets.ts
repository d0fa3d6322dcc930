/**
 * Removing the hand-made client secrets after the cut-over, by key ID, through Graph's removePassword as the
 * deploying identity (learn.microsoft.com/graph/api/application-removepassword: POST
 * /applications/{id}/removePassword {"keyId": ...}, 204). Only secrets the stack does not manage: its own two carry
 * the display name "slot a|b, rotated ..." (infra/appIdentity.ts), and pulumi up replaces what is removed behind it.
 */
import { GRAPH, type AzureReader } from "../azure/rest";
import type { ExistingSecret } from "./existing";

const MANAGED = /^slot [ab], rotated \d{4}-\d{2}-\d{2}$/;

export class RemovalRefused extends Error {}

/** The secrets to remove, in the order asked; refuses an unknown key ID or one of the stack's own secrets. */
export function secretsToRemove(secrets: readonly ExistingSecret[], keyIds: readonly string[], identity: string): ExistingSecret[] {
    return keyIds.map((asked) => {
        const keyId = asked.toLowerCase();
        const secret = secrets.find((candidate) => candidate.keyId === keyId);
        if (secret === undefined) {
            throw new RemovalRefused(`${identity} has no client secret with key ID ${asked}; its secrets: ` +
                (secrets.map((candidate) => candidate.keyId).join(", ") || "none"));
        }
        if (MANAGED.test(secret.displayName ?? "")) {
            throw new RemovalRefused(`key ID ${asked} is the stack's own secret ${JSON.stringify(secret.displayName)}: ` +
                "the stack rotates it; remove only hand-made secrets");
        }
        return secret;
    });
}

export function describeRemoval(secrets: readonly ExistingSecret[], identity: string): string {
    return [`Remove ${secrets.length} client secret${secrets.length === 1 ? "" : "s"} of ${identity}:`,
        ...secrets.map((secret) => `  ${JSON.stringify(secret.displayName ?? "")} (key ID ${secret.keyId}, ends ${secret.endDateTime.slice(0, 10)})`),
        "Servers still signing in with these stop working at once."].join("\n");
}

export async function removeSecrets(reader: AzureReader, applicationObjectId: string, secrets: readonly ExistingSecret[]): Promise<void> {
    for (const secret of secrets) {
        await reader.post(GRAPH, `/v1.0/applications/${applicationObjectId}/removePassword`, { keyId: secret.keyId });
    }
}
