/**
 * `tf.LockByName(applicationResourceName, objectId)`: one lock per application, shared by the credential resources
 * (passwords, certificates, federated credentials), held from before their first read to the end of their
 * consistency poll (`defer tf.UnlockByName`, application_password_resource.go and its siblings). A certificate's
 * create and delete read the whole keyCredentials collection and write it back, so two credentials of one
 * application (the engine creates them in parallel) take turns.
 */
const locks = new Map<string, Promise<unknown>>();

export async function lockedBy<T>(objectId: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(objectId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    locks.set(objectId, next);
    try {
        return await next;
    } finally {
        if (locks.get(objectId) === next) locks.delete(objectId);
    }
}
