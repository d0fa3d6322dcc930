/**
 * Deleting an app registration does not end it: Entra keeps it in the directory's deleted items, credentials
 * included, restorable for 30 days by anyone who may restore it (Microsoft Graph "directory resource type";
 * directory-deleteditems-restore). Revoke therefore deletes the old app and service principal for good:
 * `DELETE /v1.0/directory/deletedItems/{id}` (directory-deleteditems-delete), which Application.ReadWrite.OwnedBy
 * allows for what the deployer owns, as it owns everything the program made (docs/deployer.md, section 3).
 *
 * Graph is eventually consistent (GUIDE section 7): right after the delete, the object may not yet be listed among
 * deleted items, so a 404 is asked again after a pause, a few times, before it counts as not there.
 */
import { AzureReader, AzureRequestError, GRAPH } from "../azure/rest";
import { deployerCredential } from "../azure/credential";

export type PurgeOutcome = { readonly purged: true } | { readonly purged: false; readonly reason: string };

/** Seconds to wait before asking again while Graph answers 404: about 50 s in all. */
export const PURGE_BACKOFF_SECONDS: readonly number[] = [5, 15, 30];

export const deletedItemPath = (objectId: string) => `/v1.0/directory/deletedItems/${objectId}`;

/** The command that does the same by hand, for the message when revoke cannot (az rest signs in as `az login`). */
export const purgeByHand = (objectId: string) =>
    `az rest --method DELETE --url https://graph.microsoft.com${deletedItemPath(objectId)}`;

/** One DELETE as the deploying identity (the ARM_* variables the providers read): 204, or Graph's error. */
export type DeleteOnce = (objectId: string) => Promise<{ status: number; message: string }>;

export function graphDeleter(env: NodeJS.ProcessEnv = process.env): DeleteOnce {
    let reader: AzureReader | undefined;
    return async (objectId) => {
        reader ??= new AzureReader(deployerCredential(env).credential);
        try {
            await reader.delete(GRAPH, deletedItemPath(objectId));
            return { status: 204, message: "" };
        } catch (error) {
            if (error instanceof AzureRequestError) return { status: error.status, message: error.message };
            return { status: 0, message: (error as Error).message.split("\n")[0] ?? "" };
        }
    };
}

export async function purgeDeleted(objectId: string, deleteOnce: DeleteOnce, sleep: (seconds: number) => Promise<void>): Promise<PurgeOutcome> {
    for (let attempt = 0; ; attempt++) {
        const answer = await deleteOnce(objectId);
        if (answer.status === 204) return { purged: true };
        const delay = PURGE_BACKOFF_SECONDS[attempt];
        if (answer.status !== 404 || delay === undefined) return { purged: false, reason: answer.message };
        await sleep(delay);
    }
}
